import { availableParallelism } from 'node:os'
import type { ModelClient } from '../agent/model.js'
import { ConfigurationError } from '../errors.js'
import type { FeatureOptions } from './features.js'
import type { TraceJob } from './process-trace.js'

/** What `mineFailures` mines, and how. */
export interface MineInput {
  /** Failed trials and their JSONL traces. */
  failures: ReadonlyArray<TraceJob>
  /** Tasks the failures were drawn from, passing ones included. */
  totalTasks: number
  /** The model under test; when given, it names and explains the top clusters. */
  client?: ModelClient
  /** Worker threads for reading traces; 0 or 1 reads them in this thread. @default availableParallelism(), at most 8 */
  workers?: number
  /**
   * Traces above which worker threads are used. Below it one thread is faster: each worker starts cold (module load
   * and JIT warm-up cost about 0.5 s of CPU per thread), which on 2 cores pays for itself from about 20k traces.
   * @default 20000
   */
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

/** Mining options with every default filled in. */
export interface ResolvedMineOptions {
  threads: number
  workerThreshold: number
  minTasks: number
  nameTop: number
  features: FeatureOptions
}

/** Fills the defaults of `mineFailures` and validates its input. */
export function resolveMineOptions(input: MineInput): ResolvedMineOptions {
  const resolved: ResolvedMineOptions = {
    threads: input.workers ?? Math.min(8, availableParallelism()),
    workerThreshold: input.workerThreshold ?? 20_000,
    minTasks: input.minTasks ?? 2,
    nameTop: input.nameTop ?? 8,
    features: { longConversation: input.longConversation ?? 10 },
  }
  integer('totalTasks', input.totalTasks, 1)
  integer('workers', resolved.threads, 0)
  integer('workerThreshold', resolved.workerThreshold, 0)
  integer('minTasks', resolved.minTasks, 1)
  integer('nameTop', resolved.nameTop, 0)
  integer('longConversation', resolved.features.longConversation!, 1)
  if (input.trialsPerTask !== undefined) integer('trialsPerTask', input.trialsPerTask, 1)
  input.failures.forEach((f, i) => {
    if (typeof f.taskId !== 'string' || !f.taskId || typeof f.tracePath !== 'string' || !Number.isInteger(f.trial) || f.trial < 0) {
      throw new ConfigurationError(
        'CONFIG_INVALID',
        `Expected \`failures[${i}]\` to have a taskId, a trial index and a tracePath, got \`${JSON.stringify(f)}\`.`,
        { field: `failures[${i}]` },
      )
    }
  })
  const tasks = new Set(input.failures.map((f) => f.taskId)).size
  if (tasks > input.totalTasks) {
    throw new ConfigurationError(
      'CONFIG_INVALID',
      `Expected \`totalTasks\` to be at least the ${tasks} distinct tasks among the failures, got \`${input.totalTasks}\`.`,
      { field: 'totalTasks' },
    )
  }
  return resolved
}

function integer(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new ConfigurationError('CONFIG_INVALID', `Expected \`${name}\` to be an integer of at least ${min}, got \`${value}\`.`, { field: name })
  }
}
