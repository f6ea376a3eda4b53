import { z } from 'zod'
import { TokensSchema } from '../trace/events.js'

/** Current version of the run record format. */
export const RECORD_SCHEMA_VERSION = 1

/** What one trial ended as. `error` is the infrastructure failing and never counts as the task failing. */
export const OutcomeSchema = z.enum(['pass', 'fail', 'error'])
export type Outcome = z.infer<typeof OutcomeSchema>

/** One attempt at one task. */
export const TrialSchema = z.strictObject({
  index: z.number().int().min(0),
  outcome: OutcomeSchema,
  durationMs: z.number().min(0),
  tokens: TokensSchema,
  turns: z.number().int().min(0),
  toolCalls: z.number().int().min(0),
  /** Path of the JSONL trace, relative to the record file's directory when possible. */
  tracePath: z.string().optional(),
  /** Agent run status: finished, max-turns, failed, timeout, error; absent when no agent ran. */
  status: z.string().optional(),
  /** Short reason for a fail or an error. */
  reason: z.string().optional(),
})
export type Trial = z.infer<typeof TrialSchema>

/** The wall-clock budgets a run used (run settings: recorded, not part of the harness id). */
export const RunSettingsRecordSchema = z.strictObject({
  /** Time limit of one agent run, in milliseconds, after the time scale. */
  runTimeoutMs: z.number().int().positive(),
  /** Time limit of one model request, in milliseconds, after the time scale. */
  requestTimeoutMs: z.number().int().positive(),
  /** Factor every wall-clock budget was multiplied by. */
  timeScale: z.number().positive(),
  /** `max_tokens` sent with every request, when one was. */
  maxTokens: z.number().int().positive().optional(),
})

/** One task (one vitest test) and its trials. */
export const TaskRecordSchema = z.strictObject({
  /** Stable id: `<file relative to root> > <suite> > <test name>`. */
  id: z.string().min(1),
  file: z.string(),
  name: z.string(),
  trials: z.array(TrialSchema),
})
export type TaskRecord = z.infer<typeof TaskRecordSchema>

/** The record of one run of a task set under one harness version. */
export const RunRecordSchema = z.strictObject({
  schemaVersion: z.literal(RECORD_SCHEMA_VERSION),
  kind: z.literal('self-harness/run-record'),
  createdAt: z.string(),
  harness: z.strictObject({ name: z.string(), id: z.string() }),
  model: z.string(),
  /** Hash of the sorted task ids: two records are comparable only when it matches. */
  taskSetHash: z.string(),
  /** Trials requested per task. */
  trials: z.number().int().positive(),
  /** The run settings in force, when the run recorded them. */
  settings: RunSettingsRecordSchema.optional(),
  tasks: z.array(TaskRecordSchema),
})
export type RunRecord = z.infer<typeof RunRecordSchema>
