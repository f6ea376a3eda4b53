import { historyHolds, historyMatches, type BaselineHistory } from '../record/baseline-history.js'
import type { RunRecord, TaskRecord } from '../record/schema.js'
import type { GatePolicy, TaskSplit } from './policy.js'

/** Split codes in a {@link Tally}: 0 is "no split given". */
export const SPLIT_CODES: readonly (TaskSplit | 'none')[] = ['none', 'train', 'validation', 'sealed']
const SEALED = 3

/** Per-task trial counts of two aligned records, in flat typed arrays (no per-task objects). */
export interface Tally {
  size: number
  bPass: Int32Array
  bFail: Int32Array
  bErr: Int32Array
  cPass: Int32Array
  cFail: Int32Array
  cErr: Int32Array
  /** 1 when the task takes part in the decision (not ignored, not sealed). */
  gating: Uint8Array
  /** Index into {@link SPLIT_CODES}. */
  split: Uint8Array
  /** Index into `STABILITIES` (decision.ts), from the baseline side's counts. */
  stability: Uint8Array
  idOf(i: number): string
  fileOf(i: number): string
}

/** Two records' tasks paired by id. */
export interface Alignment {
  tally: Tally
  /** Tasks only the candidate has. */
  added: TaskRecord[]
  /** Tasks only the baseline has. */
  removed: TaskRecord[]
  /** Ids that appear more than once in one record. */
  duplicates: string[]
}

/** Empty count arrays for `size` tasks, every task gating and without a split. */
export function emptyTally(size: number, idOf: (i: number) => string, fileOf = idOf): Tally {
  return {
    size,
    bPass: new Int32Array(size),
    bFail: new Int32Array(size),
    bErr: new Int32Array(size),
    cPass: new Int32Array(size),
    cFail: new Int32Array(size),
    cErr: new Int32Array(size),
    gating: new Uint8Array(size).fill(1),
    split: new Uint8Array(size),
    stability: new Uint8Array(size),
    idOf,
    fileOf,
  }
}

/**
 * Pairs the records' tasks by id and counts each task's outcomes. Trials a record asked for but does not
 * hold (a run cut short) count as errors. Records listing tasks in the same order take a path with no map.
 * With a baseline history of the baseline's harness version and model, the baseline side of each task it
 * holds is the history's trials (plus the record's, when the record is not folded in yet).
 */
export function alignRuns(baseline: RunRecord, candidate: RunRecord, policy: GatePolicy, history?: BaselineHistory): Alignment {
  const b = baseline.tasks
  const c = candidate.tasks
  // Null: the records list the same tasks in the same order, task i of one is task i of the other.
  let bIdx: Int32Array | null = null
  let cIdx: Int32Array | null = null
  const added: TaskRecord[] = []
  const removed: TaskRecord[] = []
  let duplicates: string[] = []
  if (sameOrder(b, c)) {
    duplicates = findDuplicates(b)
  } else {
    const byId = new Map<string, number>()
    const dup = new Set<string>()
    c.forEach((task, i) => (byId.has(task.id) ? dup.add(task.id) : byId.set(task.id, i)))
    for (const id of findDuplicates(b)) dup.add(id)
    const pb: number[] = []
    const pc: number[] = []
    const matched = new Uint8Array(c.length)
    b.forEach((task, i) => {
      const j = byId.get(task.id)
      if (j === undefined) return void removed.push(task)
      if (matched[j]) return
      matched[j] = 1
      pb.push(i)
      pc.push(j)
    })
    c.forEach((task, j) => {
      if (!matched[j] && !dup.has(task.id)) added.push(task)
    })
    bIdx = Int32Array.from(pb)
    cIdx = Int32Array.from(pc)
    duplicates = [...dup]
  }
  const bAt = bIdx
  const tally = bAt
    ? emptyTally(bAt.length, (i) => b[bAt[i]!]!.id, (i) => b[bAt[i]!]!.file)
    : emptyTally(b.length, (i) => b[i]!.id, (i) => b[i]!.file)
  count(b, bIdx, baseline.trials, tally.bPass, tally.bFail, tally.bErr)
  count(c, cIdx, candidate.trials, tally.cPass, tally.cFail, tally.cErr)
  if (historyMatches(history, baseline)) addHistory(tally, history, historyHolds(history, baseline))
  markGating(tally, policy)
  return { tally, added, removed, duplicates }
}

function count(
  tasks: TaskRecord[],
  idx: Int32Array | null,
  requested: number,
  pass: Int32Array,
  fail: Int32Array,
  err: Int32Array,
): void {
  for (let i = 0; i < pass.length; i++) {
    const trials = tasks[idx ? idx[i]! : i]!.trials
    let p = 0
    let f = 0
    let e = 0
    for (let t = 0; t < trials.length; t++) {
      const outcome = trials[t]!.outcome
      if (outcome === 'pass') p++
      else if (outcome === 'fail') f++
      else e++
    }
    pass[i] = p
    fail[i] = f
    err[i] = e + Math.max(0, requested - trials.length)
  }
}

function addHistory(tally: Tally, history: BaselineHistory, held: boolean): void {
  const byId = new Map(history.tasks.map((t) => [t.id, t]))
  for (let i = 0; i < tally.size; i++) {
    const past = byId.get(tally.idOf(i))
    if (!past) continue
    if (held) {
      // The record's valid trials are among the history's; its error trials are not.
      tally.bPass[i] = past.passes
      tally.bFail[i] = past.trials - past.passes
    } else {
      tally.bPass[i]! += past.passes
      tally.bFail[i]! += past.trials - past.passes
    }
  }
}

function markGating(tally: Tally, policy: GatePolicy): void {
  const ignore = new Set(policy.ignore)
  const splitEntries = Object.entries(policy.splits)
  if (ignore.size === 0 && splitEntries.length === 0) return
  const splits = new Map<string, number>(splitEntries.map(([id, s]) => [id, SPLIT_CODES.indexOf(s)]))
  for (let i = 0; i < tally.size; i++) {
    const id = tally.idOf(i)
    const split = splits.get(id) ?? 0
    tally.split[i] = split
    if (split === SEALED || ignore.has(id)) tally.gating[i] = 0
  }
}

function sameOrder(b: TaskRecord[], c: TaskRecord[]): boolean {
  if (b.length !== c.length) return false
  for (let i = 0; i < b.length; i++) if (b[i]!.id !== c[i]!.id) return false
  return true
}

function ascending(tasks: TaskRecord[]): boolean {
  for (let i = 1; i < tasks.length; i++) if (!(tasks[i - 1]!.id < tasks[i]!.id)) return false
  return true
}

function findDuplicates(tasks: TaskRecord[]): string[] {
  if (ascending(tasks)) return []
  const seen = new Set<string>()
  const dup = new Set<string>()
  for (const task of tasks) (seen.has(task.id) ? dup : seen).add(task.id)
  return [...dup]
}
