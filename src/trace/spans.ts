import { createAgentRecorder, type AgentRecorder } from './recorder.js'
import type { TraceRecorder } from './writer.js'

/** Where mapped spans go: an agent recorder, a trace recorder, or a function choosing one per span (undefined: dropped). */
export type SpanTarget<S> = AgentRecorder | TraceRecorder | ((span: S) => AgentRecorder | TraceRecorder | undefined)

/**
 * Resolves a span target to the agent recorder of a span. A trace recorder is wrapped once, so its turn count and
 * pending tool calls carry over from span to span.
 */
export function spanTargetResolver<S>(target: SpanTarget<S>): (span: S) => AgentRecorder | undefined {
  const wrapped = new WeakMap<TraceRecorder, AgentRecorder>()
  const asAgent = (value: AgentRecorder | TraceRecorder | undefined): AgentRecorder | undefined => {
    if (!value || typeof value !== 'object') return undefined
    if ('modelCall' in value && typeof value.modelCall === 'function') return value
    if ('record' in value && typeof value.record === 'function') {
      let agent = wrapped.get(value)
      if (!agent) wrapped.set(value, (agent = createAgentRecorder(value)))
      return agent
    }
    return undefined
  }
  if (typeof target === 'function') return (span) => asAgent(target(span))
  const fixed = asAgent(target)
  return () => fixed
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
