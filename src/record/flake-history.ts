import { z } from 'zod'
import { ConfigurationError } from '../errors.js'
import { hashOf } from '../json.js'
import type { RunRecord } from './schema.js'
import { readJsonFile, writeJsonFile, type JsonFileKind } from './json-file.js'

/** Current version of the flake history format. */
export const FLAKE_HISTORY_SCHEMA_VERSION = 1 as const

/** How many folded records' fingerprints the history keeps, to ignore a record folded twice. */
export const FLAKE_HISTORY_FINGERPRINTS = 200

const count = z.number().int().min(0)

/** One task's outcomes summed over every run folded into the history. */
export const FlakeTaskSchema = z
  .strictObject({
    id: z.string().min(1),
    /** Runs that listed the task. */
    runs: count,
    /** Valid (pass or fail) trials over those runs; error trials are left out. */
    trials: count,
    /** Passing trials among `trials`. */
    passes: count,
    /** Runs in which the task's valid trials were mixed: at least one pass and at least one fail. */
    mixedRuns: count,
    /** `createdAt` of the last record that listed the task. */
    updatedAt: z.string(),
  })
  .refine((t) => t.passes <= t.trials, { message: 'passes must not exceed trials', path: ['passes'] })
  .refine((t) => t.mixedRuns <= t.runs, { message: 'mixedRuns must not exceed runs', path: ['mixedRuns'] })
export type FlakeTask = z.infer<typeof FlakeTaskSchema>

/** Per-task flake history kept across runs. */
export const FlakeHistorySchema = z.strictObject({
  schemaVersion: z.literal(FLAKE_HISTORY_SCHEMA_VERSION),
  kind: z.literal('self-harness/flake-history'),
  /** `createdAt` of the last record folded in; null while empty. */
  updatedAt: z.string().nullable(),
  /** Runs folded in. */
  runs: count,
  /** Fingerprints of the last folded records (newest last), so folding a record again changes nothing. */
  folded: z.array(z.string()),
  /** Each task's summed outcomes, sorted by id, each id once. */
  tasks: z.array(FlakeTaskSchema).superRefine((tasks, ctx) => {
    const seen = new Set<string>()
    tasks.forEach((task, i) => {
      if (seen.has(task.id)) ctx.addIssue({ code: 'custom', message: `duplicate task id \`${task.id}\``, path: [i, 'id'] })
      seen.add(task.id)
    })
  }),
})
export type FlakeHistory = z.infer<typeof FlakeHistorySchema>

/** Options of {@link tooFlakyToBlock}. */
export interface TooFlakyOptions {
  /**
   * Fewest valid trials (over all runs) before a task can be judged too flaky.
   * @default 6
   */
  minTrials?: number
  /**
   * A task whose estimated flip rate is above this is too flaky to block.
   * @default 0.3
   */
  maxFlipRate?: number
}

/**
 * Chance that two valid trials of a task disagree (one passes, one fails), estimated without bias from its
 * `valid` trials of which `passes` passed: the share of disagreeing pairs among all pairs of distinct trials,
 * 2·s·(n−s) / (n·(n−1)) = 2·p·(1−p)·n/(n−1) with p = s/n. Null with fewer than two valid trials.
 */
export function estimateFlipRate(passes: number, valid: number): number | null {
  if (valid < 2) return null
  return (2 * passes * (valid - passes)) / (valid * (valid - 1))
}

/** A history with no runs in it. */
export function emptyFlakeHistory(): FlakeHistory {
  return {
    schemaVersion: FLAKE_HISTORY_SCHEMA_VERSION,
    kind: 'self-harness/flake-history',
    updatedAt: null,
    runs: 0,
    folded: [],
    tasks: [],
  }
}

/** Identity of a record for the history: its header, so the same record folded twice is recognised. */
export function recordFingerprint(record: RunRecord): string {
  const { createdAt, harness, model, taskSetHash, trials } = record
  return hashOf({ createdAt, harness, model, taskSetHash, trials })
}

/**
 * Folds one run record into the history and returns the new history (the input is not changed). Per task
 * it adds one run, the valid trials and passes, and one mixed run when the record's valid trials of the task
 * hold both a pass and a fail. Error trials are left out. A record already folded (same fingerprint among
 * the last {@link FLAKE_HISTORY_FINGERPRINTS}) returns the history unchanged.
 */
export function updateFlakeHistory(history: FlakeHistory, record: RunRecord): FlakeHistory {
  const fingerprint = recordFingerprint(record)
  if (history.folded.includes(fingerprint)) return history
  const tasks = new Map<string, FlakeTask>(history.tasks.map((t) => [t.id, t]))
  const seen = new Set<string>()
  for (const task of record.tasks) {
    // A duplicate id in one record counts once: the first listing wins, as one run of that task.
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
      mixedRuns: (before?.mixedRuns ?? 0) + (passes > 0 && fails > 0 ? 1 : 0),
      updatedAt: record.createdAt,
    })
  }
  return {
    ...history,
    updatedAt: record.createdAt,
    runs: history.runs + 1,
    folded: [...history.folded, fingerprint].slice(-FLAKE_HISTORY_FINGERPRINTS),
    tasks: [...tasks.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
  }
}

/**
 * Task ids too flaky to block, sorted: those with at least `minTrials` valid trials over all runs whose
 * estimated flip rate ({@link estimateFlipRate} over all those trials) is above `maxFlipRate`. Pass them to
 * the gate's `ignore` so they are reported, not gating. The rule pools runs, so feed it runs of one harness
 * (A/A runs of the baseline): a task that changed for good between harnesses would look flaky.
 */
export function tooFlakyToBlock(history: FlakeHistory, options: TooFlakyOptions = {}): string[] {
  const minTrials = options.minTrials ?? 6
  const maxFlipRate = options.maxFlipRate ?? 0.3
  if (!Number.isInteger(minTrials) || minTrials < 2) invalid('minTrials', 'an integer of at least 2', minTrials)
  if (typeof maxFlipRate !== 'number' || !(maxFlipRate >= 0 && maxFlipRate <= 1)) {
    invalid('maxFlipRate', 'in [0, 1]', maxFlipRate)
  }
  const out: string[] = []
  for (const task of history.tasks) {
    if (task.trials < minTrials) continue
    const flip = estimateFlipRate(task.passes, task.trials)
    if (flip !== null && flip > maxFlipRate) out.push(task.id)
  }
  return out.sort()
}

const FLAKE_HISTORY_FILE: JsonFileKind<FlakeHistory> = {
  schema: FlakeHistorySchema,
  label: 'flake history',
  kind: 'self-harness/flake-history',
  schemaVersion: FLAKE_HISTORY_SCHEMA_VERSION,
  corruptAdvice: 'not valid JSON (truncated or damaged). Delete it to start a new history.',
}

/**
 * Reads a flake history. A missing file is an empty history; an unreadable, corrupt or foreign file is refused
 * with a `ConfigurationError` naming the file and the field, and nothing of it is used.
 */
export async function readFlakeHistory(file: string): Promise<FlakeHistory> {
  return (await readJsonFile(file, FLAKE_HISTORY_FILE)) ?? emptyFlakeHistory()
}

/** Writes a flake history atomically (a temporary file, then a rename), after checking it against the schema. */
export async function writeFlakeHistory(file: string, history: FlakeHistory): Promise<void> {
  await writeJsonFile(file, FLAKE_HISTORY_FILE, history)
}

function invalid(field: string, expected: string, got: unknown): never {
  throw new ConfigurationError('CONFIG_INVALID', `Expected \`${field}\` to be ${expected}, got \`${String(got)}\``, {
    field,
  })
}
