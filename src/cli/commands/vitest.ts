import { ConfigurationError } from '../../errors.js'
import type { RunRequest } from '../../run/request.js'
import { stringFlag, type ParsedArgs } from '../args.js'
import { vitestFlagNames } from '../launch-vitest.js'
import { runSettingsOf } from '../run-flags.js'
import { runSuite } from '../run-suite.js'
import { commandSpec, flagNames, GLOBAL_FLAGS } from '../spec.js'
import { closest, editDistance } from '../../suggest.js'
import { adaptiveRounds } from './adaptive.js'

/**
 * `self-harness vitest --harness=NAME [--trials=K] [--baseline=FILE] [--no-gate] [--fresh] [--retry-errors] [--mine]
 * [--report] [--adaptive[=BUDGET]] [run settings] [vitest flags]`: a thin pass-through that chooses the harness and
 * hands every other flag to vitest. Returns vitest's exit code (the gate's when gating, the final look's with
 * `--adaptive`), or 2 when the plugin refused its configuration or `--adaptive` was given to a run that was not gated.
 */
export async function vitestCommand(args: ParsedArgs, cwd: string): Promise<number> {
  const trials = stringFlag(args, 'trials')
  if (trials !== undefined && !/^[1-9]\d*$/.test(trials)) {
    throw new ConfigurationError('USAGE', `Expected \`--trials\` to be a positive integer, got \`${trials}\`.`, { field: 'trials' })
  }
  const adaptive = args.flags.adaptive
  const budget = adaptive === undefined ? undefined : adaptive === true ? 40 : Number(adaptive)
  if (budget !== undefined && !(Number.isInteger(budget) && budget > 0)) {
    throw new ConfigurationError('USAGE', `Expected \`--adaptive\` to be a positive integer budget of extra task trials, got \`${String(adaptive)}\`.`, { field: 'adaptive' })
  }
  const given = (flag: string) => (args.flags[flag] ? true : undefined)
  const request: Omit<RunRequest, 'version' | 'outcomeFile'> = {
    harness: stringFlag(args, 'harness'),
    trials: trials === undefined ? undefined : Number(trials),
    baseline: stringFlag(args, 'baseline'),
    gate: args.flags['no-gate'] ? false : undefined,
    fresh: given('fresh'),
    retryErrors: given('retry-errors'),
    mine: given('mine'),
    report: given('report'),
    settings: runSettingsOf(args),
  }
  // Ctrl-C reaches vitest too (one process group): this process waits for it to stop, then says what is kept.
  let interrupted = false
  const onInterrupt = () => {
    interrupted = true
  }
  process.on('SIGINT', onInterrupt)
  let suite: Awaited<ReturnType<typeof runSuite>>
  try {
    suite = await runSuite(request, { cwd, vitestArgs: args.rest, stdio: 'inherit' })
  } finally {
    process.off('SIGINT', onInterrupt)
  }
  const { exitCode, outcome, unknownOption } = suite
  if (interrupted) {
    process.stderr.write('self-harness: interrupted. The finished trials are kept in the journal; run the same command again to resume (--fresh starts over).\n')
    return 130
  }
  if (unknownOption) throw await unknownFlag(unknownOption, cwd)
  if (outcome?.kind === 'startup-error') return outcome.code === 'NOT_COMPARABLE' ? 3 : 2
  if (budget === undefined || outcome?.kind !== 'run') return exitCode
  if (!outcome.verdictFile || !outcome.baselineFile) {
    // Follow-up looks need a verdict to follow up: an ungated run must not pass for a settled one.
    const fix = request.gate === false
      ? '`--no-gate` was given); no follow-up looks ran. Drop `--no-gate`'
      : 'no baseline); no follow-up looks ran. Add `--baseline=<file>` (the record `self-harness accept` wrote)'
    process.stderr.write(`self-harness: \`--adaptive\` needs a gated run, and this run was not gated (${fix} and run again.\n`)
    return exitCode === 0 ? 2 : exitCode
  }
  return await adaptiveRounds({ cwd, request, vitestArgs: args.rest, status: { recordFile: outcome.recordFile, verdictFile: outcome.verdictFile, baselineFile: outcome.baselineFile }, budget })
}

/** The refusal of a flag neither self-harness nor vitest knows, with the closest of ours or vitest's (ours on a tie). */
async function unknownFlag(shown: string, cwd: string): Promise<ConfigurationError> {
  const name = shown.replace(/^-+/, '')
  const ours = [...commandSpec('vitest')!.flags, ...GLOBAL_FLAGS].flatMap(flagNames).filter((n) => n.length > 1)
  const mine = closest(name, ours)
  const theirs = closest(name, await vitestFlagNames(cwd).catch(() => []))
  const guess = mine && theirs ? (editDistance(name, theirs) < editDistance(name, mine) ? theirs : mine) : (mine ?? theirs)
  return new ConfigurationError(
    'USAGE',
    `unknown flag \`${shown}\` for \`self-harness vitest\` (neither self-harness nor vitest knows it)${guess ? `; did you mean \`--${guess}\`?` : '.'} Run \`self-harness vitest --help\` and \`npx vitest --help\` for the flags.`,
    { field: shown },
  )
}
