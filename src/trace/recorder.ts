import type { TraceEvent, Tokens } from './events.js'
import { argumentText, argumentValue, code, count, cut, duration, jsonText, MAX_MESSAGE, MAX_NAME, MAX_TEXT, optionalText, sameArguments, text } from './bounds.js'
import { createTraceRecorder, type TraceRecorder } from './writer.js'

export { MAX_MESSAGE, MAX_NAME, MAX_TEXT } from './bounds.js'

/** A tool call the model asked for, as an agent reports it. */
export interface ReportedToolCall {
  /** The call's id; absent, one is made up. */
  id?: string
  name: string
  /** The arguments: a JSON string or a value. */
  arguments?: unknown
}

/** One model call, as an agent reports it. Everything is untrusted: bounded and checked before it is recorded. */
export interface ModelCall {
  /** The model that answered (kept in {@link AgentRecorder.models}; trace events name the model once, at the trial's start). */
  model?: string
  /** Messages sent in the request. */
  messages?: number
  /** The answer's text. */
  content?: string | null
  toolCalls?: readonly ReportedToolCall[]
  tokens?: { prompt?: number; completion?: number }
  /** Why the model stopped, as the endpoint said (`stop`, `tool_calls`, `length`). */
  finishReason?: string | null
  durationMs?: number
  /** The call failed: recorded as an `error` event of source `model`. */
  error?: { code?: string; message?: string }
}

/** One tool execution, as an agent reports it. */
export interface ToolCall {
  /** The call's id; absent, the model's latest call of this name not yet answered, else a made-up one. */
  id?: string
  name: string
  /** The arguments: a JSON string (parsed when it is one) or a value. */
  arguments?: unknown
  /** What the tool returned; a value that is not a string is recorded as its JSON. */
  output?: unknown
  /** @default true, or false when `error` is set */
  ok?: boolean
  /** The tool failed: its message becomes the output when there is none. */
  error?: string
  durationMs?: number
}

/** How a run ended, for {@link AgentRecorder.end}. */
export type RecordedStatus = Extract<TraceEvent, { kind: 'trial-end' }>['status']

/** Records an agent's model calls and tool calls as trace events; for agents that do not emit OpenTelemetry spans. */
export interface AgentRecorder {
  /** The trace the events go to. */
  readonly trace: TraceRecorder
  /** Model calls recorded so far (each is a turn). */
  readonly turns: number
  /** Tool calls recorded so far. */
  readonly toolCalls: number
  /** Tokens of the model calls recorded so far. */
  readonly tokens: Readonly<Tokens>
  /** Distinct model names seen in model calls (at most 10). */
  readonly models: readonly string[]
  /** Opens the trial with a `trial-start` event; the runner does this for adapters, so call it only when recording alone. */
  start(trial: { taskId: string; trial?: number; harnessId: string; model: string; instruction: string }): void
  /** A model call: a `model-request` and a `model-response` (and an `error` when it failed). */
  modelCall(call: ModelCall): void
  /** A tool execution: a `tool-call` and its `tool-result`. */
  toolCall(call: ToolCall): void
  /** Free text about what the agent does, kept beside the steps (a `harness-step` of step `plan`; the schema has no kind for notes). */
  note(text: string): void
  /** An error outside model and tool calls. */
  error(error: { source?: 'model' | 'tool' | 'harness' | 'sandbox'; code?: string; message: string }): void
  /** Closes the trial with a `trial-end` event holding the totals; the runner does this for adapters. */
  end(status: RecordedStatus, durationMs?: number): void
}

/** Tool calls of one model answer kept. */
const MAX_CALLS_PER_ANSWER = 64
/** Tool calls remembered to match results to calls. */
const MAX_PENDING = 256

/**
 * Makes a recorder of an agent's steps over a trace (by default one kept in memory). Its methods never throw: a
 * value of the wrong type is dropped or replaced by a safe one, and texts are cut to the bounds above.
 */
