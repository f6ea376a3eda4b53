import { z } from 'zod'
import { ModelError } from '../errors.js'
import { fieldName } from '../json.js'
import type { Tokens } from '../trace/events.js'

/** Largest token count one response may report for prompt or completion (sums over a run stay safe integers). */
export const MAX_TOKENS_PER_RESPONSE = 1_000_000_000
/** Longest tool-call id and tool name accepted; longer ones make the call malformed. */
const MAX_ID_CHARS = 512
const MAX_NAME_CHARS = 256
/** Longest tool-call arguments accepted; longer ones make the call malformed (a tool result says so). */
const MAX_ARGUMENT_CHARS = 100_000
/** Longest answer text kept; the rest is cut, with a note, before it reaches the history or the trace. */
export const MAX_CONTENT_CHARS = 200_000

const described = <T>(check: (value: unknown) => value is T, expected: string) => z.custom<T>(check, { error: expected })
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= MAX_TOKENS_PER_RESPONSE
const isTextOrNull = (v: unknown): v is string | null => v === null || typeof v === 'string'
const isArrayOrNull = (v: unknown): v is unknown[] | null => v === null || Array.isArray(v)
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

const COUNT = `a non-negative integer of at most ${MAX_TOKENS_PER_RESPONSE}`

/** The part of a chat-completions response the loop uses. Absent fields are tolerated; wrong ones are not. */
const CompletionSchema = z.object({
  choices: described((v): v is [unknown, ...unknown[]] => Array.isArray(v) && v.length > 0, 'a non-empty array'),
  usage: z
    .object(
      {
        prompt_tokens: described(isCount, COUNT).optional(),
        completion_tokens: described(isCount, COUNT).optional(),
      },
      { error: 'an object or null' },
    )
    .nullable()
    .optional(),
})

const ChoiceSchema = z.object(
  {
    message: z.object(
      {
        content: described(isTextOrNull, 'a string or null').optional(),
        tool_calls: described(isArrayOrNull, 'an array or null').optional(),
      },
      { error: 'an object' },
    ),
    finish_reason: described(isTextOrNull, 'a string or null').optional(),
  },
  { error: 'an object' },
)

const ToolCallSchema = z.object(
  {
    id: described((v): v is string => typeof v === 'string' && v.length > 0 && v.length <= MAX_ID_CHARS, `a non-empty string of at most ${MAX_ID_CHARS} characters`),
    type: described((v): v is 'function' => v === 'function', '"function"').optional(),
    function: z.object(
      {
        name: described((v): v is string => typeof v === 'string' && v.length > 0 && v.length <= MAX_NAME_CHARS, `a non-empty string of at most ${MAX_NAME_CHARS} characters`),
        arguments: described((v): v is string => typeof v === 'string', 'a string').refine((v) => v.length <= MAX_ARGUMENT_CHARS, { error: `a string of at most ${MAX_ARGUMENT_CHARS} characters` }),
      },
      { error: 'an object' },
    ),
  },
  { error: 'an object' },
)

/** One tool call of a response. `problem` is set when the call itself is malformed; it is then never run. */
export interface ReplyToolCall {
  /** The call's id, or one made up (`invalid-<n>`) when the model's is missing, malformed or repeated. */
  id: string
  /** The tool's name, or `invalid` when the model's is not a usable name. */
  name: string
  /** The arguments as sent (a string), or a short JSON rendering of a malformed call. */
  arguments: string
  /** What is wrong with the call, in words the model can read. */
  problem?: string
}

/** A chat-completions response after validation: only values the loop, the trace and the record can hold. */
export interface ModelReply {
  content: string | null
  toolCalls: ReplyToolCall[]
  /** `stop`, `tool_calls`, `length` (cut at the token limit), ... as the endpoint said; null when it did not. */
  finishReason: string | null
  tokens: Tokens
}

/** A value as a short quote for an error message. */
export function preview(value: unknown, max = 80): string {
  if (value === undefined) return 'nothing'
  let text: string
  try {
    text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value))
  } catch {
    text = String(value)
  }
  return text.length > max ? `${text.slice(0, max - 3)}...` : text
}

