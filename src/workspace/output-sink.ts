/** Bounded store for a command's output: keeps the head and the tail, counts and drops the middle. */
export interface OutputSink {
  /** Adds a chunk; memory stays bounded however much arrives. */
  push(chunk: Buffer): void
  /** Bytes received so far, kept or not. */
  readonly totalBytes: number
  /** Whether bytes were dropped. */
  readonly truncated: boolean
  /** The kept text, with a marker where bytes were dropped. */
  text(): string
}

/** Makes a sink that keeps at most `maxBytes` (three quarters head, one quarter tail). */
export function createOutputSink(maxBytes: number): OutputSink {
  const tailMax = Math.floor(maxBytes / 4)
  const headMax = maxBytes - tailMax
  const head: Buffer[] = []
  let headBytes = 0
  let tail: Buffer[] = []
  let tailBytes = 0
  let totalBytes = 0

  const pushTail = (chunk: Buffer): void => {
    if (tailMax === 0) return
    tail.push(chunk)
    tailBytes += chunk.length
    if (tailBytes > 2 * tailMax) {
      // Compact now and then so a flood of small chunks costs O(tail) memory, not O(chunks).
      const joined = Buffer.concat(tail)
      const kept = Buffer.from(joined.subarray(joined.length - tailMax))
      tail = [kept]
      tailBytes = kept.length
    }
  }

  return {
    push(chunk) {
      totalBytes += chunk.length
      const room = headMax - headBytes
      if (room > 0) {
        const part = chunk.length <= room ? chunk : chunk.subarray(0, room)
        head.push(part)
        headBytes += part.length
        if (part.length === chunk.length) return
        chunk = chunk.subarray(part.length)
      }
      pushTail(chunk)
    },
    get totalBytes() {
      return totalBytes
    },
    get truncated() {
      return totalBytes > maxBytes
    },
    text() {
      const headBuf = Buffer.concat(head)
      if (totalBytes <= maxBytes) return Buffer.concat([headBuf, ...tail]).toString('utf8')
      const joined = Buffer.concat(tail)
      const tailBuf = joined.subarray(Math.max(0, joined.length - tailMax))
      const start = headBuf.subarray(0, charBoundaryBefore(headBuf, headBuf.length))
      const end = tailBuf.subarray(charBoundaryAfter(tailBuf, 0))
      const dropped = totalBytes - start.length - end.length
      return `${start.toString('utf8')}\n[... ${dropped} bytes of output dropped ...]\n${end.toString('utf8')}`
    },
  }
}

/** Largest index <= `end` that does not cut a UTF-8 sequence in two. */
function charBoundaryBefore(buf: Buffer, end: number): number {
  let i = end
  while (i > 0 && end - i < 3 && isContinuation(buf[i - 1])) i--
  const leadAt = i === end ? end - 1 : i - 1
  const lead = buf[leadAt]
  if (lead === undefined || lead < 0xc0) return end
  const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2
  return end - leadAt >= need ? end : leadAt
}

/** Smallest index >= `at` that starts a UTF-8 sequence. */
function charBoundaryAfter(buf: Buffer, at: number): number {
  let i = at
  while (i < buf.length && i < at + 3 && isContinuation(buf[i])) i++
  return i
}

function isContinuation(byte: number | undefined): boolean {
  return byte !== undefined && (byte & 0xc0) === 0x80
}
