import type { Outcome, RunRecord, TaskRecord, Trial } from '../../record/schema.js'
import { alignTraces, type AlignedTraces } from './align.js'
import { traceKey, type ReportData, type Side, type TraceSlice } from './types.js'

/** A trial as the page lists it; `trace` is the index of its lazily parsed trace block. */
export interface TrialView {
  index: number
  outcome: Outcome
  durationMs: number
  tokens: [prompt: number, completion: number]
  turns: number
  toolCalls: number
  status?: string
  reason?: string
  trace?: number
}

/** A task as the page lists it. */
export interface TaskView {
  id: string
  file: string
  name: string
  /** The verdict's change, or without a verdict `lost`, `gained`, `added`, `removed` or `same` by pass sets. */
  change: string
  split?: string
  gating?: boolean
  pValue?: number
  adjustedPValue?: number
  /** Candidate trials; empty for a task only the baseline has. */
  c: TrialView[]
  /** Baseline trials, when there is a baseline holding the task. */
  b?: TrialView[]
  /** Index of the lazily parsed side-by-side block, for a task whose pass set flipped. */
  flip?: number
}

/** A flipped task's two chosen trials, aligned by step. */
export interface FlipView {
  baseline: { trial: number; outcome: Outcome }
  candidate: { trial: number; outcome: Outcome }
  aligned?: AlignedTraces
  /** Why there is no alignment (a trace missing or unreadable). */
  missing?: string
}

/** Trials and totals of one record. */
export interface RunView {
  harness: { name: string; id: string }
  model: string
  createdAt: string
  trials: number
  tasks: number
  outcomes: Record<Outcome, number>
  /** Tasks with at least one passing trial. */
  tasksPassed: number
  tokens: number
  durationMs: number
}

/** What the page's script reads: everything but traces and side-by-side views, which are parsed on demand. */
export interface ReportView {
  candidate: RunView
  baseline?: RunView
  tasks: TaskView[]
  /** Task indices by pass-set membership (a task passes when any of its trials passed). */
  passSet: { both: number; neither: number; baselineOnly: number[]; candidateOnly: number[] }
  maxTraceEvents: number
  traceTrials: 'all' | 'failed-and-flipped'
  traces: number
}

/** The page's data: the view, and the blocks (traces and side-by-side views) it refers to by index. */
export interface BuiltView {
  view: ReportView
  lazy: Array<TraceSlice | FlipView>
}

const ORDER = ['regression', 'lost', 'suspected-regression', 'invalid', 'undecided', 'fix', 'gained', 'suspected-fix', 'flaky', 'added', 'removed', 'same']
const passes = (trials: readonly Trial[]) => trials.some((t) => t.outcome === 'pass')

/** Summarizes a record: outcome counts, tasks passed, tokens and time. */
export function summarizeRun(record: RunRecord): RunView {
  const outcomes: Record<Outcome, number> = { pass: 0, fail: 0, error: 0 }
  let tokens = 0
  let durationMs = 0
  for (const task of record.tasks) {
    for (const trial of task.trials) {
      outcomes[trial.outcome]++
      tokens += trial.tokens.prompt + trial.tokens.completion
      durationMs += trial.durationMs
    }
  }
  const { harness, model, createdAt, trials } = record
  return { harness, model, createdAt, trials, tasks: record.tasks.length, outcomes, tasksPassed: record.tasks.filter((t) => passes(t.trials)).length, tokens, durationMs }
}

