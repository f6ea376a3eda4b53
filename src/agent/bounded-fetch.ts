/** Largest answer body read from the endpoint, after decompression (a chat completion is kilobytes). */
export const MAX_RESPONSE_BYTES = 32 * 1024 * 1024

/** A body that passed {@link MAX_RESPONSE_BYTES}; the rest of it is not read. */
export class ResponseTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`The model endpoint's answer is larger than ${Math.round(limit / (1024 * 1024))} MB (after decompression); it was not read further.`)
    this.name = 'ResponseTooLarge'
  }
}

/**
 * `fetch` with the answer's body bounded: bytes are counted as they are decompressed, and the read fails at the
 * limit, so a compressed bomb (450 KB of gzip that inflates to 450 MB) costs the limit and no more.
 */
export function boundedFetch(limit = MAX_RESPONSE_BYTES, inner: typeof fetch = fetch): typeof fetch {
  return async (input, init) => {
    const response = await inner(input, init)
    const declared = Number(response.headers.get('content-length'))
    if (Number.isFinite(declared) && declared > limit && !response.headers.get('content-encoding')) {
      await response.body?.cancel().catch(() => {})
      throw new ResponseTooLarge(limit)
    }
    if (!response.body) return response
    let seen = 0
    const counted = response.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          seen += chunk.byteLength
          if (seen > limit) controller.error(new ResponseTooLarge(limit))
          else controller.enqueue(chunk)
        },
      }),
    )
    const headers = new Headers(response.headers)
    headers.delete('content-length') // the body is the decompressed one
    headers.delete('content-encoding')
    return new Response(counted, { status: response.status, statusText: response.statusText, headers })
  }
}

/** Whether an error, or one of its causes, is a body that was too large. */
export function isResponseTooLarge(error: unknown): error is ResponseTooLarge {
  for (let e: unknown = error, depth = 0; e && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof ResponseTooLarge) return true
  }
  return false
}
