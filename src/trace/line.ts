import { fieldName } from '../json.js'
import { TraceEventSchema, type TraceEvent } from './events.js'

/** One trace line and the event it holds. */
export interface TraceLine {
  /** The JSON text, without its newline. */
  line: string
  event: TraceEvent
}

/** Longest message of an event that stands in for an invalid one. */
const MAX_MESSAGE = 500

/**
 * An event as the line a trace file holds, redacted and then validated with the schema the reader uses, so a trace
 * never holds a line its own reader refuses. An event that does not serialize or validate (a value from the
 * endpoint of the wrong type, a redaction that broke the JSON) is replaced by an `error` event naming the field.
 */
export function traceLine(event: unknown, redact?: (text: string) => string): TraceLine {
  const t = timeOf(event)
  let problem: string
  try {
    const raw = JSON.stringify(event)
    const line = redact ? redact(raw) : raw
    const parsed = TraceEventSchema.safeParse(JSON.parse(line))
    if (parsed.success) return { line, event: parsed.data }
    const issue = parsed.error.issues[0]!
    problem = `field \`${fieldName(issue.path)}\`: ${issue.message}`
  } catch (error) {
    problem = error instanceof Error ? error.message : String(error)
  }
  const kind = typeof (event as { kind?: unknown } | null)?.kind === 'string' ? String((event as { kind: string }).kind).slice(0, 40) : 'unknown'
  const stand: TraceEvent = { t, kind: 'error', source: 'harness', code: 'TRACE_EVENT_INVALID', message: `A ${kind} event could not be recorded: ${problem}`.slice(0, MAX_MESSAGE) }
  const text = redact ? safeRedact(JSON.stringify(stand), redact) : JSON.stringify(stand)
  return { line: text, event: JSON.parse(text) as TraceEvent }
}

/** The redacted line if it still holds a valid event; else the event without its message, which names no secret. */
function safeRedact(line: string, redact: (text: string) => string): string {
  try {
    const out = redact(line)
    if (TraceEventSchema.safeParse(JSON.parse(out)).success) return out
  } catch {
    // fall through
  }
  const { t } = JSON.parse(line) as { t: number }
  return JSON.stringify({ t, kind: 'error', source: 'harness', code: 'TRACE_EVENT_INVALID', message: 'An event could not be recorded.' })
}

function timeOf(event: unknown): number {
  const t = (event as { t?: unknown } | null)?.t
  return typeof t === 'number' && Number.isFinite(t) && t >= 0 ? t : 0
}
