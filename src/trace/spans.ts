import { createAgentRecorder, type AgentRecorder } from './recorder.js'
import type { TraceEvent } from './events.js'
import type { TraceRecorder } from './writer.js'

/**
 * A recorder that counts what it records through calls of its own (the shape of the trace an agent adapter gets in
 * its run context): mapped steps go through these calls, so its turn and tool-call counts include them.
 */
export interface StepSink {
  recordModelCall(call: { content: string | null; toolCalls: Array<{ id: string; name: string; arguments: unknown }>; tokens: { prompt: number; completion: number }; durationMs: number; finishReason: string | null; messages: number }): void
  recordToolCall(call: { id: string; name: string; arguments: unknown; output: string; ok: boolean; durationMs: number }): void
  recordError?(code: string, message: string, source?: 'model' | 'tool' | 'harness' | 'sandbox'): void
  recordStep?(step: 'plan', detail: string, ok?: boolean): void
}

/** Where mapped spans go: an agent recorder, a trace recorder, a step sink, or a function choosing one per span (undefined: dropped). */
export type SpanTarget<S> = AgentRecorder | TraceRecorder | StepSink | ((span: S) => AgentRecorder | TraceRecorder | StepSink | undefined)

/**
 * Resolves a span target to the agent recorder of a span. A trace recorder is wrapped once, so its turn count and
 * pending tool calls carry over from span to span.
 */
export function spanTargetResolver<S>(target: SpanTarget<S>): (span: S) => AgentRecorder | undefined {
  const wrapped = new WeakMap<object, AgentRecorder>()
  const asAgent = (value: AgentRecorder | TraceRecorder | StepSink | undefined): AgentRecorder | undefined => {
    if (!value || typeof value !== 'object') return undefined
    if ('modelCall' in value && typeof value.modelCall === 'function') return value
    let agent = wrapped.get(value)
    if (agent) return agent
    if ('recordModelCall' in value && typeof value.recordModelCall === 'function' && typeof value.recordToolCall === 'function') agent = createAgentRecorder(sinkTrace(value))
    else if ('record' in value && typeof value.record === 'function') agent = createAgentRecorder(value)
    if (agent) wrapped.set(value, agent)
    return agent
  }
  if (typeof target === 'function') return (span) => asAgent(target(span))
  const fixed = asAgent(target)
  return () => fixed
}

/**
 * A trace recorder that hands the events an agent recorder writes (already bounded and checked) to a step sink's
 * calls: a request and its response as one model call, a call and its result as one tool call.
 */
function sinkTrace(sink: StepSink): TraceRecorder {
  const events: TraceEvent[] = []
  let messages = 0
  const calls = new Map<string, unknown>()
  return {
    events,
    path: undefined,
    close: () => Promise.resolve(),
    record(input) {
      const event = { t: 0, ...input } as TraceEvent
      switch (event.kind) {
        case 'model-request':
          messages = event.messages
          break
        case 'model-response':
          sink.recordModelCall({ content: event.content, toolCalls: event.toolCalls, tokens: event.tokens, durationMs: event.durationMs, finishReason: event.finishReason ?? null, messages })
          break
        case 'tool-call':
          calls.set(event.id, event.arguments)
          break
        case 'tool-result':
          sink.recordToolCall({ id: event.id, name: event.name, arguments: calls.get(event.id) ?? {}, output: event.output, ok: event.ok, durationMs: event.durationMs })
          calls.delete(event.id)
          break
        case 'error':
          sink.recordError?.(event.code, event.message, event.source === 'assertion' ? 'harness' : event.source)
          break
        case 'harness-step':
          if (event.step === 'plan') sink.recordStep?.('plan', event.detail, event.ok)
          break
        default:
          break
      }
      return event
    },
  }
}

/** An own property of an untrusted object, or undefined (never a getter's exception). */
export function own(value: unknown, key: string): unknown {
  if (!value || typeof value !== 'object') return undefined
  try {
    return Object.prototype.hasOwnProperty.call(value, key) ? (value as Record<string, unknown>)[key] : undefined
  } catch {
    return undefined
  }
}

/** A property of an untrusted object, own or inherited (a class's getter), or undefined if reading it throws. */
export function prop(value: unknown, key: string): unknown {
  if (!value || typeof value !== 'object' || key === '__proto__' || key === 'constructor') return undefined
  try {
    return (value as Record<string, unknown>)[key]
  } catch {
    return undefined
  }
}

/** Longest JSON text parsed from an attribute; longer ones are treated as text. */
const MAX_JSON_CHARS = 1_000_000

/** The value of a JSON text, or undefined when it is not JSON or is too long. */
export function parseJson(value: unknown): unknown {
  if (typeof value !== 'string' || value.length > MAX_JSON_CHARS) return undefined
  try {
    return JSON.parse(value)
  } catch {
    return undefined
  }
}

/** Milliseconds between two ISO timestamps, or undefined. */
export function isoDuration(start: unknown, end: unknown): number | undefined {
  if (typeof start !== 'string' || typeof end !== 'string') return undefined
  const ms = Date.parse(end) - Date.parse(start)
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined
}
