import { createClusterAccumulator, type ClusterAccumulator } from './cluster.js'
import type { ResolvedMineOptions } from './mine-options.js'
import { mapInPool, workerFile } from './pool.js'
import { processBatch, type TraceJob } from './process-trace.js'
import type { MiningReport } from './schema.js'

/** Everything read from a set of traces, before clustering. */
export interface ReadResult {
  accumulator: ClusterAccumulator
  traces: MiningReport['traces']
  /** Warnings with the index of the trace they are about (-1: about the run), in no particular order. */
  warnings: Array<{ index: number; text: string }>
  /** Worker threads used; 0 when the traces were read in this thread. */
  threads: number
}

/**
 * Reads every trace and accumulates its features: in worker threads when there are more than `workerThreshold`
 * traces, more than one thread is allowed and the compiled worker exists; in this thread otherwise. Both ways give
 * the same accumulator (it does not depend on order).
 */
export async function readAllTraces(
  jobs: readonly TraceJob[],
  options: ResolvedMineOptions,
  onProgress?: (done: number, total: number) => void,
): Promise<ReadResult> {
  const accumulator = createClusterAccumulator()
  const traces = { failures: jobs.length, read: 0, unreadable: 0, corruptLines: 0 }
  const warnings: ReadResult['warnings'] = []
  const wantsPool = options.threads > 1 && jobs.length > options.workerThreshold
  const filename = wantsPool ? workerFile() : undefined
  let done = 0
  if (filename) {
    await mapInPool({
      filename,
      jobs,
      threads: options.threads,
      options: options.features,
      onBatch(batch, first, size) {
        accumulator.merge(batch.state)
        traces.read += batch.read
        traces.unreadable += batch.unreadable
        traces.corruptLines += batch.corruptLines
        for (const w of batch.warnings) warnings.push({ index: first + w.index, text: w.text })
        onProgress?.((done += size), jobs.length)
      },
    })
    return { accumulator, traces, warnings, threads: options.threads }
  }
  if (wantsPool) warnings.push({ index: -1, text: 'Worker threads unavailable (no compiled worker module found); traces were read in one thread.' })
  await processBatch(jobs, options.features, (outcome, index) => {
    traces.corruptLines += outcome.corruptLines
    for (const text of outcome.warnings) warnings.push({ index, text })
    if (outcome.features) {
      traces.read++
      accumulator.add({ taskId: outcome.taskId, trial: outcome.trial, features: outcome.features })
    } else traces.unreadable++
    onProgress?.(++done, jobs.length)
  })
  return { accumulator, traces, warnings, threads: 0 }
}
