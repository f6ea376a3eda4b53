import OpenAI from 'openai'
import { boundedFetch, isResponseTooLarge, MAX_RESPONSE_BYTES, ResponseTooLarge } from './bounded-fetch.js'
import { ConfigurationError, ModelError } from '../errors.js'
import { classifyEndpointError, retryAfterMs } from './endpoint-error.js'
import { parseCompletion } from './response.js'

/** Longest request time limit accepted, in milliseconds (one hour). */
export const MAX_REQUEST_TIMEOUT_MS = 3_600_000

/** Where the model is and how to call it. */
export interface ModelOptions {
  /** Base URL of an OpenAI-compatible API. @default process.env.OPENAI_BASE_URL */
  baseURL?: string
  /** API key. @default process.env.OPENAI_API_KEY */
  apiKey?: string
  /** Model name. @default process.env.SELF_HARNESS_MODEL */
  model?: string
  /** Time limit of one request in milliseconds, at most one hour (a run setting, see `resolveRunSettings`). @default 60000 */
  timeoutMs?: number
  /** Retries on 429, 5xx and connection errors, with backoff honouring Retry-After, within the run's time limit. @default 4 */
  maxRetries?: number
  /** Sampling temperature, 0 to 2. @default 0 */
  temperature?: number
  /** Largest answer the model may give, in tokens, sent as `max_tokens`. @default process.env.SELF_HARNESS_MAX_TOKENS, else not sent */
  maxTokens?: number
}

/** Model options with every default filled in. */
export type ResolvedModelOptions = Required<Omit<ModelOptions, 'baseURL' | 'maxTokens'>> & {
  baseURL: string | undefined
  maxTokens?: number
}

function bounded(field: string, value: unknown, min: number, max: number, what = 'an integer'): void {
  const ok = typeof value === 'number' && (what === 'a number' ? Number.isFinite(value) : Number.isInteger(value)) && value >= min && value <= max
  if (!ok) {
    throw new ConfigurationError('CONFIG_INVALID', `Expected \`${field}\` to be ${what} from ${min} to ${max}, got \`${String(value)}\`.`, { field })
  }
}

/** Reads a number from an environment variable; text that is not a number stays as it is, to be refused by name. */
export function numberFromEnv(text: string | undefined): number | string | undefined {
  if (text === undefined || text.trim() === '') return undefined
  const value = Number(text)
  return Number.isNaN(value) ? text : value
}

/** Fills model options from the environment and validates them. */
export function resolveModelOptions(raw: ModelOptions = {}, env: NodeJS.ProcessEnv = process.env): ResolvedModelOptions {
  const model = raw.model ?? env.SELF_HARNESS_MODEL
  if (!model) {
    throw new ConfigurationError(
      'CONFIG_INVALID',
      'Expected a model name in the plugin option `model.model` or the environment variable SELF_HARNESS_MODEL, got none.',
      { field: 'model.model' },
    )
  }
  const maxTokens = raw.maxTokens ?? numberFromEnv(env.SELF_HARNESS_MAX_TOKENS)
  const options: ResolvedModelOptions = {
    baseURL: raw.baseURL ?? env.OPENAI_BASE_URL,
    apiKey: raw.apiKey ?? env.OPENAI_API_KEY ?? 'unset',
    model,
    timeoutMs: raw.timeoutMs ?? 60_000,
    maxRetries: raw.maxRetries ?? 4,
    temperature: raw.temperature ?? 0,
    ...(maxTokens !== undefined ? { maxTokens: maxTokens as number } : {}),
  }
  bounded('model.timeoutMs', options.timeoutMs, 1, MAX_REQUEST_TIMEOUT_MS)
  bounded('model.maxRetries', options.maxRetries, 0, 10)
  bounded('model.temperature', options.temperature, 0, 2, 'a number')
  if (maxTokens !== undefined) bounded('model.maxTokens', maxTokens, 1, 1_000_000)
  return options
}

export type ChatMessage = OpenAI.Chat.Completions.ChatCompletionMessageParam
export type ChatTool = OpenAI.Chat.Completions.ChatCompletionTool
export type ChatCompletion = OpenAI.Chat.Completions.ChatCompletion

/** A JSON Schema the answer should follow (`response_format: { type: 'json_schema' }`), when the endpoint has it. */
export interface ResponseFormat {
  name: string
  schema: Record<string, unknown>
}

/** One chat request as the agent loop makes it. */
export interface ChatRequest {
  messages: ChatMessage[]
  tools?: ChatTool[]
  toolChoice?: 'auto' | 'none'
  /** Identifies the trial to the endpoint (`x-self-harness-trial`). */
  trialKey?: string
  signal?: AbortSignal
  /** Epoch milliseconds after which no attempt starts and no retry waits: the run's time limit. */
  deadline?: number
  /** Ask for structured output; the request is repeated without it when the endpoint refuses it. */
  responseFormat?: ResponseFormat
}

/** The narrow port the agent loop, the miner and the proposer use to talk to the model. */
export interface ModelClient {
  readonly model: string
  /** Sampling temperature the client sends, when it says (part of a response cache's key). */
  readonly temperature?: number
  chat(request: ChatRequest): Promise<ChatCompletion>
}

const sleep = (ms: number, signal: AbortSignal | undefined): Promise<void> =>
  new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal?.addEventListener('abort', done, { once: true })
  })

const messageOf = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause))

/**
 * Makes a client for an OpenAI-compatible endpoint. Every answer is validated ({@link parseCompletion}) before it
 * is returned; failures become {@link ModelError} with a code (see docs/agent-protocol.md). Retries are made here,
 * not by the SDK, so that no attempt and no `Retry-After` wait runs past the request's deadline; each attempt has
 * its own abort signal, tied to the caller's by one listener that is removed when the attempt ends.
 */
