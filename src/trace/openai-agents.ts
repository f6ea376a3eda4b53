import type { ModelCall, ReportedToolCall, ToolCall } from './recorder.js'
import { isoDuration, own, parseJson, prop, spanTargetResolver, type SpanTarget } from './spans.js'

/**
 * The parts of an OpenAI Agents SDK span (`Span` of `@openai/agents`) this module reads. Declared here, so the
 * library needs no Agents SDK at run time; a real span fits it.
 */
export interface AgentsSpanLike {
  readonly spanData: { readonly type: string; readonly [key: string]: unknown }
  readonly startedAt?: string | null
  readonly endedAt?: string | null
  readonly error?: { readonly message: string; readonly data?: unknown } | null
}

/** The tracing processor {@link openAIAgentsTraceProcessor} returns; structurally the SDK's `TracingProcessor`. */
export interface AgentsTraceProcessor {
  onTraceStart(trace: unknown): Promise<void>
  onTraceEnd(trace: unknown): Promise<void>
  onSpanStart(span: unknown): Promise<void>
  onSpanEnd(span: AgentsSpanLike): Promise<void>
  shutdown(timeout?: number): Promise<void>
  forceFlush(): Promise<void>
}

/** What an Agents SDK span is, as this project's steps. */
export type AgentsStep = { kind: 'model'; call: ModelCall } | { kind: 'tool'; call: ToolCall } | { kind: 'error'; message: string } | null

/**
 * Reads one ended Agents SDK span: a `generation` (a chat-completions call), a `response` (a Responses API call) or a
 * `function` span (a tool); any other span only for its error. Pure; never throws.
 */
export function agentsStepOfSpan(span: AgentsSpanLike): AgentsStep {
  try {
    const data = prop(span, 'spanData')
    const type = own(data, 'type')
    const durationMs = isoDuration(prop(span, 'startedAt'), prop(span, 'endedAt'))
    const error = prop(span, 'error')
    // The SDK's span error says "Error running tool"; what went wrong is in its `data.error`.
    const failure = str(own(own(error, 'data'), 'error')) ?? str(own(error, 'message'))
    if (type === 'generation') {
      const response = first(own(data, 'output'))
      const choice = first(own(response, 'choices'))
      const message = own(choice, 'message')
      const usage = own(data, 'usage') ?? own(response, 'usage')
      const call: ModelCall = {
        content: str(own(message, 'content')) ?? null,
        toolCalls: chatToolCalls(own(message, 'tool_calls')),
        tokens: { prompt: num(own(usage, 'input_tokens') ?? own(usage, 'prompt_tokens')), completion: num(own(usage, 'output_tokens') ?? own(usage, 'completion_tokens')) },
        finishReason: str(own(choice, 'finish_reason')) ?? null,
      }
      return { kind: 'model', call: extras(call, own(data, 'model') ?? own(response, 'model'), own(data, 'input'), durationMs, failure) }
    }
    if (type === 'response') {
      const response = own(data, '_response')
      const output = own(response, 'output')
      const items = Array.isArray(output) ? output.slice(0, 256) : []
      const texts = items.flatMap((item) => {
        const content = own(item, 'type') === 'message' ? own(item, 'content') : undefined
        return Array.isArray(content) ? content.flatMap((part) => (typeof own(part, 'text') === 'string' ? [own(part, 'text') as string] : [])) : []
      })
      const toolCalls = items.flatMap((item): ReportedToolCall[] => {
        if (own(item, 'type') !== 'function_call' || !str(own(item, 'name'))) return []
        const id = str(own(item, 'call_id')) ?? str(own(item, 'id'))
        return [{ name: own(item, 'name') as string, arguments: own(item, 'arguments'), ...(id ? { id } : {}) }]
      })
      const usage = own(response, 'usage')
      const call: ModelCall = {
        content: texts.length ? texts.join('\n') : null,
        toolCalls,
        tokens: { prompt: num(own(usage, 'input_tokens')), completion: num(own(usage, 'output_tokens')) },
        finishReason: str(own(response, 'status')) ?? null,
      }
      return { kind: 'model', call: extras(call, own(response, 'model'), own(data, '_input'), durationMs, failure) }
    }
    if (type === 'function') {
      const call: ToolCall = { name: str(own(data, 'name')) ?? 'unknown', arguments: own(data, 'input'), output: own(data, 'output') }
      if (durationMs !== undefined) call.durationMs = durationMs
      if (failure) call.error = failure
      return { kind: 'tool', call }
    }
    return failure ? { kind: 'error', message: `${typeof type === 'string' ? type.slice(0, 40) : 'span'}: ${failure}` } : null
  } catch {
    return null
  }
}

/**
 * A tracing processor for the OpenAI Agents SDK (`addTraceProcessor` or `setTraceProcessors` of `@openai/agents`)
 * that records its generation, response and function spans as this project's trace events. The SDK has its own
 * tracing, not OpenTelemetry, so this bridge reads its spans directly. Never throws; never blocks the run.
 */
export function openAIAgentsTraceProcessor(target: SpanTarget<AgentsSpanLike>): AgentsTraceProcessor {
  const resolve = spanTargetResolver(target)
  const done = Promise.resolve()
  return {
    onTraceStart: () => done,
    onTraceEnd: () => done,
    onSpanStart: () => done,
    onSpanEnd(span) {
      try {
        const step = agentsStepOfSpan(span)
        const recorder = step && resolve(span)
        if (!step || !recorder) return done
        if (step.kind === 'model') recorder.modelCall(step.call)
        else if (step.kind === 'tool') recorder.toolCall(step.call)
        else recorder.error({ source: 'harness', code: 'AGENT_ERROR', message: step.message })
      } catch {
        // A tracing processor must not fail the run.
      }
      return done
    },
    shutdown: () => done,
    forceFlush: () => done,
  }
}

function extras(call: ModelCall, model: unknown, input: unknown, durationMs: number | undefined, failure: string | undefined): ModelCall {
  if (typeof model === 'string' && model) call.model = model
  const messages = Array.isArray(input) ? input.length : Array.isArray(parseJson(input)) ? (parseJson(input) as unknown[]).length : typeof input === 'string' ? 1 : undefined
  if (messages !== undefined) call.messages = messages
  if (durationMs !== undefined) call.durationMs = durationMs
  if (failure) call.error = { code: 'MODEL_ERROR', message: failure }
  return call
}

/** Chat-completions `tool_calls`: `[{ id, function: { name, arguments } }]`. */
function chatToolCalls(value: unknown): ReportedToolCall[] {
  if (!Array.isArray(value)) return []
  return value.slice(0, 128).flatMap((call) => {
    const fn = own(call, 'function')
    const name = str(own(fn, 'name'))
    if (!name) return []
    const id = str(own(call, 'id'))
    return [{ name, arguments: own(fn, 'arguments'), ...(id ? { id } : {}) }]
  })
}

const str = (value: unknown): string | undefined => (typeof value === 'string' && value.length > 0 ? value : undefined)
const num = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined)
const first = (value: unknown): unknown => (Array.isArray(value) ? value[0] : undefined)