/** Builds the page's data from the report data: tasks ordered by change, traces and flips as indexed blocks. */
export function buildView(data: ReportData): BuiltView {
  const lazy: BuiltView['lazy'] = []
  const evidence = new Map((data.verdict?.tasks ?? []).map((e) => [e.id, e]))
  const baselineTasks = new Map((data.baseline?.tasks ?? []).map((t) => [t.id, t]))
  const candidateIds = new Set(data.candidate.tasks.map((t) => t.id))
  const removed = [...baselineTasks.values()].filter((t) => !candidateIds.has(t.id))

  const trialsOf = (side: Side, task: TaskRecord): TrialView[] =>
    task.trials.map((trial) => {
      const view: TrialView = {
        index: trial.index, outcome: trial.outcome, durationMs: trial.durationMs, tokens: [trial.tokens.prompt, trial.tokens.completion],
        turns: trial.turns, toolCalls: trial.toolCalls,
      }
      if (trial.status) view.status = trial.status
      if (trial.reason) view.reason = trial.reason
      const slice = data.traces[traceKey(side, task.id, trial.index)]
      if (slice) view.trace = lazy.push(slice) - 1
      return view
    })

  const tasks: TaskView[] = []
  const addTask = (task: TaskRecord, candidate: TaskRecord | undefined, baseline: TaskRecord | undefined) => {
    const view: TaskView = { id: task.id, file: task.file, name: task.name, change: 'same', c: candidate ? trialsOf('candidate', candidate) : [] }
    if (baseline) view.b = trialsOf('baseline', baseline)
    const e = evidence.get(task.id)
    if (data.verdict) view.change = e?.change ?? (data.verdict.ignored.includes(task.id) ? 'ignored' : 'same')
    else if (!data.baseline) view.change = 'same'
    else if (!baseline) view.change = 'added'
    else if (!candidate) view.change = 'removed'
    else if (passes(baseline.trials) !== passes(candidate.trials)) view.change = passes(candidate.trials) ? 'gained' : 'lost'
    if (e?.split) view.split = e.split
    if (e) view.gating = e.gating
    if (e?.pValue !== undefined) view.pValue = e.pValue
    if (e?.adjustedPValue !== undefined) view.adjustedPValue = e.adjustedPValue
    if (baseline && candidate && (passes(baseline.trials) !== passes(candidate.trials) || ['regression', 'fix'].includes(view.change))) {
      const improved = view.change === 'fix' || view.change === 'gained' || (view.change !== 'regression' && passes(candidate.trials))
      view.flip = lazy.push(flipOf(data, baseline, candidate, improved)) - 1
    }
    tasks.push(view)
  }
  for (const task of data.candidate.tasks) addTask(task, task, baselineTasks.get(task.id))
  for (const task of removed) addTask(task, undefined, task)

  // A task whose pass set flipped comes right after the verdict's decided changes, whatever its label.
  const rank = (task: TaskView) => {
    const at = ORDER.includes(task.change) ? ORDER.indexOf(task.change) : ORDER.length
    return task.flip !== undefined ? Math.min(at, ORDER.indexOf('gained') + 0.5) : at
  }
  tasks.sort((a, b) => rank(a) - rank(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))

  const passSet: ReportView['passSet'] = { both: 0, neither: 0, baselineOnly: [], candidateOnly: [] }
  if (data.baseline) {
    tasks.forEach((task, i) => {
      if (!task.b || !task.c.length) return
      const b = task.b.some((t) => t.outcome === 'pass')
      const c = task.c.some((t) => t.outcome === 'pass')
      if (b && c) passSet.both++
      else if (b) passSet.baselineOnly.push(i)
      else if (c) passSet.candidateOnly.push(i)
      else passSet.neither++
    })
  }
  const view: ReportView = {
    candidate: summarizeRun(data.candidate),
    tasks,
    passSet,
    maxTraceEvents: data.maxTraceEvents,
    traceTrials: data.traceTrials,
    traces: Object.keys(data.traces).length,
  }
  if (data.baseline) view.baseline = summarizeRun(data.baseline)
  return { view, lazy }
}

/** Chooses one trial per side whose outcomes differ in the direction of the change (preferring trials with a readable trace) and aligns them. */
function flipOf(data: ReportData, baseline: TaskRecord, candidate: TaskRecord, improved: boolean): FlipView {
  const readable = (side: Side, task: TaskRecord, trial: Trial) => {
    const slice = data.traces[traceKey(side, task.id, trial.index)]
    return slice && !slice.error ? slice : undefined
  }
  const pick = (side: Side, task: TaskRecord, wantPass: boolean): Trial => {
    const matching = task.trials.filter((t) => (t.outcome === 'pass') === wantPass)
    const pool = matching.length ? matching : task.trials
    return pool.find((t) => readable(side, task, t)) ?? pool[0]!
  }
  const c = pick('candidate', candidate, improved)
  const b = pick('baseline', baseline, !improved)
  const view: FlipView = { baseline: { trial: b.index, outcome: b.outcome }, candidate: { trial: c.index, outcome: c.outcome } }
  const bTrace = readable('baseline', baseline, b)
  const cTrace = readable('candidate', candidate, c)
  if (bTrace && cTrace) view.aligned = alignTraces(bTrace.events, cTrace.events)
  else view.missing = `No readable trace for the ${bTrace ? 'candidate' : 'baseline'} trial #${bTrace ? c.index : b.index}.`
  return view
}
