import { readFileSync, writeFileSync } from 'node:fs'
import { z } from 'zod'
import { ConfigurationError } from '../errors.js'

/**
 * The environment variable that names a run request file. It is how the `self-harness` command, evolve, adaptive
 * trials and calibrate steer the plugin inside the vitest process they start: one validated file instead of a
 * variable per choice. The variables users set themselves (`SELF_HARNESS`, `SELF_HARNESS_TRIALS`, the run settings)
 * stay; the request wins over them.
 */
export const RUN_REQUEST_ENV = 'SELF_HARNESS_RUN_REQUEST'

const path = z.string().min(1).max(4096)
const count = (max: number) => z.number().int().min(1).max(max)

/** Run settings a request may give; each is checked again, with its field named, where it is used. */
export const RunRequestSettingsSchema = z
  .object({
    concurrency: count(256),
    runTimeoutMs: count(86_400_000),
    requestTimeoutMs: count(86_400_000),
    timeScale: z.number().min(0.1).max(100),
    maxTokens: count(1_000_000),
  })
  .partial()
  .strict()

/** What one vitest run is asked to do: which tasks, under which harness, how many trials, with which settings. */
export const RunRequestSchema = z
  .object({
    version: z.literal(1),
    /** Harness version to run (a file `<harnessDir>/<harness>.json`). */
    harness: z.string().min(1).max(200).optional(),
    harnessDir: path.optional(),
    /** The agent module (relative to the vitest root) whose harness format and run are used; absent, the built-in loop. */
    agent: path.optional(),
    /** Where records and traces go. */
    outputDir: path.optional(),
    trials: count(100_000).optional(),
    /** The only task ids to run; absent, every task. */
    taskIds: z.array(z.string().min(1).max(2_000)).max(100_000).optional(),
    /** A record this run extends (adaptive trials): its trials are kept, only missing ones run. */
    extend: path.optional(),
    /** The baseline record to gate against. */
    baseline: path.optional(),
    /** `false`: do not gate, even with a baseline. */
    gate: z.boolean().optional(),
    fresh: z.boolean().optional(),
    retryErrors: z.boolean().optional(),
    mine: z.boolean().optional(),
    report: z.boolean().optional(),
    settings: RunRequestSettingsSchema.optional(),
    /** Where the plugin writes the {@link RunOutcome} for the process that asked. */
    outcomeFile: path.optional(),
  })
  .strict()

export type RunRequest = z.infer<typeof RunRequestSchema>
export type RunRequestSettings = z.infer<typeof RunRequestSettingsSchema>

/** What a run tells the process that asked for it: where its record and verdict are, or why it did not start. */
export const RunOutcomeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('startup-error'), code: z.string().max(100), message: z.string().max(100_000) }).strict(),
  z.object({ kind: z.literal('run'), recordFile: path, verdictFile: path.optional(), baselineFile: path.optional() }).strict(),
])

export type RunOutcome = z.infer<typeof RunOutcomeSchema>

function fieldOf(error: z.ZodError): string {
  const issue = error.issues[0]
  return `${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`
}

/** Reads and validates a run request; a bad one is a configuration error naming the file and the field. */
export function readRunRequest(file: string): RunRequest {
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'))
  } catch (cause) {
    throw new ConfigurationError('CONFIG_INVALID', `Cannot read the run request ${file} (${RUN_REQUEST_ENV}): ${(cause as Error).message}`, { cause, file })
  }
  const parsed = RunRequestSchema.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new ConfigurationError('CONFIG_INVALID', `Invalid run request ${file} (${RUN_REQUEST_ENV}): ${fieldOf(parsed.error)}`, { file, field: issue?.path.join('.') })
  }
  return parsed.data
}

/** The request named by the environment, if any. */
export function runRequestFromEnv(env: NodeJS.ProcessEnv = process.env): RunRequest | undefined {
  const file = env[RUN_REQUEST_ENV]
  return file ? readRunRequest(file) : undefined
}

/** Writes a run's outcome where its request asked (validated first, so the reader never meets a bad one). */
export function writeRunOutcome(file: string, outcome: RunOutcome): void {
  writeFileSync(file, JSON.stringify(RunOutcomeSchema.parse(outcome)))
}

/** Reads the outcome a run wrote; `undefined` when it wrote none (it was killed, or vitest stopped before it). */
export function readRunOutcome(file: string): RunOutcome | undefined {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
  const parsed = RunOutcomeSchema.safeParse(JSON.parse(text))
  if (!parsed.success) throw new ConfigurationError('CONFIG_INVALID', `Invalid run outcome ${file}: ${fieldOf(parsed.error)}`, { file })
  return parsed.data
}
