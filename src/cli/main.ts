import pc from 'picocolors'
import { ConfigurationError, NotComparableError, SelfHarnessError } from '../errors.js'
import { parseCommandLine, type ParsedArgs } from './args.js'
import { packageVersion } from './package-root.js'

type Out = (text: string) => void
type Run = (args: ParsedArgs, cwd: string, out: Out) => Promise<number>

// Commands load on use, so `self-harness vitest` starts without loading the gate.
const RUN: Record<string, () => Promise<Run>> = {
  init: async () => (await import('./commands/init.js')).initCommand,
  vitest: async () => {
    const { vitestCommand } = await import('./commands/vitest.js')
    return (args, cwd) => vitestCommand(args, cwd)
  },
  compare: async () => {
    const { compareCommand } = await import('./commands/compare.js')
    return (args, _cwd, out) => compareCommand(args, out)
  },
  accept: async () => {
    const { acceptCommand } = await import('./commands/accept.js')
    return (args, _cwd, out) => acceptCommand(args, out)
  },
  mine: async () => {
    const { mineCommand } = await import('./commands/mine.js')
    return (args, _cwd, out) => mineCommand(args, out)
  },
  propose: async () => (await import('./commands/propose.js')).proposeCommand,
  calibrate: async () => (await import('./commands/calibrate.js')).calibrateCommand,
  evolve: async () => (await import('./commands/evolve.js')).evolveCommand,
  schemas: async () => (await import('./commands/schemas.js')).schemasCommand,
  export: async () => (await import('./commands/export.js')).exportCommand,
  report: async () => (await import('./commands/report.js')).reportCommand,
  sim: async () => (await import('./commands/sim.js')).simCommand,
  demo: async () => (await import('./commands/demo.js')).demoCommand,
}

/** One line for an error the user can fix: the file when the message does not name it, then the message. */
export function formatUsageError(error: SelfHarnessError): string {
  const file = error instanceof ConfigurationError ? error.file : undefined
  return `${file && !error.message.includes(file) ? `${file}: ` : ''}${error.message}`
}

/** Runs the command line and returns the exit code. Only this layer prints and decides exit codes. */
export async function main(argv: readonly string[], cwd = process.cwd()): Promise<number> {
  const out: Out = (text) => process.stdout.write(`${text}\n`)
  let debug = argv.includes('--debug')
  try {
    const line = parseCommandLine(argv, packageVersion())
    if (line.kind === 'help') {
      out(line.text)
      return line.exitCode
    }
    if (line.kind === 'version') {
      out(packageVersion())
      return 0
    }
    debug = line.debug
    // The vitest processes a command starts print the plugin's startup errors with their stack too.
    if (debug) process.env.SELF_HARNESS_DEBUG = '1'
    const run = await RUN[line.args.command!]!()
    return await run(line.args, cwd, out)
  } catch (error) {
    if (error instanceof SelfHarnessError) {
      process.stderr.write(`${pc.red('self-harness:')} ${formatUsageError(error)}\n`)
      if (debug) process.stderr.write(`${stackOf(error)}\n`)
      return error instanceof NotComparableError ? 3 : 2
    }
    const message = error instanceof Error ? error.message : String(error)
    process.stderr.write(`${pc.red('self-harness: internal error:')} ${message}\n`)
    process.stderr.write(debug ? `${stackOf(error)}\n` : pc.dim('Run again with --debug for the stack.\n'))
    return 2
  }
}

/** The stack of an error and of its causes. */
function stackOf(error: unknown): string {
  const parts: string[] = []
  for (let e = error, depth = 0; e !== undefined && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    parts.push(depth ? `caused by: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}` : e instanceof Error ? (e.stack ?? e.message) : String(e))
  }
  return pc.dim(parts.join('\n'))
}
