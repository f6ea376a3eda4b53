import { extractFeatures, type FeatureOptions, type TraceFeatures } from './features.js'
import { readTraceLines } from './read-trace.js'

/** One failed trial to mine. */
export interface TraceJob {
  taskId: string
  trial: number
  tracePath: string
}

/** What reading one trace gave: its features (null when nothing could be read) and any problems met. */
export interface TraceOutcome {
  taskId: string
  trial: number
  features: TraceFeatures | null
  corruptLines: number
  warnings: string[]
}

const WARNED_LINES_PER_TRACE = 3

/** Reads one trace and extracts its features; never throws for a missing or corrupt trace. */
export function processTrace(job: TraceJob, options: FeatureOptions = {}): TraceOutcome {
  const base = { taskId: job.taskId, trial: job.trial }
  let streamed
  try {
    streamed = readTraceLines(job.tracePath)
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    return { ...base, features: null, corruptLines: 0, warnings: [`Cannot read trace ${job.tracePath}: ${message}; skipped.`] }
  }
  const { events, corrupt } = streamed
  const warnings = corrupt
    .slice(0, WARNED_LINES_PER_TRACE)
    .map((c) => `Corrupt trace ${job.tracePath}: line ${c.line}: ${c.message}; line skipped.`)
  if (corrupt.length > WARNED_LINES_PER_TRACE) {
    warnings.push(`Corrupt trace ${job.tracePath}: ${corrupt.length - WARNED_LINES_PER_TRACE} more bad lines skipped.`)
  }
  if (!events.length) {
    warnings.push(`Trace ${job.tracePath} holds no valid event; skipped.`)
    return { ...base, features: null, corruptLines: corrupt.length, warnings }
  }
  return { ...base, features: extractFeatures(events, options), corruptLines: corrupt.length, warnings }
}

/** Processes traces in order; in this thread it yields to the event loop every `slice` traces. */
export async function processBatch(
  jobs: readonly TraceJob[],
  options: FeatureOptions = {},
  onOutcome?: (outcome: TraceOutcome, index: number) => void,
  slice = 64,
): Promise<TraceOutcome[]> {
  const outcomes: TraceOutcome[] = new Array(jobs.length)
  for (let i = 0; i < jobs.length; i++) {
    if (i > 0 && i % slice === 0) await new Promise((resolve) => setImmediate(resolve))
    outcomes[i] = processTrace(jobs[i]!, options)
    onOutcome?.(outcomes[i]!, i)
  }
  return outcomes
}
