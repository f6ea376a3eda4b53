import { ConfigurationError } from '../../errors.js'
import type { RunRequest } from '../../run/request.js'
import { stringFlag, type ParsedArgs } from '../args.js'
import { runSettingsOf } from '../run-flags.js'
import { runSuite } from '../run-suite.js'
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
  const { exitCode, outcome } = await runSuite(request, { cwd, vitestArgs: args.rest, stdio: 'inherit' })
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
