import pc from 'picocolors'
import { compareRuns } from '../../gate/compare.js'
import { resolveGatePolicy } from '../../gate/policy.js'
import { verifyRecordHarness } from '../../record/integrity.js'
import { readRecord } from '../../record/store.js'
import { renderVerdict } from '../../report/terminal.js'
import { ConfigurationError } from '../../errors.js'
import { stringFlag, type ParsedArgs } from '../args.js'

/** `self-harness compare <baseline> <candidate> [--json] [--policy=RULE] [--alpha=A] [--underpowered=MODE]`: the gate on two records. */
export async function compareCommand(args: ParsedArgs, out: (text: string) => void): Promise<number> {
  const [baselineFile, candidateFile] = args.positional
  if (!baselineFile || !candidateFile) {
    throw new ConfigurationError('USAGE', 'Expected two record files: self-harness compare <baseline-record> <candidate-record> [--json]', { field: 'records' })
  }
  const rule = stringFlag(args, 'policy')
  const alpha = stringFlag(args, 'alpha')
  const underpowered = stringFlag(args, 'underpowered')
  const policy = resolveGatePolicy({ ...(rule ? { rule } : {}), ...(alpha ? { alpha: Number(alpha) } : {}), ...(underpowered ? { underpowered } : {}) })
  const [baseline, candidate] = await Promise.all([readRecord(baselineFile), readRecord(candidateFile)])
  // A record whose harness file changed since it was written is stale; checked when the harness files are at hand.
  const harnessDir = stringFlag(args, 'harness-dir') ?? 'harnesses'
  await verifyRecordHarness(baseline, baselineFile, harnessDir)
  await verifyRecordHarness(candidate, candidateFile, harnessDir)
  const verdict = compareRuns(baseline, candidate, policy)
  out(args.flags.json ? JSON.stringify(verdict) : renderVerdict(verdict, { color: pc.isColorSupported }))
  return verdict.exitCode
}
