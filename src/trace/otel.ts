import type { ModelCall, ReportedToolCall, ToolCall } from './recorder.js'
import { own, parseJson, prop, spanTargetResolver, type SpanTarget } from './spans.js'

/**
 * The parts of an OpenTelemetry `ReadableSpan` (`@opentelemetry/sdk-trace-base`) this module reads. Declared here,
 * so the library needs no OpenTelemetry package at run time; a real span fits it.
 */
export interface OtelSpanLike {
  readonly name: string
  readonly attributes: Readonly<Record<string, unknown>>
  /** `[seconds, nanoseconds]`. */
  readonly duration?: readonly [number, number]
  /** `code` 2 is ERROR. */
  readonly status?: { readonly code: number; readonly message?: string }
  readonly events?: ReadonlyArray<{ readonly name: string; readonly attributes?: Readonly<Record<string, unknown>> }>
}

/** What a span is, read from its GenAI (or Vercel AI SDK) attributes. */
export type GenAiStep =
  | { kind: 'model'; call: ModelCall }
  | { kind: 'tool'; call: ToolCall }
  | { kind: 'agent'; name: string | undefined; error: { code: string | undefined; message: string } | undefined }

/** `gen_ai.operation.name` values of model calls. */
const MODEL_OPERATIONS = new Set(['chat', 'text_completion', 'generate_content'])
/** `gen_ai.operation.name` values of agent runs. */
const AGENT_OPERATIONS = new Set(['invoke_agent', 'create_agent'])
/** Vercel AI SDK `ai.operationId` values of a whole generation (the agent's run). */
const AI_SDK_RUNS = /^ai\.(generateText|streamText|generateObject|streamObject)$/
/** Vercel AI SDK `ai.operationId` values of one provider call. */
const AI_SDK_CALLS = /^ai\.(generateText|streamText|generateObject|streamObject)\.do(Generate|Stream)$/

const SPAN_STATUS_ERROR = 2

/**
 * Reads one ended span as a step of an agent: a model call (`gen_ai.operation.name` chat, or the Vercel AI SDK's
 * `ai.*.doGenerate`), a tool execution (`execute_tool`, or `ai.toolCall`), an agent run (`invoke_agent`, or
 * `ai.generateText`), or null for a span of anything else (an HTTP request, a database call). Pure; never throws.
 */
export function genAiStepOfSpan(span: OtelSpanLike): GenAiStep | null {
  try {
    const attributes = prop(span, 'attributes')
    const attr = (key: string) => own(attributes, key)
    const operation = str(attr('gen_ai.operation.name'))
    const aiOperation = str(attr('ai.operationId'))
    const name = str(prop(span, 'name')) ?? ''
    const kind =
      operation && MODEL_OPERATIONS.has(operation) ? 'model'
      : operation === 'execute_tool' ? 'tool'
      : operation && AGENT_OPERATIONS.has(operation) ? 'agent'
      : aiOperation && AI_SDK_CALLS.test(aiOperation) ? 'model'
      : aiOperation === 'ai.toolCall' ? 'tool'
      : aiOperation && AI_SDK_RUNS.test(aiOperation) ? 'agent'
      : attr('gen_ai.tool.name') !== undefined ? 'tool'
      : attr('gen_ai.request.model') !== undefined || attr('gen_ai.usage.input_tokens') !== undefined ? 'model'
      : null
    if (!kind) return null
    const error = errorOf(span, attr)
    const durationMs = hrMs(prop(span, 'duration'))
    if (kind === 'agent') return { kind, name: str(attr('gen_ai.agent.name')) ?? str(attr('ai.telemetry.functionId')), error }
    if (kind === 'tool') {
      const call: ToolCall = {
        name: str(attr('gen_ai.tool.name')) ?? str(attr('ai.toolCall.name')) ?? name.replace(/^execute_tool\s+/, ''),
        arguments: first(attr('gen_ai.tool.call.arguments'), attr('ai.toolCall.args'), attr('ai.toolCall.input')),
        output: first(attr('gen_ai.tool.call.result'), attr('ai.toolCall.result'), attr('ai.toolCall.output')),
      }
      const id = str(attr('gen_ai.tool.call.id')) ?? str(attr('ai.toolCall.id'))
      if (id) call.id = id
      if (durationMs !== undefined) call.durationMs = durationMs
      if (error) call.error = error.message
      return { kind, call }
    }
    const output = outputMessages(attr('gen_ai.output.messages'))
    const call: ModelCall = {
      tokens: {
        prompt: num(first(attr('gen_ai.usage.input_tokens'), attr('gen_ai.usage.prompt_tokens'), attr('ai.usage.inputTokens'), attr('ai.usage.promptTokens'))),
        completion: num(first(attr('gen_ai.usage.output_tokens'), attr('gen_ai.usage.completion_tokens'), attr('ai.usage.outputTokens'), attr('ai.usage.completionTokens'))),
      },
      content: output?.content ?? str(attr('ai.response.text')) ?? str(attr('gen_ai.completion')) ?? null,
      toolCalls: output?.toolCalls ?? aiSdkToolCalls(attr('ai.response.toolCalls')),
      finishReason: firstOf(attr('gen_ai.response.finish_reasons')) ?? output?.finishReason ?? str(attr('ai.response.finishReason')) ?? null,
    }
    const model = str(attr('gen_ai.response.model')) ?? str(attr('gen_ai.request.model')) ?? str(attr('ai.response.model')) ?? str(attr('ai.model.id'))
    if (model) call.model = model
    const messages = lengthOf(attr('gen_ai.input.messages')) ?? lengthOf(attr('ai.prompt.messages'))
    if (messages !== undefined) call.messages = messages
    if (durationMs !== undefined) call.durationMs = durationMs
    if (error) call.error = { ...(error.code ? { code: error.code } : {}), message: error.message }
    return { kind, call }
  } catch {
    return null
  }
}

