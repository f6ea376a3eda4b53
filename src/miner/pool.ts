import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import Tinypool from 'tinypool'
import type { FeatureOptions } from './features.js'
import type { TraceJob } from './process-trace.js'
import type { BatchResult, WorkerTask } from './worker.js'

/**
 * The compiled worker module, or undefined when there is none. Built code finds `worker.js` beside this file.
 * Run from the TypeScript sources (as the tests are), there is no `.js` beside the `.ts`, and Node cannot load
 * a `.ts` worker: then the worker compiled by `npm run build` under `dist/` is used; without a build, mining
 * reads traces in its own thread.
 */
export function workerFile(): string | undefined {
  const candidates = [new URL('./worker.js', import.meta.url)]
  if (import.meta.url.endsWith('.ts')) candidates.push(new URL('../../dist/src/miner/worker.js', import.meta.url))
  for (const url of candidates) {
    const path = fileURLToPath(url)
    if (existsSync(path)) return path
  }
  return undefined
}

/** What {@link mapInPool} needs. */
export interface PoolRun {
  filename: string
  jobs: readonly TraceJob[]
  threads: number
  options: FeatureOptions
  /** Called as each batch comes back, with the index of its first job and its size. */
  onBatch: (result: BatchResult, first: number, size: number) => void
}

/** Reads traces in worker threads, in batches that keep every thread busy without flooding the queue. */
export async function mapInPool(run: PoolRun): Promise<void> {
  const { jobs, threads } = run
  const size = Math.min(500, Math.max(25, Math.ceil(jobs.length / (threads * 8))))
  const pool = new Tinypool({ filename: run.filename, minThreads: threads, maxThreads: threads })
  try {
    const pending: Array<Promise<void>> = []
    for (let first = 0; first < jobs.length; first += size) {
      const task: WorkerTask = { jobs: jobs.slice(first, first + size), options: run.options }
      pending.push(pool.run(task).then((result: BatchResult) => run.onBatch(result, first, task.jobs.length)))
    }
    await Promise.all(pending)
  } finally {
    await pool.destroy()
  }
}
