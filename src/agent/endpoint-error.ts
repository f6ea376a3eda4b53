/** What an HTTP error from the endpoint means for the trial (see docs/agent-protocol.md, "Endpoint errors"). */
export type EndpointErrorClass =
  /** The conversation no longer fits the model's context: the trial fails with that reason. */
  | 'context-exceeded'
  /** The server could not use the model's own output (bad tool-call JSON, a format its parser rejects). */
  | 'model-output'
  /** The endpoint refused `response_format`: ask again without it. */
  | 'response-format'
  /** Rate limits, timeouts and server faults: retried with backoff within the run's time limit. */
  | 'retry'
  /** Anything else (bad key, unknown model, bad request): ends the trial as `error` at once. */
  | 'fatal'

const CONTEXT_EXCEEDED =
  /context[_ ]length[_ ]exceeded|exceeds? (?:the )?(?:available |maximum )?context(?: size| length| window)?|maximum context length|context window (?:is )?(?:full|exceeded)|too long for the context|prompt is too long|input is too long for/i
const MODEL_OUTPUT =
  /failed to parse tool call|parse tool call arguments|tool call arguments? (?:is|are) not valid json|does not match the expected|output does(?: not|n't) match|tool_use_failed|failed to call a function|invalid tool call|could not parse (?:the )?model output|failed to parse (?:the )?(?:model|generated) output/i
// llama.cpp's server turns a JSON schema into a grammar and says `failed to parse grammar` when it cannot.
const RESPONSE_FORMAT = /response_format|json_schema|response format|structured output|grammar|samplers/i

/**
 * Classifies an HTTP error of the endpoint by its status and body text. The body decides before the status: a
 * 500 whose text says the server could not parse the model's tool call is the model failing its turn, not the
 * infrastructure, and retrying it would only repeat the same generation. A 429 is never read as the model's fault.
 */
export function classifyEndpointError(status: number, text: string, options: { askedForFormat?: boolean } = {}): EndpointErrorClass {
  if (status !== 429 && status >= 400) {
    if (CONTEXT_EXCEEDED.test(text)) return 'context-exceeded'
    // Asked for a format and refused for it (a 4xx, or a 5xx from a server whose grammar failed): ask without it.
    if (options.askedForFormat && RESPONSE_FORMAT.test(text)) return 'response-format'
    if (MODEL_OUTPUT.test(text)) return 'model-output'
  }
  if (status === 408 || status === 409 || status === 429 || status >= 500) return 'retry'
  return 'fatal'
}

/**
 * Milliseconds a response asks the client to wait before retrying (`retry-after-ms`, then `Retry-After` as seconds
 * or an HTTP date); undefined when it does not say or the value is unusable.
 */
export function retryAfterMs(headers: { get(name: string): string | null } | undefined, now = Date.now()): number | undefined {
  const ms = Number.parseFloat(headers?.get('retry-after-ms') ?? '')
  if (Number.isFinite(ms) && ms >= 0) return ms
  const raw = headers?.get('retry-after')?.trim()
  if (!raw) return undefined
  if (/^\d+(\.\d+)?$/.test(raw)) return Number.parseFloat(raw) * 1000
  const date = Date.parse(raw)
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined
}
