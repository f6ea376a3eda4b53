import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigurationError } from '../../errors.js'
import { stringFlag, type ParsedArgs } from '../args.js'
import { launchVitest } from '../launch-vitest.js'

/**
 * `self-harness vitest --harness=NAME [--trials=K] [--baseline=FILE] [--no-gate] [vitest flags]`: a thin
 * pass-through that chooses the harness and hands every other flag to vitest. Returns vitest's exit code, or 2
 * when the plugin refused its configuration.
 */
export async function vitestCommand(args: ParsedArgs, cwd: string): Promise<number> {
  const env: Record<string, string> = {}
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
  const statusDir = await mkdtemp(join(tmpdir(), 'self-harness-'))
  env.SELF_HARNESS_STATUS_FILE = join(statusDir, 'status.json')
  try {
    const { exitCode } = await launchVitest({ cwd, args: args.rest, env })
    const status = await readFile(env.SELF_HARNESS_STATUS_FILE, 'utf8').catch(() => undefined)
    if (status) return JSON.parse(status).code === 'NOT_COMPARABLE' ? 3 : 2
    return exitCode
  } finally {
    await rm(statusDir, { recursive: true, force: true })
  }
}
