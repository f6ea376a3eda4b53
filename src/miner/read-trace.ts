import { closeSync, openSync, readSync } from 'node:fs'
import { StringDecoder } from 'node:string_decoder'
import { fieldName } from '../json.js'
import { TraceEventSchema, type TraceEvent } from '../trace/events.js'

/** A line of a trace that was skipped, and why. */
export interface CorruptLine {
  line: number
  message: string
}

/** A trace read line by line: its valid events, and the lines that were not. */
export interface StreamedTrace {
  events: TraceEvent[]
  corrupt: CorruptLine[]
}

const CHUNK_BYTES = 64 * 1024
const buffer = Buffer.allocUnsafe(CHUNK_BYTES)

/**
 * Reads a JSONL trace one line at a time through a fixed 64 KiB buffer, so memory is bounded by the buffer and the
 * longest line, whatever the file's size. A line that is not JSON or not a valid event is recorded and skipped; a
 * file that cannot be read throws. Synchronous on purpose: it runs in worker threads (or in short slices between
 * yields), and for many small files it costs a tenth of a `readline` stream per file.
 */
export function readTraceLines(file: string): StreamedTrace {
  const events: TraceEvent[] = []
  const corrupt: CorruptLine[] = []
  let n = 0
  const take = (line: string) => {
    n++
    if (!line.trim()) return
    const parsed = parseTraceLine(line)
    if (parsed.ok) events.push(parsed.event)
    else corrupt.push({ line: n, message: parsed.message })
  }
  const fd = openSync(file, 'r')
  try {
    const decoder = new StringDecoder('utf8')
    let rest = ''
    for (let read = readSync(fd, buffer, 0, CHUNK_BYTES, null); read > 0; read = readSync(fd, buffer, 0, CHUNK_BYTES, null)) {
      const text = rest + decoder.write(buffer.subarray(0, read))
      let start = 0
      for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n', start)) {
        take(text.slice(start, text[end - 1] === '\r' ? end - 1 : end))
        start = end + 1
      }
      rest = text.slice(start)
    }
    rest += decoder.end()
    if (rest) take(rest)
  } finally {
    closeSync(fd)
  }
  return { events, corrupt }
}

/** Parses one trace line: the event, or what is wrong with it. */
export function parseTraceLine(line: string): { ok: true; event: TraceEvent } | { ok: false; message: string } {
  let raw: unknown
  try {
    raw = JSON.parse(line)
  } catch {
    return { ok: false, message: 'not valid JSON' }
  }
  const parsed = TraceEventSchema.safeParse(raw)
  if (parsed.success) return { ok: true, event: parsed.data }
  const issue = parsed.error.issues[0]
  return { ok: false, message: `field \`${fieldName(issue?.path ?? [])}\`: ${issue?.message ?? 'invalid'}` }
}
