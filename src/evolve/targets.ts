import { signatureOfTrace } from '../miner/index.js'
import { readTrace } from '../trace/reader.js'

/**
 * Classifies failed trials by the miner's signatures: weakness id -> task ids showing it. Used for validation
 * failures, whose traces must never reach the proposer: only the signature is computed, nothing is passed on.
 */
export async function classifyFailures(
  failures: ReadonlyArray<{ taskId: string; tracePath: string }>,
  bySignature: Readonly<Record<string, string>>,
): Promise<Map<string, Set<string>>> {
  const out = new Map<string, Set<string>>()
  for (const failure of failures) {
    let signature: string
    try {
      signature = signatureOfTrace(await readTrace(failure.tracePath))
    } catch {
      continue // an unreadable trace shows no weakness
    }
    const weakness = bySignature[signature]
    if (!weakness) continue
    const tasks = out.get(weakness) ?? new Set<string>()
    tasks.add(failure.taskId)
    out.set(weakness, tasks)
  }
  return out
}
