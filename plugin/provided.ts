import type { ResolvedModelOptions } from '../src/agent/model.js'
import type { RunSettings } from '../src/agent/settings.js'
import type { HarnessSpec } from '../src/harness/spec.js'

/** What the plugin hands every worker (JSON-safe). */
export interface ProvidedSettings {
  harness: { name: string; id: string; file: string | undefined; spec: HarnessSpec }
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

/** What `task.meta.selfHarness` holds after a run. */
export interface TaskMetaRecord {
  harnessId: string
  /** Trials the run asked for of this task; travels with the task through shards and blob merges. */
  requested?: number
  trials: TrialMeta[]
}
