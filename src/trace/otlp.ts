import { createHash } from 'node:crypto'
import type { TraceEvent } from './events.js'

/** An OTLP/JSON attribute value (`AnyValue`). 64-bit integers are decimal strings, as the proto3 JSON mapping has them. */
export type OtlpValue = { stringValue: string } | { intValue: string } | { doubleValue: number } | { boolValue: boolean } | { arrayValue: { values: OtlpValue[] } }
/** An OTLP/JSON attribute (`KeyValue`). */
export interface OtlpAttribute {
  key: string
  value: OtlpValue
}
/** An OTLP/JSON span event. */
export interface OtlpEvent {
  timeUnixNano: string
  name: string
  attributes: OtlpAttribute[]
}
/** An OTLP/JSON span: ids in lowercase hex, times in nanoseconds since the epoch as decimal strings. */
export interface OtlpSpan {
  traceId: string
  spanId: string
  parentSpanId?: string
  name: string
  /** 1 internal, 3 client. */
  kind: 1 | 3
  startTimeUnixNano: string
  endTimeUnixNano: string
  attributes: OtlpAttribute[]
  events: OtlpEvent[]
  /** 0 unset, 1 ok, 2 error. */
  status: { code: 0 | 1 | 2; message?: string }
}
/** An OTLP/JSON `ExportTraceServiceRequest`, the body of `POST /v1/traces` with `Content-Type: application/json`. */
export interface OtlpTraceRequest {
  resourceSpans: Array<{
    resource: { attributes: OtlpAttribute[] }
    scopeSpans: Array<{ scope: { name: string; version?: string }; spans: OtlpSpan[] }>
  }>
}

/** One trial to export: its trace and what the run record says of it. */
export interface OtlpTrial {
  events: readonly TraceEvent[]
  /** When the trial started, in milliseconds since the epoch (trace times are relative to it). */
  startTimeMs: number
  /** The record's task id (default: the trace's `trial-start`). */
  taskId?: string
  trial?: number
  /** The record's outcome: `pass`, `fail` or `error`. */
  outcome?: string
  /** The record's reason for a fail or an error. */
  reason?: string
}

/** Options of {@link tracesToOtlp}. */
export interface OtlpOptions {
  /** Resource attributes besides `service.name` (the run's harness, model). */
  resource?: Record<string, string | number | boolean | undefined>
  /** @default 'self-harness' */
  serviceName?: string
  /** The version of the instrumentation scope (this package's). */
  scopeVersion?: string
}

/** Statuses of a `trial-end` that mean the run itself failed (the span's status is ERROR). */
const FAILED_RUNS = new Set(['failed', 'timeout', 'error'])

/**
 * Our traces as one OTLP/JSON `ExportTraceServiceRequest`: per trial one trace, its root span `invoke_agent` (the
 * trial) with a child span per model call (`chat`) and per tool call (`execute_tool`), named and attributed after the
 * OpenTelemetry GenAI semantic conventions; errors and harness steps are span events. Ids are derived from the
 * trial, so exporting the same trace twice gives the same ids. Pure.
 */
export function tracesToOtlp(trials: readonly OtlpTrial[], options: OtlpOptions = {}): OtlpTraceRequest {
  const resource = attributes({ 'service.name': options.serviceName ?? 'self-harness', ...options.resource })
  return {
    resourceSpans: [
      {
        resource: { attributes: resource },
        scopeSpans: [{ scope: { name: 'self-harness', ...(options.scopeVersion ? { version: options.scopeVersion } : {}) }, spans: trials.flatMap(trialSpans) }],
      },
    ],
  }
}

