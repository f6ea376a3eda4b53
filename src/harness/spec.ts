import { z } from 'zod'

const isRegExp = (source: string): boolean => {
  try {
    new RegExp(source)
    return true
  } catch {
    return false
  }
}
/** A regular expression in a harness file, checked when the file is read. */
const RegExpSource = z.string().refine(isRegExp, 'not a valid regular expression')

/** Current version of the harness file format. */
export const HARNESS_SCHEMA_VERSION = 1

/** A shell command the harness runs itself before a tool call (a prerequisite step). */
export const BeforeStepSchema = z.strictObject({
  /** Regular expression tested on the call's main argument (the command, or the path); absent = always. */
  match: RegExpSource.optional(),
  /** Shell command run in the workspace before the call. */
  run: z.string().min(1),
})

/** An observation the harness adds to a tool result after the call. */
export const AfterCheckSchema = z.discriminatedUnion('kind', [
  /** Read the written file back and report whether its content is what was asked. */
  z.strictObject({ kind: z.literal('read-back') }),
  /** Report the exit code plainly and flag a non-zero one as a failure to handle. */
  z.strictObject({ kind: z.literal('exit-code') }),
  /** Run a shell command after matching calls and append its output. */
  z.strictObject({ kind: z.literal('run'), match: RegExpSource.optional(), run: z.string().min(1) }),
])

/** How the harness wraps one tool. */
export const ToolSpecSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** The description the model sees. */
  description: z.string().min(1),
  before: z.array(BeforeStepSchema).default([]),
  after: z.array(AfterCheckSchema).default([]),
  /** Extra attempts when the call fails (non-zero exit, timeout, exception). */
  retries: z.number().int().min(0).max(5).default(0),
  /** Time limit of one call in milliseconds (shell only). */
  timeoutMs: z.number().int().positive().max(600_000).optional(),
})

/** A check the harness runs when the model says it is done; a failing check sends the model back to work. */
export const FinalCheckSchema = z.discriminatedUnion('kind', [
  /** Run a command in the workspace; a non-zero exit rejects "done" with the output as feedback. */
  z.strictObject({ kind: z.literal('command'), run: z.string().min(1), message: z.string().optional() }),
  /** Ask the model to review its work against the task once before finishing. */
  z.strictObject({ kind: z.literal('reflect'), prompt: z.string().min(1) }),
])

/** The full harness: everything around the model that makes it an agent. */
export const HarnessSpecSchema = z.strictObject({
  schemaVersion: z.literal(HARNESS_SCHEMA_VERSION),
  name: z.string().min(1),
  description: z.string().optional(),
  /** Id of the version this one was derived from. */
  parent: z.string().optional(),
  systemPrompt: z.string().min(1),
  /** Standing rules appended to the system prompt, one per line. */
  rules: z.array(z.string().min(1)).default([]),
  planning: z
    .strictObject({
      /** When on, the model is asked for a plan (with this template) before its first action. */
      enabled: z.boolean().default(false),
      template: z.string().default('Plan:\n{steps}'),
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
      maxTurns: z.number().int().positive().max(200).default(20),
      /**
       * Wall-clock limit of a whole agent run, read for older harness files: a run setting now (`runTimeoutMs`,
       * `SELF_HARNESS_RUN_TIMEOUT_MS`) that wins over it, and not part of the harness id. At most one day.
       */
      runTimeoutMs: z.number().int().positive().max(86_400_000).default(120_000),
      commandTimeoutMs: z.number().int().positive().max(600_000).default(10_000),
      /** Characters of a tool result kept in the conversation. */
      toolResultMaxChars: z.number().int().positive().max(1_000_000).default(4_000),
    })
    .default({ maxTurns: 20, runTimeoutMs: 120_000, commandTimeoutMs: 10_000, toolResultMaxChars: 4_000 }),
  context: z
    .strictObject({
      /** Keep at most this many messages after the first user message; older ones are dropped. */
      maxMessages: z.number().int().positive().max(100_000).optional(),
      /** Repeat the task instruction to the model every N turns (0 = never). */
      restateInstructionEvery: z.number().int().min(0).max(1_000).default(0),
    })
    .default({ restateInstructionEvery: 0 }),
  finalChecks: z.array(FinalCheckSchema).default([]),
  /** How many times the final checks may send the model back before the run ends as it is. */
  maxFinishRejections: z.number().int().min(0).max(10).default(2),
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
