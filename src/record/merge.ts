import { isAbsolute, relative, resolve } from 'node:path'
import { erroredTrial } from './sanitize.js'
import type { RunRecord, TaskRecord, Trial } from './schema.js'

/** A trace path made relative to `toDir`; relative paths are read from `fromDir`. */
export function rebaseTracePath(tracePath: string, fromDir: string, toDir: string): string {
  return relative(toDir, resolve(fromDir, tracePath))
}

/** A task whose trace paths, read from `fromDir` (or absolute), are made relative to `toDir`. */
export function rebaseTask(task: TaskRecord, fromDir: string, toDir: string): TaskRecord {
  return { ...task, trials: task.trials.map((t) => (t.tracePath ? { ...t, tracePath: rebaseTracePath(t.tracePath, fromDir, toDir) } : t)) }
}

/** A record whose trace paths, relative to `fromDir`, are made relative to `toDir` (a record copied elsewhere). */
export function rebaseRecord(record: RunRecord, fromDir: string, toDir: string): RunRecord {
  return { ...record, tasks: record.tasks.map((task) => rebaseTask(task, fromDir, toDir)) }
}

/** One trial per index, in index order; the first list to hold an index wins. Absolute trace paths become relative to `recordDir`. */
export function unionTrials(recordDir: string, ...lists: ReadonlyArray<readonly Trial[] | undefined>): Trial[] {
  const byIndex = new Map<number, Trial>()
  for (const list of lists) {
    for (const trial of list ?? []) {
      if (byIndex.has(trial.index)) continue
      byIndex.set(trial.index, trial.tracePath && isAbsolute(trial.tracePath) ? { ...trial, tracePath: relative(recordDir, trial.tracePath) } : trial)
    }
  }
  return [...byIndex.values()].sort((a, b) => a.index - b.index)
}

/** A test the run started but whose result never came back (its worker died). */
export interface UnfinishedTask {
  id: string
  file: string
  name: string
  /** The trials that did come back before it stopped. */
  trials: Trial[]
}

/**
 * The record's view of a run's tasks: each task's trials joined with the finished trials known from elsewhere (the
 * journal, trials kept from an earlier record), and every test whose result never came back recorded with its
 * finished trials and an `error` for each trial that did not finish, so no task of the run vanishes.
 */
export function completeTasks(input: {
  tasks: readonly TaskRecord[]
  unfinished: readonly UnfinishedTask[]
  /** Finished trials by task id (absolute or record-relative trace paths). */
  known: ReadonlyArray<ReadonlyMap<string, readonly Trial[]> | Readonly<Record<string, readonly Trial[]>>>
  trials: number
  recordDir: string
  /** Why the unfinished tests did not finish; undefined when the run was interrupted on purpose (then only their finished trials count). */
  reason: string | undefined
}): TaskRecord[] {
  const lookup = (id: string): Array<readonly Trial[] | undefined> =>
    input.known.map((k) => (k instanceof Map ? (k as ReadonlyMap<string, readonly Trial[]>).get(id) : (k as Readonly<Record<string, readonly Trial[]>>)[id])?.filter((t: Trial) => t.index < input.trials))
  const out = input.tasks.map((task) => ({ ...task, trials: unionTrials(input.recordDir, task.trials, ...lookup(task.id)) }))
  const seen = new Set(out.map((t) => t.id))
  for (const task of input.unfinished) {
    if (seen.has(task.id)) continue
    seen.add(task.id)
    const finished = unionTrials(input.recordDir, task.trials, ...lookup(task.id))
    const done = new Set(finished.map((t) => t.index))
    const reason = input.reason
    const missing = reason === undefined ? [] : Array.from({ length: input.trials }, (_, i) => i).filter((i) => !done.has(i))
    const trials = [...finished, ...missing.map((i) => erroredTrial(i, reason!))].sort((a, b) => a.index - b.index)
    if (trials.length) out.push({ id: task.id, file: task.file, name: task.name, trials })
  }
  return out
}

/**
 * Tasks of a previous record that a run keeps: those it did not run that still belong to the suite. `stillInSuite`
 * says whether a task id is still a task (its file is a test file and, where its file was collected, its test is
 * still there).
 */
export function tasksNotRun(ran: ReadonlySet<string>, previous: RunRecord, stillInSuite: (task: TaskRecord) => boolean, fromDir: string, toDir: string): TaskRecord[] {
  return previous.tasks.filter((task) => !ran.has(task.id) && stillInSuite(task)).map((task) => rebaseTask(task, fromDir, toDir))
}

/** Why a record of another harness version or model cannot lend its trials, or undefined when it can. */
export function foreignRecordReason(record: Pick<RunRecord, 'harness' | 'model'>, match: { harnessId: string; model: string }): string | undefined {
  const parts: string[] = []
  if (record.harness.id !== match.harnessId) parts.push(`harness ${record.harness.id}, not ${match.harnessId}`)
  if (record.model !== match.model) parts.push(`model ${record.model}, not ${match.model}`)
  return parts.length ? parts.join(' and ') : undefined
}
