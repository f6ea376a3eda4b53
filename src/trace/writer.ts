import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs'
import { dirname } from 'node:path'
import type { TraceEvent, TraceEventInput } from './events.js'
import { traceLine } from './line.js'
import type { Redactor } from './redact.js'

/** Receives a trial's events; passed in, never global. */
export interface TraceRecorder {
  /** Stamps the event with the time since the trial started and records it. */
  record(event: TraceEventInput): TraceEvent
  /** Events recorded so far, in order. */
  readonly events: readonly TraceEvent[]
  /** Path of the JSONL file, when the recorder writes one. */
  readonly path: string | undefined
  /** Flushes and closes the file; never rejects (a failed write is in {@link writeError}). */
  close(): Promise<void>
  /** Why the file could not be written (a full disk, a removed folder), naming the file; the events stay in memory. */
  readonly writeError?: string
}

/** Options of {@link createTraceRecorder}. */
export interface TraceRecorderOptions {
  /** JSONL file to stream events to; absent = memory only. */
  path?: string
  /** The run's redactor: every event is redacted, as a value, before it is kept or written. */
  redact?: Redactor
}

/** Fields that name the project's own things (never the model's or the endpoint's words), written as they are. */
const PROJECT_FIELDS = ['taskId', 'harnessId', 'model']

/** Longest an event waits in memory before it is written. */
const FLUSH_MS = 100
/** Buffered bytes that are written at once. */
const FLUSH_BYTES = 64 * 1024

/**
 * Makes a recorder that keeps a trial's events and streams them, one JSON line each, to a file. Lines are written
 * in batches, at most {@link FLUSH_MS} ms or {@link FLUSH_BYTES} bytes after they are recorded, and all of them on
 * `close`: one write per batch instead of one per event (a trial records dozens), while a killed run still leaves
 * its trace up to the last moments.
 */
export function createTraceRecorder(options: TraceRecorderOptions = {}): TraceRecorder {
  const started = performance.now()
  const events: TraceEvent[] = []
  let stream: WriteStream | undefined
  let writeError: string | undefined
  const failed = (error: unknown): void => {
    const e = error as NodeJS.ErrnoException
    writeError ??= `Cannot write the trace ${options.path}: ${e?.code ?? e?.message ?? String(error)}`
  }
  if (options.path) {
    mkdirSync(dirname(options.path), { recursive: true })
    stream = createWriteStream(options.path, { flags: 'w' })
    stream.on('error', failed)
  }
  let batch: string[] = []
  let batchBytes = 0
  let timer: NodeJS.Timeout | undefined
  const flush = (): void => {
    clearTimeout(timer)
    timer = undefined
    if (batch.length && stream && !writeError && !stream.destroyed) stream.write(batch.join(''))
    batch = []
    batchBytes = 0
  }
  const redact = options.redact
  return {
    events,
    path: options.path,
    get writeError() {
      return writeError
    },
    record(input) {
      const event = { t: Math.round(performance.now() - started), ...input }
      // Redacting values, not the serialized line: a secret holding `"` or `\` cannot escape it, and numbers and
      // the format's own words are never rewritten. Then validated: the file never holds a line the reader refuses.
      const { line, event: stored } = traceLine(redact ? redact.value(event, PROJECT_FIELDS) : event)
      events.push(stored)
      if (stream) {
        batch.push(line + '\n')
        batchBytes += line.length + 1
        if (batchBytes >= FLUSH_BYTES) flush()
        else timer ??= setTimeout(flush, FLUSH_MS).unref()
      }
      return stored
    },
    close() {
      flush()
      const s = stream
      stream = undefined
      if (!s || s.destroyed) return Promise.resolve()
      return new Promise((resolve) =>
        s.end((err?: Error | null) => {
          if (err) failed(err)
          resolve()
        }),
      )
    },
  }
}
