import pc from 'picocolors'
import { ConfigurationError, NotComparableError, SelfHarnessError } from '../errors.js'
import { parseArgs } from './args.js'

const HELP = `self-harness: agent tasks as vitest tests, gated on pass sets

Usage:
  self-harness vitest --harness=NAME [--trials=K] [--baseline=FILE] [--no-gate] [vitest flags]
  self-harness compare <baseline-record> <candidate-record> [--json] [--policy=exact|strict|split] [--alpha=A]
                       [--underpowered=insufficient-evidence|strict]
  self-harness accept <record> [--to=self-harness.baseline.json]
  self-harness calibrate [--harness=baseline] [--trials=5] [--runs=2] [--resamples=500] [vitest flags]
  self-harness mine <record> [--json] [--no-model]
  self-harness propose <record> [--harness=NAME] [--weakness=ID] [--json]
  self-harness evolve [--harness=baseline] [--trials=1] [--max-iterations=5] [--dir=DIR] [--json]
  self-harness schemas [--out=schemas]
  self-harness report <candidate-record> [--baseline=REC] [--verdict=FILE] [--weaknesses=FILE] [--ledger=FILE] [--out=report.html]

Exit codes: 0 accepted / no regression, 1 regression or no net gain, 2 usage or configuration error,
3 not comparable or not enough evidence.`

// Commands load on use, so `self-harness vitest` starts without loading the gate.

/** Runs the command line and returns the exit code. Only this layer prints and decides exit codes. */
export async function main(argv: readonly string[], cwd = process.cwd()): Promise<number> {
  const out = (text: string) => process.stdout.write(`${text}\n`)
  try {
    const args = parseArgs(argv)
    switch (args.command) {
      case 'vitest':
        return await (await import('./commands/vitest.js')).vitestCommand(args, cwd)
      case 'compare':
        return await (await import('./commands/compare.js')).compareCommand(args, out)
      case 'accept':
        return await (await import('./commands/accept.js')).acceptCommand(args, out)
      case 'mine':
        return await (await import('./commands/mine.js')).mineCommand(args, out)
      case 'propose':
        return await (await import('./commands/propose.js')).proposeCommand(args, cwd, out)
      case 'calibrate':
        return await (await import('./commands/calibrate.js')).calibrateCommand(args, cwd, out)
      case 'evolve':
        return await (await import('./commands/evolve.js')).evolveCommand(args, cwd, out)
      case 'schemas':
        return await (await import('./commands/schemas.js')).schemasCommand(args, cwd, out)
      case 'report':
        return await (await import('./commands/report.js')).reportCommand(args, cwd, out)
      case undefined:
      case 'help':
      case '--help':
        out(HELP)
        return args.command === undefined ? 2 : 0
      default:
        throw new ConfigurationError('USAGE', `Unknown command \`${args.command}\`. Run \`self-harness help\` for the commands.`, { field: 'command' })
    }
  } catch (error) {
    if (error instanceof SelfHarnessError) {
      process.stderr.write(`${pc.red('self-harness:')} ${error.message}\n`)
      return error instanceof NotComparableError ? 3 : error instanceof ConfigurationError ? 2 : 2
    }
    process.stderr.write(`${pc.red('self-harness: internal error:')} ${(error as Error)?.stack ?? String(error)}\n`)
    return 2
  }
}
