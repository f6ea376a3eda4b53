import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigurationError } from '../../errors.js'
import { stringFlag, type ParsedArgs } from '../args.js'
import { launchVitest } from '../launch-vitest.js'
import { adaptiveRounds } from './adaptive.js'
import { runSettingEnv } from '../run-flags.js'

/** What the plugin or reporter left in the status file. */
type Status = { code: string; message: string } | { kind: 'run'; recordFile: string; verdictFile?: string; baselineFile?: string }

/**
 * `self-harness vitest --harness=NAME [--trials=K] [--baseline=FILE] [--no-gate] [--fresh] [--retry-errors] [--mine]
 * [--report] [--adaptive[=BUDGET]] [vitest flags]`: a thin pass-through that chooses the harness and hands every other flag
 * to vitest. Returns vitest's exit code (the gate's when gating), or 2 when the plugin refused its configuration.
 */
export async function vitestCommand(args: ParsedArgs, cwd: string): Promise<number> {
  const env: Record<string, string> = runSettingEnv(args)
  const harness = stringFlag(args, 'harness')
  const trials = stringFlag(args, 'trials')
  const baseline = stringFlag(args, 'baseline')
  if (harness) env.SELF_HARNESS = harness
  if (trials) {
    if (!/^[1-9]\d*$/.test(trials)) {
      throw new ConfigurationError('USAGE', `Expected \`--trials\` to be a positive integer, got \`${trials}\`.`, { field: 'trials' })
    }
    env.SELF_HARNESS_TRIALS = trials
  }
  if (baseline) env.SELF_HARNESS_BASELINE = baseline
  if (args.flags['no-gate']) env.SELF_HARNESS_GATE = '0'
  if (args.flags.fresh) env.SELF_HARNESS_FRESH = '1'
  if (args.flags['retry-errors']) env.SELF_HARNESS_RETRY_ERRORS = '1'
  if (args.flags.mine) env.SELF_HARNESS_MINE = '1'
  if (args.flags.report) env.SELF_HARNESS_REPORT = '1'
  const adaptive = args.flags.adaptive
  const budget = adaptive === undefined ? undefined : adaptive === true ? 40 : Number(adaptive)
  if (budget !== undefined && !(Number.isInteger(budget) && budget > 0)) {
    throw new ConfigurationError('USAGE', `Expected \`--adaptive\` to be a positive integer budget of extra task trials, got \`${String(adaptive)}\`.`, { field: 'adaptive' })
  }
  const statusDir = await mkdtemp(join(tmpdir(), 'self-harness-'))
  const statusFile = join(statusDir, 'status.json')
  env.SELF_HARNESS_STATUS_FILE = statusFile
  const readStatus = async (): Promise<Status | undefined> => {
    const text = await readFile(statusFile, 'utf8').catch(() => undefined)
    return text ? (JSON.parse(text) as Status) : undefined
  }
  try {
    const { exitCode } = await launchVitest({ cwd, args: args.rest, env })
    const status = await readStatus()
    if (status && 'code' in status) return status.code === 'NOT_COMPARABLE' ? 3 : 2
    if (budget === undefined || !status?.verdictFile || !status.baselineFile) return exitCode
    return await adaptiveRounds({ cwd, env, vitestArgs: args.rest, status: { recordFile: status.recordFile, verdictFile: status.verdictFile, baselineFile: status.baselineFile }, budget })
  } finally {
    await rm(statusDir, { recursive: true, force: true })
  }
}
