import { createClusterAccumulator, type AccumulatorState } from './cluster.js'
import type { FeatureOptions } from './features.js'
import { processTrace, type TraceJob } from './process-trace.js'

/** A batch of traces sent to a worker thread. */
export interface WorkerTask {
  jobs: TraceJob[]
  options: FeatureOptions
}

/**
 * What a worker sends back for a batch: the batch's failures already accumulated (one features object per
 * signature and task, not one per trace, so little crosses the thread boundary), counts, and warnings with the
 * index of their trace in the batch.
 */
export interface BatchResult {
  state: AccumulatorState
  read: number
  unreadable: number
  corruptLines: number
  warnings: Array<{ index: number; text: string }>
}

/** Worker-thread entry: reads a batch of traces and accumulates their features. */
export default function mineBatch(task: WorkerTask): BatchResult {
  const accumulator = createClusterAccumulator()
  const result: BatchResult = { state: { entries: [], maxTrial: 0 }, read: 0, unreadable: 0, corruptLines: 0, warnings: [] }
  task.jobs.forEach((job, index) => {
    const outcome = processTrace(job, task.options)
    result.corruptLines += outcome.corruptLines
    for (const text of outcome.warnings) result.warnings.push({ index, text })
    if (!outcome.features) {
      result.unreadable++
      return
    }
    result.read++
    accumulator.add({ taskId: outcome.taskId, trial: outcome.trial, features: outcome.features })
  })
  result.state = accumulator.state()
  return result
}
