import type { ResolvedModelOptions } from '../src/agent/model.js'
import type { RunSettings } from '../src/agent/settings.js'
import type { HarnessSpec } from '../src/harness/spec.js'

/** What the plugin hands every worker (JSON-safe). */
export interface ProvidedSettings {
  /** The harness in force; with a custom agent, `spec` holds the agent's own harness data. */
  harness: { name: string; id: string; file: string | undefined; spec: HarnessSpec }
  /** The agent module (absolute path) workers load; null for the built-in loop. */
  agent: { file: string; name: string } | null
  model: ResolvedModelOptions
  /** Wall-clock budgets of the run (already scaled); `model.timeoutMs` equals `run.requestTimeoutMs`. */
  run: RunSettings
  trials: number
  /** Absolute directory for traces. */
  traceDir: string
  workspaceRoot: string | undefined
  sandbox: 'auto' | 'bwrap' | 'none'
  envAllow: string[]
  keepWorkspaces: boolean
  root: string
  /** Journal every finished trial is appended to (absolute). */
  journalFile: string
  /** Trials already finished by an earlier, interrupted run, by task id: they are not run again. */
  resume: Record<string, TrialMeta[]>
  /** When set, only these task ids run; the others are skipped and left out of the record. */
  only: string[] | null
  /** The model-response cache (absolute directory), when asked for. */
  cache: { dir: string; mode: 'read-write' | 'read-only' | 'refresh' } | null
}

/** Key under which the settings are provided to workers. */
export const PROVIDE_KEY = 'selfHarness'

/** The record of one trial the runner keeps in `task.meta`. */
export interface TrialMeta {
  index: number
  outcome: 'pass' | 'fail' | 'error'
  durationMs: number
  tokens: { prompt: number; completion: number }
  turns: number
  toolCalls: number
  tracePath?: string
  status?: string
  reason?: string
}

/** The trial in progress, as the runner sends it to the main process while it runs (for progress lines). */
export interface LiveStatus {
  trial: number
  turn: number
  /** Tokens used so far by this trial. */
  tokens: number
  /** Epoch milliseconds since the trial waits on the model; null while it is not waiting. */
  waitingSince: number | null
  startedAt: number
  lastTool?: string
}

/** What `task.meta.selfHarness` holds after a run. */
export interface TaskMetaRecord {
  harnessId: string
  /** Trials the run asked for of this task; travels with the task through shards and blob merges. */
  requested?: number
  trials: TrialMeta[]
  /** How many of `trials` (the first ones) were kept from the journal of an interrupted run, not run now. */
  kept?: number
  /** The trial in progress, while one runs. */
  live?: LiveStatus | null
  /** Console notes by trial index, such as a trial that made no tool call and what the model said. */
  notes?: Record<number, string>
}