/** The spans of one trial: the root first, then its children in the order they started. */
function trialSpans(trial: OtlpTrial): OtlpSpan[] {
  const events = trial.events
  const start = events.find((e): e is Extract<TraceEvent, { kind: 'trial-start' }> => e.kind === 'trial-start')
  const end = events.findLast((e): e is Extract<TraceEvent, { kind: 'trial-end' }> => e.kind === 'trial-end')
  const taskId = trial.taskId ?? start?.taskId ?? 'unknown'
  const index = trial.trial ?? start?.trial ?? 0
  const traceId = hex(`${taskId}\u0000${index}\u0000${start?.harnessId ?? ''}\u0000${trial.startTimeMs}`, 32)
  const rootId = hex(`${traceId}/root`, 16)
  const nano = (t: number) => nanos(trial.startTimeMs, t)
  const lastT = Math.max(0, ...events.map((e) => e.t), end ? end.durationMs : 0)
  const model = start?.model
  const children: OtlpSpan[] = []
  const rootEvents: OtlpEvent[] = []
  let n = 0
  const child = (name: string, kind: 1 | 3, from: number, to: number, attrs: Record<string, unknown>, status: OtlpSpan['status'] = { code: 0 }): OtlpSpan => {
    const span: OtlpSpan = {
      traceId,
      spanId: hex(`${traceId}/${n++}`, 16),
      parentSpanId: rootId,
      name,
      kind,
      startTimeUnixNano: nano(Math.min(from, to)),
      endTimeUnixNano: nano(to),
      attributes: attributes(attrs),
      events: [],
      status,
    }
    children.push(span)
    return span
  }

  const requests = new Map<number, number>() // turn -> t of its model-request
  const calls = new Map<string, Extract<TraceEvent, { kind: 'tool-call' }>>()
  let current: OtlpSpan | undefined // the span an error belongs to, when it follows one at once
  for (const event of events) {
    switch (event.kind) {
      case 'model-request':
        requests.set(event.turn, event.t)
        current = undefined
        break
      case 'model-response': {
        const from = requests.get(event.turn) ?? event.t - event.durationMs
        requests.delete(event.turn)
        const output = [{ role: 'assistant', parts: [...(event.content ? [{ type: 'text', content: event.content }] : []), ...event.toolCalls.map((c) => ({ type: 'tool_call', id: c.id, name: c.name, arguments: c.arguments }))], ...(event.finishReason ? { finish_reason: event.finishReason } : {}) }]
        current = child(`chat${model ? ` ${model}` : ''}`, 3, from, event.t, {
          'gen_ai.operation.name': 'chat',
          'gen_ai.request.model': model,
          'gen_ai.usage.input_tokens': event.tokens.prompt,
          'gen_ai.usage.output_tokens': event.tokens.completion,
          'gen_ai.response.finish_reasons': event.finishReason ? [event.finishReason] : undefined,
          'gen_ai.output.messages': JSON.stringify(output),
          'self_harness.turn': event.turn,
        })
        break
      }
      case 'tool-call':
        calls.set(event.id, event)
        current = undefined
        break
      case 'tool-result': {
        const call = calls.get(event.id)
        calls.delete(event.id)
        const from = call?.t ?? event.t - event.durationMs
        current = child(`execute_tool ${event.name}`, 1, from, event.t, {
          'gen_ai.operation.name': 'execute_tool',
          'gen_ai.tool.name': event.name,
          'gen_ai.tool.call.id': event.id,
          'gen_ai.tool.type': 'function',
          'gen_ai.tool.call.arguments': call ? (typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments ?? null)) : undefined,
          'gen_ai.tool.call.result': event.output,
          'self_harness.turn': event.turn,
          'self_harness.output.truncated': event.truncated || undefined,
        }, event.ok ? { code: 0 } : { code: 2, message: firstLine(event.output) })
        break
      }
      case 'harness-step':
        rootEvents.push({ timeUnixNano: nano(event.t), name: 'self_harness.harness_step', attributes: attributes({ 'self_harness.step': event.step, 'self_harness.detail': event.detail, 'self_harness.ok': event.ok }) })
        break
      case 'error': {
        const exception = { timeUnixNano: nano(event.t), name: 'exception', attributes: attributes({ 'exception.type': event.code, 'exception.message': event.message, 'self_harness.error.source': event.source }) }
        const pending = event.source === 'model' ? [...requests].at(-1) : undefined
        if (pending) {
          // A model request that got no answer: a chat span that failed.
          requests.delete(pending[0])
          current = child(`chat${model ? ` ${model}` : ''}`, 3, pending[1], event.t, { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': model, 'error.type': event.code, 'self_harness.turn': pending[0] })
        }
        ;(current && event.source !== 'assertion' ? current.events : rootEvents).push(exception)
        if (current && event.source === 'model') current.status = { code: 2, message: firstLine(event.message) }
        break
      }
      default:
        break
    }
  }
  // A tool call with no result (the run stopped during it) is a span up to the trial's end.
  for (const call of calls.values()) {
    child(`execute_tool ${call.name}`, 1, call.t, lastT, { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': call.name, 'gen_ai.tool.call.id': call.id, 'gen_ai.tool.call.arguments': JSON.stringify(call.arguments ?? null) }, { code: 2, message: 'no result: the run ended during the call' })
  }

  const failedRun = (end && FAILED_RUNS.has(end.status)) || trial.outcome === 'error'
  const root: OtlpSpan = {
    traceId,
    spanId: rootId,
    name: 'invoke_agent self-harness',
    kind: 1,
    startTimeUnixNano: nano(0),
    endTimeUnixNano: nano(lastT),
    attributes: attributes({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'self-harness',
      'gen_ai.request.model': model,
      'gen_ai.usage.input_tokens': end?.tokens.prompt,
      'gen_ai.usage.output_tokens': end?.tokens.completion,
      'gen_ai.input.messages': start ? JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: start.instruction }] }]) : undefined,
      'self_harness.task.id': taskId,
      'self_harness.trial': index,
      'self_harness.harness.id': start?.harnessId,
      'self_harness.outcome': trial.outcome,
      'self_harness.reason': trial.reason,
      'self_harness.status': end?.status,
      'self_harness.turns': end?.turns,
      'self_harness.tool_calls': end?.toolCalls,
    }),
    events: rootEvents,
    status: failedRun ? { code: 2, message: trial.reason ?? `the run ended as ${end?.status ?? trial.outcome}` } : { code: 0 },
  }
  return [root, ...children]
}

