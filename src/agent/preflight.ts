import OpenAI from 'openai'
import { ConfigurationError } from '../errors.js'
import { boundedFetch } from './bounded-fetch.js'

/** Where the endpoint is, for {@link checkEndpoint}. */
export interface PreflightInput {
  /** Base URL of the OpenAI-compatible API; the SDK's default when absent. */
  baseURL: string | undefined
  apiKey: string
  /** How long to wait for any answer. @default 5000 */
  timeoutMs?: number
}

/** The SDK's own default, which applies when no base URL is set. */
const DEFAULT_BASE_URL = 'https://api.openai.com/v1'

/** The most specific system error code in an error's cause chain (`ECONNREFUSED`, `ENOTFOUND`), if any. */
function systemCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code
  }
  return undefined
}

/**
 * Asks the endpoint for its model list once, without retries, before any trial spends a model call. Any HTTP
 * answer (even 401 or 404) means the endpoint is there; no answer within the time limit is a configuration error
 * naming the URL, what happened and the fix.
 */
export async function checkEndpoint(input: PreflightInput): Promise<void> {
  const url = input.baseURL ?? DEFAULT_BASE_URL
  const timeoutMs = input.timeoutMs ?? 5_000
  const client = new OpenAI({ baseURL: url, apiKey: input.apiKey || 'unset', timeout: timeoutMs, maxRetries: 0, fetch: boundedFetch(1024 * 1024) })
  try {
    await client.models.list()
  } catch (error) {
    if (error instanceof OpenAI.APIError && typeof error.status === 'number') return
    const raw = error instanceof OpenAI.APIConnectionTimeoutError ? `no answer within ${timeoutMs} ms` : (systemCode(error) ?? (error as Error)?.message ?? String(error))
    const why = raw.replace(/\.+$/, '')
    throw new ConfigurationError(
      'CONFIG_INVALID',
      `The model endpoint at ${url} does not answer: ${why}. Start it, or set OPENAI_BASE_URL to one that runs (no task was run).`,
      { cause: error, field: 'model.baseURL' },
    )
  }
}