function valueAt(root: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let value = root
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined
    value = (value as Record<PropertyKey, unknown>)[key]
  }
  return value
}

function badField(root: unknown, prefix: ReadonlyArray<PropertyKey>, error: z.ZodError): ModelError {
  const issue = error.issues[0]!
  const path = [...prefix, ...issue.path]
  return new ModelError(
    `The model endpoint sent an unusable response: expected \`${fieldName(path)}\` to be ${issue.message}, got \`${preview(valueAt(root, path))}\`.`,
    { code: 'MODEL_BAD_RESPONSE' },
  )
}

/** Says what a body that is not a JSON object is, for the error message. */
function describeBody(body: unknown, contentType: string | undefined): string {
  const type = contentType ? ` (content type \`${preview(contentType, 60).slice(1, -1)}\`)` : ''
  if (body === undefined || body === null || body === '') return `an empty body${type}`
  if (typeof body === 'string') {
    const text = body.trimStart()
    if (/^data:|^event:/.test(text) || contentType?.includes('event-stream')) return `an event stream${type}; streaming is not used, answer with one JSON object`
    if (/^<(!doctype|html|\?xml)/i.test(text)) return `an HTML or XML page${type}: ${preview(text, 120)}`
    return `text that is not a JSON object${type}: ${preview(text, 120)}`
  }
  return `${Array.isArray(body) ? 'an array' : typeof body}${type}: ${preview(body)}`
}

/**
 * Validates a chat-completions response body before anything reads it. A response that cannot be used throws a
 * {@link ModelError} `MODEL_BAD_RESPONSE` naming the field and what arrived; a single malformed tool call does not:
 * it comes back with a `problem`, for the loop to answer as a tool result.
 */
export function parseCompletion(body: unknown, options: { contentType?: string } = {}): ModelReply {
  if (!isObject(body)) {
    throw new ModelError(`The model endpoint sent an unusable response: expected a JSON chat completion, got ${describeBody(body, options.contentType)}.`, {
      code: 'MODEL_BAD_RESPONSE',
    })
  }
  const top = CompletionSchema.safeParse(body)
  if (!top.success) throw badField(body, [], top.error)
  const choice = ChoiceSchema.safeParse(top.data.choices[0])
  if (!choice.success) throw badField(body, ['choices', 0], choice.error)
  const message = choice.data.message
  const usage = top.data.usage
  const seen = new Set<string>()
  const toolCalls = (message.tool_calls ?? []).map((raw, index) => readToolCall(raw, index, seen))
  return {
    content: capContent(message.content ?? null),
    toolCalls,
    finishReason: choice.data.finish_reason ?? null,
    tokens: { prompt: usage?.prompt_tokens ?? 0, completion: usage?.completion_tokens ?? 0 },
  }
}

function capContent(content: string | null): string | null {
  if (content === null || content.length <= MAX_CONTENT_CHARS) return content
  return `${content.slice(0, MAX_CONTENT_CHARS)}\n... [${content.length - MAX_CONTENT_CHARS} more characters cut]`
}

function readToolCall(raw: unknown, index: number, seen: Set<string>): ReplyToolCall {
  const parsed = ToolCallSchema.safeParse(raw)
  if (parsed.success && !seen.has(parsed.data.id)) {
    seen.add(parsed.data.id)
    return { id: parsed.data.id, name: parsed.data.function.name, arguments: parsed.data.function.arguments }
  }
  let id = `invalid-${index}`
  while (seen.has(id)) id += '_'
  seen.add(id)
  const given = valueAt(raw, ['function', 'name'])
  const name = typeof given === 'string' && given.length > 0 && given.length <= MAX_NAME_CHARS ? given : 'invalid'
  let problem: string
  if (parsed.success) problem = `the id \`${preview(parsed.data.id)}\` was already used by another call of the same answer`
  else {
    const issue = parsed.error.issues[0]!
    problem = `expected \`${fieldName(issue.path)}\` to be ${issue.message}, got \`${preview(valueAt(raw, issue.path))}\``
  }
  return { id, name, arguments: preview(raw, 2_000), problem: `tool call ${index} is malformed: ${problem}` }
}