/** OTLP attributes of a plain object: strings, integers (as strings), other numbers, booleans and arrays of strings; undefined is left out. */
export function attributes(values: Record<string, unknown>): OtlpAttribute[] {
  const out: OtlpAttribute[] = []
  for (const [key, value] of Object.entries(values)) {
    const encoded = encode(value)
    if (encoded) out.push({ key, value: encoded })
  }
  return out
}

function encode(value: unknown): OtlpValue | undefined {
  if (typeof value === 'string') return { stringValue: value }
  if (typeof value === 'boolean') return { boolValue: value }
  if (typeof value === 'number' && Number.isFinite(value)) return Number.isSafeInteger(value) ? { intValue: String(value) } : { doubleValue: value }
  if (Array.isArray(value)) return { arrayValue: { values: value.flatMap((item) => encode(item) ?? []) } }
  return undefined
}

/** Nanoseconds since the epoch as a decimal string, for a time `t` ms after `startMs`. */
function nanos(startMs: number, t: number): string {
  const ms = Math.max(0, startMs + Math.max(0, t))
  const whole = Math.floor(ms)
  return (BigInt(whole) * 1_000_000n + BigInt(Math.round((ms - whole) * 1e6))).toString()
}

/** A stable, non-zero lowercase hex id of `chars` characters (32 for a trace id, 16 for a span id). */
function hex(seed: string, chars: number): string {
  const id = createHash('sha256').update(seed).digest('hex').slice(0, chars)
  return /^0+$/.test(id) ? `${'0'.repeat(chars - 1)}1` : id
}

const firstLine = (text: string): string => (text.split('\n').find((line) => line.trim()) ?? text).slice(0, 500)
