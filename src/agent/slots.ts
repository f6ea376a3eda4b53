import { z } from 'zod'

/** Largest `/props` body read; llama.cpp's is a few kilobytes (it carries the chat template). */
const MAX_PROPS_BYTES = 1_000_000

/** The part of llama.cpp's `GET /props` answer used here; everything else in it is ignored. */
const Props = z.object({ total_slots: z.number().int().min(1).max(4096) }).loose()

/** The server root of an OpenAI-compatible base URL: `http://host:8080/v1` -> `http://host:8080/`. */
export function serverRoot(baseURL: string): string {
  const url = new URL(baseURL)
  url.pathname = url.pathname.replace(/\/v1\/?$/, '/').replace(/([^/])$/, '$1/')
  url.search = ''
  url.hash = ''
  return url.toString()
}

/**
 * How many requests the endpoint serves at once, when it says: llama.cpp's server answers `GET /props` with
 * `total_slots` (its `--parallel`). Any other answer (404 from vLLM or a hosted API, a body that is not that JSON,
 * a body over 1 MB, no answer within `timeoutMs`) gives `undefined`: the endpoint did not say. Never throws.
 */
export async function endpointSlots(baseURL: string | undefined, timeoutMs = 2_000): Promise<number | undefined> {
  if (!baseURL) return undefined
  let url: string
  try {
    url = new URL('props', serverRoot(baseURL)).toString()
  } catch {
    return undefined
  }
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), timeoutMs)
  try {
    const response = await fetch(url, { signal: controller.signal, headers: { accept: 'application/json' } })
    if (!response.ok || !response.body) return undefined
    const text = await readBounded(response.body, MAX_PROPS_BYTES)
    if (text === undefined) return undefined
    const parsed = Props.safeParse(JSON.parse(text))
    return parsed.success ? parsed.data.total_slots : undefined
  } catch {
    return undefined
  } finally {
    clearTimeout(timer)
  }
}

/** The body as text, or `undefined` once it passes `limit` bytes (the rest is not read). */
async function readBounded(body: ReadableStream<Uint8Array>, limit: number): Promise<string | undefined> {
  const reader = body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > limit) {
      await reader.cancel().catch(() => {})
      return undefined
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks).toString('utf8')
}