export function createModelClient(options: ResolvedModelOptions): ModelClient {
  const client = new OpenAI({ baseURL: options.baseURL, apiKey: options.apiKey, timeout: options.timeoutMs, maxRetries: 0, fetch: boundedFetch() })
  let structuredOutput = true
  return {
    model: options.model,
    temperature: options.temperature,
    async chat(request) {
      for (let attempt = 0; ; attempt++) {
        const left = request.deadline === undefined ? Infinity : request.deadline - Date.now()
        if (request.signal?.aborted || left <= 0) throw new ModelError('The request was stopped before the model answered (the time limit passed or the caller aborted).', { code: 'RUN_TIMEOUT' })
        const limit = Math.max(1, Math.floor(Math.min(options.timeoutMs, left)))
        const format = structuredOutput ? request.responseFormat : undefined
        let failure: { cause: unknown; retry: boolean; waitMs?: number }
        try {
          return await attemptOnce(request, format, limit)
        } catch (cause) {
          if (cause instanceof ModelError) throw cause
          if (isResponseTooLarge(cause)) throw new ModelError(`The model endpoint sent an unusable response: ${new ResponseTooLarge(MAX_RESPONSE_BYTES).message}`, { code: 'MODEL_BAD_RESPONSE', cause })
          if (request.signal?.aborted) throw new ModelError('The request was stopped while waiting for the model (the time limit passed or the caller aborted).', { code: 'RUN_TIMEOUT', cause })
          if (cause instanceof AttemptTimeout) {
            if (limit < options.timeoutMs) throw new ModelError(`The run reached its time limit while waiting for the model (${limit} ms left).`, { code: 'RUN_TIMEOUT', cause })
            failure = { cause: new Error(`no answer within the request time limit of ${options.timeoutMs} ms`), retry: true }
          } else if (cause instanceof OpenAI.APIError && typeof cause.status === 'number') {
            const text = `${cause.message} ${String(cause.code ?? '')} ${String(cause.type ?? '')}`
            const kind = classifyEndpointError(cause.status, text, { askedForFormat: format !== undefined })
            if (kind === 'response-format') {
              structuredOutput = false // this endpoint has no structured output: plain text from now on
              attempt--
              continue
            }
            if (kind === 'context-exceeded') throw new ModelError(`The conversation no longer fits the model's context: ${cause.message}`, { code: 'CONTEXT_EXCEEDED', cause })
            if (kind === 'model-output') throw new ModelError(`The model server could not use the model's output: ${cause.message}`, { code: 'MODEL_OUTPUT_REJECTED', cause })
            if (kind === 'fatal') throw new ModelError(`The model endpoint refused the request: ${cause.message}`, { cause })
            failure = { cause, retry: true, waitMs: retryAfterMs(cause.headers) }
          } else if (cause instanceof SyntaxError) {
            throw new ModelError(`The model endpoint sent an unusable response: the body is not valid JSON (${cause.message}).`, { code: 'MODEL_BAD_RESPONSE', cause })
          } else {
            failure = { cause, retry: true } // a connection that failed or a body cut off midway
          }
        }
        if (attempt >= options.maxRetries) {
          throw new ModelError(`The model endpoint failed after ${options.maxRetries} retries: ${messageOf(failure.cause)}`, { cause: failure.cause })
        }
        const wait = failure.waitMs ?? Math.min(8_000, 500 * 2 ** attempt)
        const remaining = request.deadline === undefined ? Infinity : request.deadline - Date.now()
        if (wait >= remaining) {
          const status = failure.cause instanceof OpenAI.APIError ? ` (HTTP ${failure.cause.status})` : ''
          throw new ModelError(
            `The model endpoint asked to wait ${Math.round(wait)} ms before retrying${status}, more than the ${Math.max(0, Math.round(remaining))} ms left of the run's time limit: ${messageOf(failure.cause)}`,
            { code: failure.cause instanceof OpenAI.RateLimitError ? 'MODEL_RATE_LIMITED' : 'MODEL_FAILED', cause: failure.cause },
          )
        }
        await sleep(wait, request.signal)
      }
    },
  }

  /** One HTTP attempt with its own abort signal and time limit covering the whole body. */
  async function attemptOnce(request: ChatRequest, format: ResponseFormat | undefined, limitMs: number): Promise<ChatCompletion> {
    const controller = new AbortController()
    const onAbort = () => controller.abort()
    request.signal?.addEventListener('abort', onAbort, { once: true })
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      controller.abort()
    }, limitMs)
    try {
      const { data, response } = await client.chat.completions
        .create(
          {
            model: options.model,
            messages: request.messages,
            temperature: options.temperature,
            ...(options.maxTokens !== undefined ? { max_tokens: options.maxTokens } : {}),
            ...(request.tools?.length ? { tools: request.tools, tool_choice: request.toolChoice ?? 'auto' } : {}),
            ...(format ? { response_format: { type: 'json_schema' as const, json_schema: { name: format.name, schema: format.schema } } } : {}),
          },
          {
            signal: controller.signal,
            timeout: limitMs + 1_000,
            headers: request.trialKey ? { 'x-self-harness-trial': request.trialKey } : undefined,
          },
        )
        .withResponse()
      parseCompletion(data, { contentType: response.headers.get('content-type') ?? undefined })
      return data
    } catch (cause) {
      if (timedOut && !request.signal?.aborted) throw new AttemptTimeout()
      throw cause
    } finally {
      clearTimeout(timer)
      request.signal?.removeEventListener('abort', onAbort)
    }
  }
}

/** An attempt that got no whole answer within its time limit. */
class AttemptTimeout extends Error {}
