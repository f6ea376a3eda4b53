import { z } from 'zod'
import { recordFingerprint } from './flake-history.js'
import type { RunRecord } from './schema.js'
import { readJsonFile, writeJsonFile, type JsonFileKind } from './json-file.js'

/** Current version of the baseline history format. */
export const BASELINE_HISTORY_SCHEMA_VERSION = 1 as const

/** How many folded records' fingerprints the history keeps, so folding a record twice changes nothing. */
export const BASELINE_HISTORY_FINGERPRINTS = 200

const count = z.number().int().min(0)

/** One task's valid trials summed over every baseline run folded in. */
export const BaselineHistoryTaskSchema = z
  .strictObject({
    id: z.string().min(1),
    /** Runs that listed the task. */
    runs: count,
    /** Pass or fail trials (error trials are left out). */
    trials: count,
    passes: count,
  })
  .refine((t) => t.passes <= t.trials, { message: 'passes must not exceed trials', path: ['passes'] })
export type BaselineHistoryTask = z.infer<typeof BaselineHistoryTaskSchema>

/** Trials of one harness version and model, accumulated over baseline runs: the gate's baseline evidence. */
export const BaselineHistorySchema = z.strictObject({
  schemaVersion: z.literal(BASELINE_HISTORY_SCHEMA_VERSION),
  kind: z.literal('self-harness/baseline-history'),
  /** The only harness version whose trials the history holds. */
  harness: z.strictObject({ name: z.string(), id: z.string() }),
  /** The only model whose trials the history holds. */
  model: z.string(),
  /** `createdAt` of the last record folded in. */
  updatedAt: z.string(),
  runs: count,
  /** Fingerprints of the last folded records (newest last). */
  folded: z.array(z.string()),
  /** Sorted by id, each id once. */
  tasks: z.array(BaselineHistoryTaskSchema).superRefine((tasks, ctx) => {
    const seen = new Set<string>()
    tasks.forEach((task, i) => {
      if (seen.has(task.id)) ctx.addIssue({ code: 'custom', message: `duplicate task id \`${task.id}\``, path: [i, 'id'] })
      seen.add(task.id)
    })
  }),
})
export type BaselineHistory = z.infer<typeof BaselineHistorySchema>

/** The history file kept beside a committed baseline record: `x.json` -> `x.history.json`. */
export function baselineHistoryPathFor(baselineFile: string): string {
  return baselineFile.endsWith('.json') ? `${baselineFile.slice(0, -5)}.history.json` : `${baselineFile}.history.json`
}

/** True when the history holds trials of the record's harness version and model (and so may stand for it). */
export function historyMatches(history: BaselineHistory | undefined, record: RunRecord): history is BaselineHistory {
  return history !== undefined && history.harness.id === record.harness.id && history.model === record.model
}

/** True when the record's trials are already in the history. */
export function historyHolds(history: BaselineHistory, record: RunRecord): boolean {
  return history.folded.includes(recordFingerprint(record))
}

/**
 * Folds a run record into the history and returns the new history (the input is not changed). A history of
 * another harness version or model is started afresh from this record: trials of a different harness or model
 * say nothing about this one. A record already folded returns the history unchanged. Error trials are left out.
 */
export function foldBaselineHistory(history: BaselineHistory | undefined, record: RunRecord): BaselineHistory {
  const base = historyMatches(history, record) ? history : undefined
  const fingerprint = recordFingerprint(record)
  if (base && base.folded.includes(fingerprint)) return base
  const tasks = new Map<string, BaselineHistoryTask>((base?.tasks ?? []).map((t) => [t.id, t]))
  const seen = new Set<string>()
  for (const task of record.tasks) {
    if (seen.has(task.id)) continue
    seen.add(task.id)
    let passes = 0
    let fails = 0
    for (const trial of task.trials) {
      if (trial.outcome === 'pass') passes++
      else if (trial.outcome === 'fail') fails++
    }
    const before = tasks.get(task.id)
    tasks.set(task.id, {
      id: task.id,
      runs: (before?.runs ?? 0) + 1,
      trials: (before?.trials ?? 0) + passes + fails,
      passes: (before?.passes ?? 0) + passes,
    })
  }
  return {
    schemaVersion: BASELINE_HISTORY_SCHEMA_VERSION,
    kind: 'self-harness/baseline-history',
    harness: { name: record.harness.name, id: record.harness.id },
    model: record.model,
    updatedAt: record.createdAt,
    runs: (base?.runs ?? 0) + 1,
    folded: [...(base?.folded ?? []), fingerprint].slice(-BASELINE_HISTORY_FINGERPRINTS),
    tasks: [...tasks.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
  }
}

const BASELINE_HISTORY_FILE: JsonFileKind<BaselineHistory> = {
  schema: BaselineHistorySchema,
  label: 'baseline history',
  kind: 'self-harness/baseline-history',
  schemaVersion: BASELINE_HISTORY_SCHEMA_VERSION,
  corruptAdvice: 'not valid JSON. Restore it from version control or delete it to start again from the baseline record.',
}

/**
 * Reads a baseline history; a missing file is `undefined` (no history yet). An unreadable, corrupt or foreign
 * file is refused with a `ConfigurationError` naming the file and the field.
 */
export async function readBaselineHistory(file: string): Promise<BaselineHistory | undefined> {
  return readJsonFile(file, BASELINE_HISTORY_FILE)
}

/** Writes a baseline history atomically, after checking it against the schema. */
export async function writeBaselineHistory(file: string, history: BaselineHistory): Promise<void> {
  await writeJsonFile(file, BASELINE_HISTORY_FILE, history)
}