/** Options of {@link createTraceSpanProcessor}. */
export interface TraceSpanProcessorOptions {
  /** Record the error of a failed agent span (`invoke_agent`, `ai.generateText`) as an `error` event. @default true */
  agentErrors?: boolean
}

/**
 * An OpenTelemetry span processor (the `SpanProcessor` interface of `@opentelemetry/sdk-trace-base`) that records the
 * GenAI spans of an agent as this project's trace events: pass it to a `BasicTracerProvider` or `NodeSDK` in
 * `spanProcessors`. Spans of anything else are ignored; `onEnd` never throws.
 */
export function createTraceSpanProcessor(target: SpanTarget<OtelSpanLike>, options: TraceSpanProcessorOptions = {}): TraceSpanProcessor {
  const resolve = spanTargetResolver(target)
  const agentErrors = options.agentErrors ?? true
  return {
    onStart() {},
    onEnd(span) {
      try {
        const step = genAiStepOfSpan(span)
        if (!step) return
        const recorder = resolve(span)
        if (!recorder) return
        if (step.kind === 'model') recorder.modelCall(step.call)
        else if (step.kind === 'tool') recorder.toolCall(step.call)
        else if (step.error && agentErrors) recorder.error({ source: 'harness', code: step.error.code ?? 'AGENT_ERROR', message: step.error.message })
      } catch {
        // A span processor must not throw into the instrumented code.
      }
    },
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  }
}

/** The span processor {@link createTraceSpanProcessor} returns; structurally an OpenTelemetry `SpanProcessor`. */
export interface TraceSpanProcessor {
  onStart(span: unknown, parentContext: unknown): void
  onEnd(span: OtelSpanLike): void
  forceFlush(): Promise<void>
  shutdown(): Promise<void>
}

/** The error of a span whose status is ERROR: `error.type` as the code, the status message (or an `exception` event's) as the message. */
function errorOf(span: OtelSpanLike, attr: (key: string) => unknown): { code: string | undefined; message: string } | undefined {
  const status = prop(span, 'status')
  if (num(own(status, 'code')) !== SPAN_STATUS_ERROR) return undefined
  const events = prop(span, 'events')
  const exception = Array.isArray(events) ? events.find((e) => own(e, 'name') === 'exception') : undefined
  const code = str(attr('error.type')) ?? str(own(own(exception, 'attributes'), 'exception.type'))
  const message = str(own(status, 'message')) ?? str(own(own(exception, 'attributes'), 'exception.message')) ?? code ?? 'The span ended with an error.'
  return { code, message }
}

/**
 * `gen_ai.output.messages` (semantic conventions 1.37+): a JSON array of `{ role, parts: [{ type: 'text', content } |
 * { type: 'tool_call', id, name, arguments }], finish_reason }`.
 */
function outputMessages(value: unknown): { content: string | null; toolCalls: ReportedToolCall[]; finishReason: string | undefined } | undefined {
  const messages = typeof value === 'string' ? parseJson(value) : value
  if (!Array.isArray(messages) || !messages.length) return undefined
  const texts: string[] = []
  const toolCalls: ReportedToolCall[] = []
  let finishReason: string | undefined
  for (const message of messages.slice(0, 16)) {
    finishReason ??= str(own(message, 'finish_reason'))
    const parts = own(message, 'parts')
    if (!Array.isArray(parts)) continue
    for (const part of parts.slice(0, 128)) {
      const type = own(part, 'type')
      if (type === 'text' && typeof own(part, 'content') === 'string') texts.push(own(part, 'content') as string)
      if (type === 'tool_call' && str(own(part, 'name'))) {
        const call: ReportedToolCall = { name: own(part, 'name') as string, arguments: own(part, 'arguments') }
        const id = str(own(part, 'id'))
        if (id) call.id = id
        toolCalls.push(call)
      }
    }
  }
  return { content: texts.length ? texts.join('\n') : null, toolCalls, finishReason }
}

/** `ai.response.toolCalls` of the Vercel AI SDK: a JSON array of `{ toolCallId, toolName, args | input }`. */
function aiSdkToolCalls(value: unknown): ReportedToolCall[] {
  const calls = parseJson(value)
  if (!Array.isArray(calls)) return []
  return calls.slice(0, 128).flatMap((call) => {
    const name = str(own(call, 'toolName'))
    if (!name) return []
    const out: ReportedToolCall = { name, arguments: first(own(call, 'args'), own(call, 'input')) }
    const id = str(own(call, 'toolCallId'))
    if (id) out.id = id
    return [out]
  })
}

/** Length of a JSON array attribute (the messages of a request), or undefined. */
function lengthOf(value: unknown): number | undefined {
  const parsed = typeof value === 'string' ? parseJson(value) : value
  return Array.isArray(parsed) ? parsed.length : undefined
}

/** An OpenTelemetry `HrTime` (`[seconds, nanoseconds]`) in milliseconds, or undefined. */
export function hrMs(value: unknown): number | undefined {
  if (!Array.isArray(value) || value.length !== 2) return undefined
  const [s, ns] = value as unknown[]
  if (typeof s !== 'number' || typeof ns !== 'number') return undefined
  const ms = s * 1000 + ns / 1e6
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined
}

const str = (value: unknown): string | undefined => (typeof value === 'string' && value.length > 0 ? value : undefined)
const num = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined)
const first = (...values: unknown[]): unknown => values.find((v) => v !== undefined && v !== null)
const firstOf = (value: unknown): string | undefined => (Array.isArray(value) ? str(value[0]) : str(value))
