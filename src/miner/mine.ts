import type { ModelClient } from '../agent/model.js'
import type { Cluster } from './cluster.js'
import { resolveMineOptions, type MineInput } from './mine-options.js'
import { nameCluster } from './name-clusters.js'
import { readAllTraces } from './read-all.js'
import type { MiningReport, Weakness } from './schema.js'

/** A mining report, and how many worker threads read the traces (0: this thread). */
export interface MiningResult extends MiningReport {
  threads: number
}

const MAX_WARNINGS = 50

/**
 * Mines failed trials' traces for recurring weaknesses: reads each trace (in worker threads for large sets),
 * extracts its features, clusters them by signature, keeps patterns spanning `minTasks` tasks, ranks them by
 * impact, and, given a client, has the model name and explain the top clusters (one request each).
 */
export async function mineFailures(input: MineInput): Promise<MiningResult> {
  const options = resolveMineOptions(input)
  const { accumulator, traces, warnings, threads } = await readAllTraces(input.failures, options, input.onProgress)
  const clusters = accumulator.clusters({ totalTasks: input.totalTasks, minTasks: options.minTasks, trialsPerTask: input.trialsPerTask })
  const weaknesses = clusters.map(toWeakness)
  if (input.client) {
    const notes = await nameTopClusters(input.client, clusters.slice(0, options.nameTop), weaknesses)
    for (const text of notes) warnings.push({ index: input.failures.length, text })
  }
  const bySignature: Record<string, string> = {}
  for (const cluster of clusters) {
    bySignature[cluster.key] = cluster.id
    for (const signature of cluster.signatures) bySignature[signature] = cluster.id
  }
  warnings.sort((a, b) => a.index - b.index)
  const kept = warnings.slice(0, MAX_WARNINGS).map((w) => w.text)
  if (warnings.length > MAX_WARNINGS) kept.push(`... and ${warnings.length - MAX_WARNINGS} more warnings.`)
  return { schemaVersion: 1, kind: 'self-harness/weaknesses', totalTasks: input.totalTasks, traces, weaknesses, bySignature, warnings: kept, threads }
}

/** The report to save from a mining result (what `MiningReportSchema` describes: no run details). */
export function miningReport(result: MiningResult): MiningReport {
  const { threads, ...report } = result
  void threads
  return report
}

function toWeakness(cluster: Cluster): Weakness {
  const { id, pattern, category, explanation, key, frequency, impact, exampleTasks, evidence } = cluster
  return { id, pattern, category, explanation, signature: key, frequency, impact, exampleTasks, evidence, namedBy: 'rules' }
}

/** Names clusters in rank order, in place; after the endpoint fails once, the rest keep the rules' names. */
async function nameTopClusters(client: ModelClient, top: Cluster[], weaknesses: Weakness[]): Promise<string[]> {
  const notes: string[] = []
  let endpointDown: string | undefined
  for (const [i, cluster] of top.entries()) {
    const weakness = weaknesses[i]!
    if (endpointDown) {
      weakness.note = endpointDown
      continue
    }
    const result = await nameCluster(client, cluster)
    if (result.ok) {
      Object.assign(weakness, result.naming, { namedBy: 'model' })
      // What the trace shows outright is not the model's to re-file: a run without a tool call stays one.
      if (cluster.category === 'no-tool-call') weakness.category = 'no-tool-call'
      continue
    }
    weakness.note = result.note
    notes.push(`${weakness.id}: ${result.note}`)
    if (result.endpointFailed) endpointDown = result.note
  }
  return notes
}
