import { z } from 'zod'

/** Token counts of model calls. */
export const TokensSchema = z.strictObject({
  prompt: z.number().int().min(0),
  completion: z.number().int().min(0),
})
export type Tokens = z.infer<typeof TokensSchema>

const base = { t: z.number().min(0) } // milliseconds since the trial started

/** One line of a trace file. `kind` decides what the event carries. */
export const TraceEventSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    ...base,
    kind: z.literal('trial-start'),
    taskId: z.string(),
    trial: z.number().int().min(0),
    harnessId: z.string(),
    model: z.string(),
    instruction: z.string(),
  }),
  z.strictObject({ ...base, kind: z.literal('model-request'), turn: z.number().int(), messages: z.number().int() }),
  z.strictObject({
    ...base,
    kind: z.literal('model-response'),
    turn: z.number().int(),
    durationMs: z.number().min(0),
    content: z.string().nullable(),
    toolCalls: z.array(z.strictObject({ id: z.string(), name: z.string(), arguments: z.string() })),
    tokens: TokensSchema,
    /** Why the model stopped, as the endpoint said (`stop`, `tool_calls`, `length` = cut at the token limit); null when it did not. */
    finishReason: z.string().max(64).nullable().optional(),
    /** Tool calls of the answer beyond the per-answer cap: not run, not kept in the conversation. */
    toolCallsDropped: z.number().int().min(1).optional(),
  }),
  z.strictObject({
    ...base,
    kind: z.literal('tool-call'),
    turn: z.number().int(),
    id: z.string(),
    name: z.string(),
    arguments: z.unknown(),
  }),
  z.strictObject({
    ...base,
    kind: z.literal('tool-result'),
    turn: z.number().int(),
    id: z.string(),
    name: z.string(),
    ok: z.boolean(),
    durationMs: z.number().min(0),
    output: z.string(),
    truncated: z.boolean(),
  }),
  z.strictObject({
    ...base,
    kind: z.literal('harness-step'),
    step: z.enum(['before', 'after', 'final-check', 'restate', 'plan', 'retry']),
    detail: z.string(),
    ok: z.boolean(),
  }),
  z.strictObject({
    ...base,
    kind: z.literal('error'),
    source: z.enum(['model', 'tool', 'harness', 'sandbox', 'assertion']),
    code: z.string(),
    message: z.string(),
  }),
  z.strictObject({
    ...base,
    kind: z.literal('trial-end'),
    /** `failed`: the model failed the task in a way the loop could not go on from (context exceeded, output refused or cut). */
    status: z.enum(['finished', 'max-turns', 'failed', 'timeout', 'error']),
    turns: z.number().int(),
    toolCalls: z.number().int(),
    tokens: TokensSchema,
    durationMs: z.number().min(0),
  }),
])
export type TraceEvent = z.infer<typeof TraceEventSchema>
export type TraceEventKind = TraceEvent['kind']
/** A trace event before the recorder stamps its time. */
export type TraceEventInput = TraceEvent extends infer E ? (E extends { t: number } ? Omit<E, 't'> : never) : never
