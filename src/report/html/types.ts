import type { Verdict } from '../../gate/verdict.js'
import type { MiningReport } from '../../miner/schema.js'
import type { RunRecord } from '../../record/schema.js'
import type { TraceEvent } from '../../trace/events.js'

/** Which of the two records a trial belongs to. */
export type Side = 'baseline' | 'candidate'

/** Key of one trial's trace in {@link ReportData.traces}. */
export function traceKey(side: Side, taskId: string, trial: number): string {
  return `${side}#${trial}#${taskId}`
}

/** One trial's trace as the report shows it: capped to its start and end, or why it could not be read. */
export interface TraceSlice {
  /** The events kept, in order. */
  events: TraceEvent[]
  /** Events in the trace file. */
  total: number
  /** Index in `events` where events were left out by the cap; absent when nothing was. */
  omittedAt?: number
  /** How many events were left out at `omittedAt`. */
  omitted?: number
  /** Why the trace could not be read (missing or damaged file); `events` is then empty. */
  error?: string
}

/** Passed tasks out of all tasks of a split. */
export interface SplitCount {
  passed: number
  tasks: number
}

/** Pass counts of the splits known at one point of an evolve run. */
export interface LineageSummary {
  train?: SplitCount
  validation?: SplitCount
  sealed?: SplitCount
}

/** One accepted harness version in an evolve run; iteration 0 is the starting harness. */
export interface LineageStep {
  iteration: number
  harnessId: string
  /** Id of the version it was derived from; absent for the starting harness. */
  parent?: string
  /** The harness file, relative to the ledger's folder. */
  file?: string
  /** The accepted edits, one `describePatch` line each. */
  edits: string[]
  /** The accepted proposals behind the edits. */
  proposals: Array<{ id: string; kind: string; rationale: string }>
  summary: LineageSummary
}

/** The evolve ledger, read for the report: the lineage of accepted versions and how the run ended. */
export interface Lineage {
  model: string
  /** Name of the starting harness. */
  harnessName: string
  steps: LineageStep[]
  /** Iterations started. */
  iterations: number
  /** Candidates validated and refused, over all iterations. */
  refused: number
  end?: { reason: string; harnessId: string; trialsRun: number; naiveTrials: number; summary: LineageSummary }
}

/** Everything the HTML report shows. */
export interface ReportData {
  candidate: RunRecord
  baseline?: RunRecord
  verdict?: Verdict
  weaknesses?: MiningReport
  /** Traces of the trials shown, by {@link traceKey}; a trial without an entry shows no timeline. */
  traces: Record<string, TraceSlice>
  /** Events kept per trace. */
  maxTraceEvents: number
  /** Which trials' traces were loaded. */
  traceTrials: 'all' | 'failed-and-flipped'
  lineage?: Lineage
  /** What was left out or could not be read, in plain sentences. */
  notes?: string[]
  /** When the report was made (ISO time); shown in the header. */
  generatedAt?: string
}

/** Pass rate of a split as a fraction, or null when the split is unknown or empty. */
export function rateOf(count: SplitCount | undefined): number | null {
  return count && count.tasks > 0 ? count.passed / count.tasks : null
}
