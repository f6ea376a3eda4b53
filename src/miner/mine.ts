import { availableParallelism } from 'node:os'
import type { ModelClient } from '../agent/model.js'
import { ConfigurationError } from '../errors.js'
import { createClusterAccumulator, type Cluster } from './cluster.js'
import type { FeatureOptions } from './features.js'
import { nameCluster } from './name-clusters.js'
import { mapInPool, workerFile } from './pool.js'
import { processBatch, type TraceJob, type TraceOutcome } from './process-trace.js'
import type { MiningReport, Weakness } from './schema.js'

/** What {@link mineFailures} mines. */
export interface MineInput {
  /** Failed trials and their JSONL traces. */
  failures: ReadonlyArray<TraceJob>
  /** Tasks the failures were drawn from, passing ones included. */
  totalTasks: number
  /** The model under test; when given, it names and explains the top clusters. */
  client?: ModelClient
  /** Worker threads for reading traces; 0 or 1 reads them in this thread. @default availableParallelism(), at most 8 */
  workers?: number
  /** Traces above which worker threads are used (small runs do not pay the pool's start-up). @default 200 */
  workerThreshold?: number
  /** Distinct tasks a pattern must span to be a weakness. @default 2 */
  minTasks?: number
  /** Clusters the model is asked to name, from the top. @default 8 */
  nameTop?: number
  /** Trials run per task, for the impact. @default the highest trial index seen, plus one */
  trialsPerTask?: number
  /** Messages in one request from which a conversation counts as long. @default 10 */
  longConversation?: number
  /** Called as traces are read: traces done, traces in all. */
  onProgress?: (done: number, total: number) => void
}

/** A mining report, and how many worker threads read the traces (0: this thread). */
export interface MiningResult extends MiningReport {
  threads: number
}

const MAX_WARNINGS = 50

/** The report to save from a mining result (what `MiningReportSchema` describes: no run details). */
export function miningReport(result: MiningResult): MiningReport {
  const { threads, ...report } = result
  void threads
  return report
}

/** Mines failed trials' traces for recurring weaknesses, ranked by impact; see docs on clustering and naming. */
export async function mineFailures(input: MineInput): Promise<MiningResult> {
  const options = resolveMineOptions(input)
  const jobs = input.failures
  const accumulator = createClusterAccumulator()
  const traces = { failures: jobs.length, read: 0, unreadable: 0, corruptLines: 0 }
  const warnings: Array<{ index: number; text: string }> = []
  let done = 0
  const take = (outcome: TraceOutcome, index: number) => {
    traces.corruptLines += outcome.corruptLines
    for (const text of outcome.warnings) warnings.push({ index, text })
    if (outcome.features) {
      traces.read++
      accumulator.add({ taskId: outcome.taskId, trial: outcome.trial, features: outcome.features })
    } else traces.unreadable++
  }

  const filename = options.threads > 1 && jobs.length > options.workerThreshold ? workerFile() : undefined
  let threads = 0
  if (filename) {
    threads = options.threads
    await mapInPool({
      filename,
      jobs,
      threads,
      options: options.features,
      onBatch(batch, first, size) {
        accumulator.merge(batch.state)
        traces.read += batch.read
        traces.unreadable += batch.unreadable
        traces.corruptLines += batch.corruptLines
        for (const w of batch.warnings) warnings.push({ index: first + w.index, text: w.text })
        done += size
        input.onProgress?.(done, jobs.length)
      },
    })
  } else {
    if (options.threads > 1 && jobs.length > options.workerThreshold) {
      warnings.push({ index: -1, text: 'Worker threads unavailable (no compiled worker module found); traces were read in one thread.' })
    }
    await processBatch(jobs, options.features, (outcome, index) => {
      take(outcome, index)
      input.onProgress?.(++done, jobs.length)
    })
  }

  const clusters = accumulator.clusters({ totalTasks: input.totalTasks, minTasks: options.minTasks, trialsPerTask: input.trialsPerTask })
  const weaknesses = clusters.map(toWeakness)
  if (input.client) await nameTopClusters(input.client, clusters.slice(0, options.nameTop), weaknesses, (text) => warnings.push({ index: jobs.length, text }))

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

function toWeakness(cluster: Cluster): Weakness {
  return {
    id: cluster.id,
    pattern: cluster.pattern,
    category: cluster.category,
    explanation: cluster.explanation,
    signature: cluster.key,
    frequency: cluster.frequency,
    impact: cluster.impact,
    exampleTasks: cluster.exampleTasks,
    evidence: cluster.evidence,
    namedBy: 'rules',
  }
}

async function nameTopClusters(client: ModelClient, top: Cluster[], weaknesses: Weakness[], warn: (text: string) => void) {
  let endpointDown: string | undefined
  for (const [i, cluster] of top.entries()) {
    const weakness = weaknesses[i]!
    if (endpointDown) {
      weakness.note = endpointDown
      continue
    }
    const result = await nameCluster(client, cluster)
    if (result.ok) {
      Object.assign(weakness, { ...result.naming, namedBy: 'model' })
      continue
    }
    weakness.note = result.note
    warn(`${weakness.id}: ${result.note}`)
    if (result.endpointFailed) endpointDown = result.note
  }
}

interface ResolvedMineOptions {
  threads: number
  workerThreshold: number
  minTasks: number
  nameTop: number
  features: FeatureOptions
}

/** Fills the defaults of {@link mineFailures} and validates its input. */
export function resolveMineOptions(input: MineInput): ResolvedMineOptions {
  const check = (name: string, value: number, min: number) => {
    if (!Number.isInteger(value) || value < min) {
      throw new ConfigurationError('CONFIG_INVALID', `Expected \`${name}\` to be an integer of at least ${min}, got \`${value}\`.`, { field: name })
    }
  }
  const resolved: ResolvedMineOptions = {
    threads: input.workers ?? Math.min(8, availableParallelism()),
    workerThreshold: input.workerThreshold ?? 200,
    minTasks: input.minTasks ?? 2,
    nameTop: input.nameTop ?? 8,
    features: { longConversation: input.longConversation ?? 10 },
  }
  check('totalTasks', input.totalTasks, 1)
  check('workers', resolved.threads, 0)
  check('workerThreshold', resolved.workerThreshold, 0)
  check('minTasks', resolved.minTasks, 1)
  check('nameTop', resolved.nameTop, 0)
  check('longConversation', resolved.features.longConversation!, 1)
  if (input.trialsPerTask !== undefined) check('trialsPerTask', input.trialsPerTask, 1)
  const tasks = new Set(input.failures.map((f) => f.taskId)).size
  if (tasks > input.totalTasks) {
    throw new ConfigurationError(
      'CONFIG_INVALID',
      `Expected \`totalTasks\` to be at least the ${tasks} distinct tasks among the failures, got \`${input.totalTasks}\`.`,
      { field: 'totalTasks' },
    )
  }
  input.failures.forEach((f, i) => {
    if (typeof f.taskId !== 'string' || !f.taskId || typeof f.tracePath !== 'string' || !Number.isInteger(f.trial) || f.trial < 0) {
      throw new ConfigurationError('CONFIG_INVALID', `Expected \`failures[${i}]\` to have a taskId, a trial index and a tracePath, got \`${JSON.stringify(f)}\`.`, {
        field: `failures[${i}]`,
      })
    }
  })
  return resolved
}
