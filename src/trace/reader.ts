import { readFile } from 'node:fs/promises'
import { ConfigurationError } from '../errors.js'
import { fieldName } from '../json.js'
import { TraceEventSchema, type TraceEvent } from './events.js'

/** Reads and validates a JSONL trace; a bad line is reported with its line number, never skipped silently. */
export async function readTrace(file: string): Promise<TraceEvent[]> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (cause) {
    throw new ConfigurationError('RECORD_NOT_FOUND', `Cannot read the trace ${file}: ${(cause as Error).message}`, { cause, file })
  }
  return parseTrace(text, file)
}

/**
 * Parses JSONL trace text. A last line cut short (no newline after it: the run was killed while writing) ends the
 * trace with an `error` event saying so; a bad line anywhere else is refused.
 */
export function parseTrace(text: string, file = '(trace)'): TraceEvent[] {
  const events: TraceEvent[] = []
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    if (!line.trim()) continue
    let raw: unknown
    try {
      raw = JSON.parse(line)
    } catch {
      if (i === lines.length - 1) {
        const t = events.at(-1)?.t ?? 0
        events.push({ t, kind: 'error', source: 'harness', code: 'TRACE_TRUNCATED', message: `The trace ends in a line cut short (line ${i + 1}): the run stopped while writing it.` })
        break
      }
      throw new ConfigurationError('RECORD_INVALID', `Corrupt trace ${file}: line ${i + 1} is not valid JSON.`, { file })
    }
    const parsed = TraceEventSchema.safeParse(raw)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!
      throw new ConfigurationError(
        'RECORD_INVALID',
        `Invalid trace ${file}: line ${i + 1}, field \`${fieldName(issue.path)}\`: ${issue.message}.`,
        { file, field: fieldName(issue.path) },
      )
    }
    events.push(parsed.data)
  }
  return events
}