export function createAgentRecorder(trace: TraceRecorder = createTraceRecorder()): AgentRecorder {
  let turns = 0
  let toolCalls = 0
  const tokens = { prompt: 0, completion: 0 }
  const models: string[] = []
  /** Calls of the model's answers not yet answered by a tool result, oldest first. */
  const pending: Pending[] = []
  let made = 0
  const madeId = (): string => `call-${++made}`
  const guard = (what: string, fn: () => void): void => {
    try {
      fn()
    } catch (cause) {
      // A bug or a hostile value (a getter that throws): the trace says so instead of the agent failing.
      try {
        trace.record({ kind: 'error', source: 'harness', code: 'TRACE_INPUT_INVALID', message: cut(`A ${what} could not be recorded: ${messageOf(cause)}`, MAX_MESSAGE) })
      } catch {
        // nothing left to do
      }
    }
  }
  return {
    trace,
    get turns() {
      return turns
    },
    get toolCalls() {
      return toolCalls
    },
    get tokens() {
      return { ...tokens }
    },
    get models() {
      return [...models]
    },
    start(trial) {
      guard('trial start', () => {
        trace.record({
          kind: 'trial-start',
          taskId: text(trial.taskId, MAX_TEXT),
          trial: count(trial.trial),
          harnessId: text(trial.harnessId, MAX_NAME),
          model: text(trial.model, MAX_NAME),
          instruction: text(trial.instruction, MAX_TEXT),
        })
      })
    },
    modelCall(call) {
      guard('model call', () => {
        if (!call || typeof call !== 'object') throw new TypeError(`expected an object, got ${call === null ? 'null' : typeof call}`)
        // Everything is read before anything is counted or recorded: a value that throws leaves no half of a call.
        const model = optionalText(call.model, MAX_NAME)
        const used = { prompt: count(call.tokens?.prompt), completion: count(call.tokens?.completion) }
        const asked = Array.isArray(call.toolCalls) ? call.toolCalls : []
        const read = asked.slice(0, MAX_CALLS_PER_ANSWER).flatMap((c) => {
          const name = optionalText(c?.name, MAX_NAME)
          return name ? [{ id: optionalText(c.id, MAX_NAME), name, arguments: argumentText(c.arguments) }] : []
        })
        const messages = count(call.messages)
        const durationMs = duration(call.durationMs)
        const content = typeof call.content === 'string' ? cut(call.content, MAX_TEXT) : null
        const finishReason = optionalText(call.finishReason, 64) ?? null
        const error = call.error ? { code: code(call.error.code, 'MODEL_ERROR'), message: text(call.error.message ?? 'The model call failed.', MAX_MESSAGE) } : undefined

        const calls = read.map((c) => {
          const id = c.id ?? madeId()
          remember(pending, { id, name: c.name, args: sameArguments(c.arguments) })
          return { id, name: c.name, arguments: c.arguments }
        })
        if (model && !models.includes(model) && models.length < 10) models.push(model)
        tokens.prompt += used.prompt
        tokens.completion += used.completion
        const turn = ++turns
        const dropped = asked.length - calls.length
        trace.record({ kind: 'model-request', turn, messages })
        trace.record({ kind: 'model-response', turn, durationMs, content, toolCalls: calls, tokens: used, finishReason, ...(dropped > 0 ? { toolCallsDropped: dropped } : {}) })
        if (error) trace.record({ kind: 'error', source: 'model', ...error })
      })
    },
    toolCall(call) {
      guard('tool call', () => {
        if (!call || typeof call !== 'object') throw new TypeError(`expected an object, got ${call === null ? 'null' : typeof call}`)
        const name = optionalText(call.name, MAX_NAME) ?? 'unknown'
        const given = optionalText(call.id, MAX_NAME)
        // Without an id: the model's unanswered call of this name with the same arguments (tools may end out of
        // order when they run in parallel), else its oldest unanswered call of this name.
        const args = argumentValue(call.arguments)
        const key = sameArguments(args)
        const at = given
          ? pending.findIndex((p) => p.id === given)
          : ((i) => (i >= 0 ? i : pending.findIndex((p) => p.name === name)))(pending.findIndex((p) => p.name === name && p.args === key))
        const id = given ?? (at >= 0 ? pending[at]!.id : madeId())
        const turn = turns
        const failed = typeof call.error === 'string' && call.error.length > 0
        const ok = typeof call.ok === 'boolean' ? call.ok : !failed
        const raw = call.output === undefined || call.output === null ? (failed ? call.error! : '') : typeof call.output === 'string' ? call.output : jsonText(call.output)
        const output = cut(raw, MAX_TEXT)
        const durationMs = duration(call.durationMs)
        if (at >= 0) pending.splice(at, 1)
        toolCalls++
        trace.record({ kind: 'tool-call', turn, id, name, arguments: args })
        trace.record({ kind: 'tool-result', turn, id, name, ok, durationMs, output, truncated: output.length < raw.length })
      })
    },
    note(note) {
      guard('note', () => trace.record({ kind: 'harness-step', step: 'plan', detail: text(note, MAX_MESSAGE), ok: true }))
    },
    error(error) {
      guard('error', () => {
        const source = error.source === 'model' || error.source === 'tool' || error.source === 'sandbox' ? error.source : 'harness'
        trace.record({ kind: 'error', source, code: code(error.code, 'AGENT_ERROR'), message: text(error.message, MAX_MESSAGE) })
      })
    },
    end(status, durationMs) {
      guard('trial end', () => {
        const known: readonly RecordedStatus[] = ['finished', 'max-turns', 'failed', 'timeout', 'error']
        const ended = known.includes(status) ? status : 'error'
        const last = trace.events.at(-1)?.t ?? 0
        trace.record({ kind: 'trial-end', status: ended, turns, toolCalls, tokens: { ...tokens }, durationMs: durationMs === undefined ? last : duration(durationMs) })
      })
    },
  }
}

/** A tool call of a model answer not yet answered by a result. */
interface Pending {
  id: string
  name: string
  /** Its arguments in a form that compares equal for equal arguments. */
  args: string
}

function remember(pending: Pending[], call: Pending): void {
  pending.push(call)
  if (pending.length > MAX_PENDING) pending.shift()
}

function messageOf(error: unknown): string {
  try {
    return error instanceof Error ? error.message : String(error)
  } catch {
    return 'unknown error'
  }
}
