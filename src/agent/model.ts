import OpenAI from 'openai'
import { ConfigurationError, ModelError } from '../errors.js'

/** Where the model is and how to call it. */
export interface ModelOptions {
  /** Base URL of an OpenAI-compatible API. @default process.env.OPENAI_BASE_URL */
  baseURL?: string
  /** API key. @default process.env.OPENAI_API_KEY */
  apiKey?: string
  /** Model name. @default process.env.SELF_HARNESS_MODEL */
  model?: string
  /** Time limit of one request in milliseconds. @default 60000 */
  timeoutMs?: number
  /** Retries on 429, 5xx and connection errors, with backoff honouring Retry-After. @default 4 */
  maxRetries?: number
  /** Sampling temperature. @default 0 */
  temperature?: number
}

/** Model options with every default filled in. */
export type ResolvedModelOptions = Required<Omit<ModelOptions, 'baseURL'>> & { baseURL: string | undefined }

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
  const options: ResolvedModelOptions = {
    baseURL: raw.baseURL ?? env.OPENAI_BASE_URL,
    apiKey: raw.apiKey ?? env.OPENAI_API_KEY ?? 'unset',
    model,
    timeoutMs: raw.timeoutMs ?? 60_000,
    maxRetries: raw.maxRetries ?? 4,
    temperature: raw.temperature ?? 0,
  }
  if (!Number.isInteger(options.timeoutMs) || options.timeoutMs <= 0) {
    throw new ConfigurationError('CONFIG_INVALID', `Expected \`model.timeoutMs\` to be a positive integer, got \`${options.timeoutMs}\`.`, { field: 'model.timeoutMs' })
  }
  if (!Number.isInteger(options.maxRetries) || options.maxRetries < 0) {
    throw new ConfigurationError('CONFIG_INVALID', `Expected \`model.maxRetries\` to be a non-negative integer, got \`${options.maxRetries}\`.`, { field: 'model.maxRetries' })
  }
  return options
}

export type ChatMessage = OpenAI.Chat.Completions.ChatCompletionMessageParam
export type ChatTool = OpenAI.Chat.Completions.ChatCompletionTool
export type ChatCompletion = OpenAI.Chat.Completions.ChatCompletion

/** One chat request as the agent loop makes it. */
export interface ChatRequest {
  messages: ChatMessage[]
  tools?: ChatTool[]
  toolChoice?: 'auto' | 'none'
  /** Identifies the trial to the endpoint (`x-self-harness-trial`). */
  trialKey?: string
  signal?: AbortSignal
}

/** The narrow port the agent loop, the miner and the proposer use to talk to the model. */
export interface ModelClient {
  readonly model: string
  /** Sampling temperature the client sends, when it says (part of a response cache's key). */
  readonly temperature?: number
  chat(request: ChatRequest): Promise<ChatCompletion>
}

/** Makes a client for an OpenAI-compatible endpoint; failures after retries become {@link ModelError}. */
export function createModelClient(options: ResolvedModelOptions): ModelClient {
  const client = new OpenAI({
    baseURL: options.baseURL,
    apiKey: options.apiKey,
    timeout: options.timeoutMs,
    maxRetries: options.maxRetries,
  })
  return {
    model: options.model,
    temperature: options.temperature,
    async chat(request) {
      // The client retries 429 (honouring Retry-After), 5xx and failed connections itself. A body cut off midway
      // surfaces as another error; those get the same number of retries here, with backoff.
      for (let attempt = 0; ; attempt++) {
        try {
          return await client.chat.completions.create(
            {
              model: options.model,
              messages: request.messages,
              temperature: options.temperature,
              ...(request.tools?.length ? { tools: request.tools, tool_choice: request.toolChoice ?? 'auto' } : {}),
            },
            {
              signal: request.signal,
              headers: request.trialKey ? { 'x-self-harness-trial': request.trialKey } : undefined,
            },
          )
        } catch (cause) {
          const retryable = !(cause instanceof OpenAI.APIError) && !request.signal?.aborted
          if (retryable && attempt < options.maxRetries) {
            await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** attempt))
            continue
          }
          const message = cause instanceof Error ? cause.message : String(cause)
          throw new ModelError(`The model endpoint failed after ${options.maxRetries} retries: ${message}`, { cause })
        }
      }
    },
  }
}
