import type { ResolvedModelOptions } from '../src/agent/model.js'
import type { HarnessSpec } from '../src/harness/spec.js'

/** What the plugin hands every worker (JSON-safe). */
export interface ProvidedSettings {
  harness: { name: string; id: string; file: string | undefined; spec: HarnessSpec }
  model: ResolvedModelOptions
  trials: number
  /** Absolute directory for traces. */
  traceDir: string
  workspaceRoot: string | undefined
  keepWorkspaces: boolean
  root: string
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
  trials: TrialMeta[]
}
