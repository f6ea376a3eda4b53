import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs'
import { dirname } from 'node:path'
import type { TraceEvent, TraceEventInput } from './events.js'

/** Receives a trial's events; passed in, never global. */
export interface TraceRecorder {
  /** Stamps the event with the time since the trial started and records it. */
  record(event: TraceEventInput): TraceEvent
  /** Events recorded so far, in order. */
  readonly events: readonly TraceEvent[]
  /** Path of the JSONL file, when the recorder writes one. */
  readonly path: string | undefined
  /** Flushes and closes the file. */
  close(): Promise<void>
}

/** Options of {@link createTraceRecorder}. */
export interface TraceRecorderOptions {
  /** JSONL file to stream events to; absent = memory only. */
  path?: string
  /** Applied to every string written (secret redaction). */
  redact?: (text: string) => string
}

/** Makes a recorder that keeps a trial's events and streams them, one JSON line each, to a file. */
export function createTraceRecorder(options: TraceRecorderOptions = {}): TraceRecorder {
  const started = performance.now()
  const events: TraceEvent[] = []
  let stream: WriteStream | undefined
  if (options.path) {
    mkdirSync(dirname(options.path), { recursive: true })
    stream = createWriteStream(options.path, { flags: 'w' })
  }
  const redact = options.redact
  return {
    events,
    path: options.path,
    record(input) {
      const event = { t: Math.round(performance.now() - started), ...input } as TraceEvent
      const line = JSON.stringify(event)
      const safe = redact ? redact(line) : line
      const stored = safe === line ? event : (JSON.parse(safe) as TraceEvent)
      events.push(stored)
      stream?.write(safe + '\n')
      return stored
    },
    close() {
      const s = stream
      stream = undefined
      if (!s) return Promise.resolve()
      return new Promise((resolve, reject) => s.end((err?: Error | null) => (err ? reject(err) : resolve())))
    },
  }
}
