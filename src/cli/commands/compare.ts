import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import pc from 'picocolors'
import { compareRuns } from '../../gate/compare.js'
import { resolveGatePolicy, type GatePolicy } from '../../gate/policy.js'
import { baselineHistoryPathFor, readBaselineHistory } from '../../record/baseline-history.js'
import { verifyRecordHarness } from '../../record/integrity.js'
import { loadProjectAgent } from '../agent.js'
import { readRecord } from '../../record/store.js'
import { renderVerdict } from '../../report/terminal.js'
import { ConfigurationError } from '../../errors.js'
import { stringFlag, type ParsedArgs } from '../args.js'

/** The policy file a run writes beside its record: `runs/<name>.json` -> `runs/<name>.policy.json`. */
export function policyPathFor(recordFile: string): string {
  return recordFile.replace(/\.json$/, '') + '.policy.json'
}

/**
 * The gate policy of `compare`, `accept` and adaptive trials: the policy file given (`--policy-file`), else the
 * one the candidate's run recorded beside its record, else the defaults; then `--mode`, `--policy` (rule),
 * `--alpha` and `--underpowered` override single fields. Refuses a bad file or value with exit 2.
 */
export async function resolveCommandPolicy(args: ParsedArgs, candidateFile: string | undefined): Promise<{ policy: GatePolicy; source: string }> {
  const explicit = stringFlag(args, 'policy-file')
  const beside = candidateFile ? policyPathFor(candidateFile) : undefined
  const file = explicit ?? (beside && existsSync(beside) ? beside : undefined)
  let base: Record<string, unknown> = {}
  if (file) {
    try {
      base = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>
    } catch (cause) {
      throw new ConfigurationError('CONFIG_INVALID', `Cannot read the gate policy ${file}: ${(cause as Error).message}`, { cause, file })
    }
    try {
      resolveGatePolicy(base)
    } catch (error) {
      throw new ConfigurationError('CONFIG_INVALID', `Invalid gate policy ${file}: ${(error as Error).message}`, { cause: error, file })
    }
  }
  const rule = stringFlag(args, 'policy')
  const alpha = stringFlag(args, 'alpha')
  const underpowered = stringFlag(args, 'underpowered')
  const mode = stringFlag(args, 'mode')
  const policy = resolveGatePolicy({
    ...base,
    ...(mode ? { mode } : {}),
    ...(rule ? { rule } : {}),
    ...(alpha ? { alpha: Number(alpha) } : {}),
    ...(underpowered ? { underpowered } : {}),
  })
  return { policy, source: file ?? 'the defaults' }
}

/**
 * `self-harness compare <baseline> <candidate> [--json] [--mode=check|promote] [--policy-file=FILE] [--history=FILE]
 * [--look=N] [--policy=RULE] [--alpha=A] [--underpowered=MODE]`: the gate on two records, under the policy the
 * candidate's run recorded (or the one given), against the baseline's history when one is beside it.
 */
export async function compareCommand(args: ParsedArgs, out: (text: string) => void): Promise<number> {
  const [baselineFile, candidateFile] = args.positional
  if (!baselineFile || !candidateFile) {
    throw new ConfigurationError('USAGE', 'Expected two record files: self-harness compare <baseline-record> <candidate-record> [--json]', { field: 'records' })
  }
  const { policy } = await resolveCommandPolicy(args, candidateFile)
  const lookRaw = stringFlag(args, 'look')
  const look = lookRaw === undefined ? 1 : Number(lookRaw)
  if (!Number.isInteger(look) || look < 1) throw new ConfigurationError('USAGE', `Expected \`--look\` to be a positive integer, got \`${lookRaw}\`.`, { field: 'look' })
  const [baseline, candidate] = await Promise.all([readRecord(baselineFile), readRecord(candidateFile)])
  // A record whose harness file changed since it was written is stale; checked when the harness files are at hand.
  const harnessDir = stringFlag(args, 'harness-dir') ?? 'harnesses'
  const { format } = await loadProjectAgent(args, process.cwd())
  await verifyRecordHarness(baseline, baselineFile, harnessDir, format.parse)
  await verifyRecordHarness(candidate, candidateFile, harnessDir, format.parse)
  const history = await readBaselineHistory(stringFlag(args, 'history') ?? baselineHistoryPathFor(baselineFile))
  const verdict = compareRuns(baseline, candidate, policy, { history, look, baselineFile })
  out(args.flags.json ? JSON.stringify(verdict) : renderVerdict(verdict, { color: pc.isColorSupported }))
  return verdict.exitCode
}
