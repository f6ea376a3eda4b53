import { z } from 'zod'
import { compilePattern } from './pattern.js'

/**
 * A pattern in a harness file, compiled by the linear-time engine when the file is read: one it refuses
 * (backreferences, lookarounds, too long, not valid) is refused with the file and the field.
 */
const PatternSource = z.string().superRefine((source, ctx) => {
  const result = compilePattern(source)
  if (!result.ok) ctx.addIssue({ code: 'custom', message: result.reason })
})

/** An integer limit within [min, max], refused with its range when outside. */
const bounded = (min: number, max: number) => {
  const error = `expected an integer from ${min} to ${max}`
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error })
}

/** Upper bounds of a harness's limits and lists: past these a run would never end in reasonable time. */
export const HARNESS_BOUNDS = Object.freeze({
  maxTurns: 200,
  commandTimeoutMs: 600_000,
  toolResultMaxChars: 200_000,
  maxMessages: 2_000,
  restateInstructionEvery: 200,
  toolTimeoutMs: 600_000,
  retries: 5,
  maxFinishRejections: 10,
  /** Before steps or after checks of one tool; final checks. */
  steps: 20,
  rules: 100,
  /** Characters of the system prompt, a rule, a description, a template or a command. */
  textChars: 100_000,
})

const text = () => z.string().min(1).max(HARNESS_BOUNDS.textChars)

/** Current version of the harness file format. */
export const HARNESS_SCHEMA_VERSION = 1

/** A shell command the harness runs itself before a tool call (a prerequisite step). */
export const BeforeStepSchema = z.strictObject({
  /** RE2 pattern tested on the call's main argument (the command, or the path); absent = always. */
  match: PatternSource.optional(),
  /** Shell command run in the workspace before the call. */
  run: text(),
})

/** An observation the harness adds to a tool result after the call. */
export const AfterCheckSchema = z.discriminatedUnion('kind', [
  /** Read the written file back and report whether its content is what was asked. */
  z.strictObject({ kind: z.literal('read-back') }),
  /** Report the exit code plainly and flag a non-zero one as a failure to handle. */
  z.strictObject({ kind: z.literal('exit-code') }),
  /** Run a shell command after matching calls and append its output. */
  z.strictObject({ kind: z.literal('run'), match: PatternSource.optional(), run: text() }),
])

/** How the harness wraps one tool. */
export const ToolSpecSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** The description the model sees. */
  description: text(),
  before: z.array(BeforeStepSchema).max(HARNESS_BOUNDS.steps).default([]),
  after: z.array(AfterCheckSchema).max(HARNESS_BOUNDS.steps).default([]),
  /** Extra attempts when the call fails (non-zero exit, timeout, exception). */
  retries: bounded(0, HARNESS_BOUNDS.retries).default(0),
  /** Time limit of one call in milliseconds (shell only). */
  timeoutMs: bounded(1, HARNESS_BOUNDS.toolTimeoutMs).optional(),
})

/** A check the harness runs when the model says it is done; a failing check sends the model back to work. */
export const FinalCheckSchema = z.discriminatedUnion('kind', [
  /** Run a command in the workspace; a non-zero exit rejects "done" with the output as feedback. */
  z.strictObject({ kind: z.literal('command'), run: text(), message: z.string().max(HARNESS_BOUNDS.textChars).optional() }),
  /** Ask the model to review its work against the task once before finishing. */
  z.strictObject({ kind: z.literal('reflect'), prompt: text() }),
])

/** The full harness: everything around the model that makes it an agent. */
export const HarnessSpecSchema = z.strictObject({
  schemaVersion: z.literal(HARNESS_SCHEMA_VERSION),
  name: z.string().min(1),
  description: z.string().optional(),
  /** Id of the version this one was derived from. */
  parent: z.string().optional(),
  systemPrompt: text(),
  /** Standing rules appended to the system prompt, one per line. */
  rules: z.array(text()).max(HARNESS_BOUNDS.rules).default([]),
  planning: z
    .strictObject({
      /** When on, the model is asked for a plan (with this template) before its first action. */
      enabled: z.boolean().default(false),
      template: z.string().max(HARNESS_BOUNDS.textChars).default('Plan:\n{steps}'),
    })
    .default({ enabled: false, template: 'Plan:\n{steps}' }),
  tools: z.strictObject({
    shell: ToolSpecSchema,
    read_file: ToolSpecSchema,
    write_file: ToolSpecSchema,
    finish: ToolSpecSchema,
  }),
  limits: z
    .strictObject({
      maxTurns: bounded(1, HARNESS_BOUNDS.maxTurns).default(20),
      /**
       * Wall-clock limit of a whole agent run, read for older harness files: a run setting now (`runTimeoutMs`,
       * `SELF_HARNESS_RUN_TIMEOUT_MS`) that wins over it, and not part of the harness id. At most one day.
       */
      runTimeoutMs: z.number().int().positive().max(86_400_000).default(120_000),
      commandTimeoutMs: bounded(1, HARNESS_BOUNDS.commandTimeoutMs).default(10_000),
      /** Characters of a tool result kept in the conversation. */
      toolResultMaxChars: bounded(1, HARNESS_BOUNDS.toolResultMaxChars).default(4_000),
    })
    .default({ maxTurns: 20, runTimeoutMs: 120_000, commandTimeoutMs: 10_000, toolResultMaxChars: 4_000 }),
  context: z
    .strictObject({
      /** Keep at most this many messages after the first user message; older ones are dropped. */
      maxMessages: bounded(1, HARNESS_BOUNDS.maxMessages).optional(),
      /** Repeat the task instruction to the model every N turns (0 = never). */
      restateInstructionEvery: bounded(0, HARNESS_BOUNDS.restateInstructionEvery).default(0),
    })
    .default({ restateInstructionEvery: 0 }),
  finalChecks: z.array(FinalCheckSchema).max(HARNESS_BOUNDS.steps).default([]),
  /** How many times the final checks may send the model back before the run ends as it is. */
  maxFinishRejections: bounded(0, HARNESS_BOUNDS.maxFinishRejections).default(2),
})

/** A harness file as written by a user (defaults not yet applied). */
export type HarnessSpecInput = z.input<typeof HarnessSpecSchema>
/** A validated harness with all defaults filled in. */
export type HarnessSpec = z.output<typeof HarnessSpecSchema>
export type ToolSpec = z.output<typeof ToolSpecSchema>
export type BeforeStep = z.output<typeof BeforeStepSchema>
export type AfterCheck = z.output<typeof AfterCheckSchema>
export type FinalCheck = z.output<typeof FinalCheckSchema>
/** Names of the harness's tools. */
export type ToolName = keyof HarnessSpec['tools']
