import type { HarnessVersion } from '../harness/version.js'
import { dirname, resolve } from 'node:path'
import type { RunRecord, TaskRecord } from '../record/schema.js'

/** One request to run tasks under a harness. */
export interface RunTasksRequest {
  harness: HarnessVersion<unknown>
  /** Task ids to run; empty = every task of the suite. */
  taskIds: readonly string[]
  trials: number
  /** A unique, file-safe name for this run's output. */
  label: string
  /** Stop at the first task that does not pass (used when every task run passed before). */
  bail?: boolean
}

/** The narrow port through which evolve runs tasks; the CLI backs it with vitest, tests with a fake. */
export interface TaskRunner {
  run(request: RunTasksRequest): Promise<{ record: RunRecord; recordFile: string }>
}

/** Whether a task counts as passing: with one trial, that trial passed; with more, a majority of valid trials. */
export function taskPasses(task: TaskRecord | undefined): boolean {
  if (!task) return false
  const valid = task.trials.filter((t) => t.outcome !== 'error')
  if (!valid.length) return false
  return valid.filter((t) => t.outcome === 'pass').length * 2 > valid.length
}

/** Whether any trial of a task is an infrastructure error. */
export function taskErrored(task: TaskRecord | undefined): boolean {
  return Boolean(task?.trials.some((t) => t.outcome === 'error'))
}

/** A record's tasks with trace paths made absolute, so results from many runs can be mixed and saved anywhere. */
export function withAbsoluteTraces(record: RunRecord, recordFile: string): TaskRecord[] {
  const base = dirname(recordFile)
  return record.tasks.map((task) => ({
    ...task,
    trials: task.trials.map((trial) => (trial.tracePath ? { ...trial, tracePath: resolve(base, trial.tracePath) } : trial)),
  }))
}
