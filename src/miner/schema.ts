import { z } from 'zod'
import { WeaknessCategorySchema } from './categories.js'

/** How often a weakness was seen: failing trials, distinct tasks, and the tasks looked at in all. */
export const FrequencySchema = z.strictObject({
  failures: z.number().int().min(1),
  tasks: z.number().int().min(1),
  ofTasks: z.number().int().min(1),
})
export type Frequency = z.infer<typeof FrequencySchema>

/** One recurring failure pattern, ranked in a mining report. */
export const WeaknessSchema = z.strictObject({
  /** `W-` and six hex digits of a hash of the signature: stable across runs. */
  id: z.string().regex(/^W-[0-9a-f]{6}$/),
  /** The pattern in words. */
  pattern: z.string().min(1),
  category: WeaknessCategorySchema,
  explanation: z.string(),
  /** The cluster's representative signature (see `signatureOfTrace`). */
  signature: z.string().min(1),
  frequency: FrequencySchema,
  /** Share of all task-trials lost to this weakness, in [0, 1]. */
  impact: z.number().min(0).max(1),
  /** Up to five task ids, sorted. */
  exampleTasks: z.array(z.string()).max(5),
  /** Up to three short excerpts from the traces: a failing command and its error, or the assertion. */
  evidence: z.array(z.string()).max(3),
  /** Who wrote `pattern`, `category` and `explanation`. */
  namedBy: z.enum(['model', 'rules']),
  /** Why the rules' naming was kept, when a model was asked but did not answer usably. */
  note: z.string().optional(),
})
export type Weakness = z.infer<typeof WeaknessSchema>

/** Counts of the trace files a mining run read. */
export const TraceCountsSchema = z.strictObject({
  /** Failing trials handed to the miner. */
  failures: z.number().int().min(0),
  /** Traces read (possibly with corrupt lines skipped). */
  read: z.number().int().min(0),
  /** Traces that could not be read at all (missing, unreadable, empty). */
  unreadable: z.number().int().min(0),
  /** Lines skipped because they were not valid JSON or not a valid trace event. */
  corruptLines: z.number().int().min(0),
})

/** The output of `self-harness mine`: ranked weaknesses and the signature index the validator uses. */
export const MiningReportSchema = z.strictObject({
  schemaVersion: z.literal(1),
  kind: z.literal('self-harness/weaknesses'),
  /** Tasks the failures were drawn from (passing ones included). */
  totalTasks: z.number().int().min(1),
  traces: TraceCountsSchema,
  weaknesses: z.array(WeaknessSchema),
  /** Every member signature of a reported cluster -> its weakness id. */
  bySignature: z.record(z.string(), z.string()),
  /** Problems met on the way (corrupt lines, unreadable traces, unusable model answers); capped. */
  warnings: z.array(z.string()),
})
export type MiningReport = z.infer<typeof MiningReportSchema>
