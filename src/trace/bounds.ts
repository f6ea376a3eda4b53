import { stableStringify } from '../json.js'

// Bounds and checks for untrusted values on their way into trace events: from spans, SDKs and agents.

/** Longest text of a model answer, a tool's output or arguments kept in a trace. */
export const MAX_TEXT = 20_000
/** Longest name, id or model name kept. */
export const MAX_NAME = 200
/** Longest error message or note kept. */
export const MAX_MESSAGE = 2_000
/** Deepest nesting of tool arguments kept as a value (deeper ones are kept as their text). */
const MAX_DEPTH = 20

/** Cuts a text to at most `max` characters, never in the middle of a surrogate pair. */
export function cut(value: string, max: number): string {
  if (value.length <= max) return value
  const end = /[\uD800-\uDBFF]/.test(value[max - 1]!) ? max - 1 : max
  return value.slice(0, end)
}

/** A string cut to `max`; anything else as an empty string. */
export function text(value: unknown, max: number): string {
  return typeof value === 'string' ? cut(value, max) : ''
}

/** A non-empty string cut to `max`, or undefined. */
export function optionalText(value: unknown, max: number): string | undefined {
  return typeof value === 'string' && value.length > 0 ? cut(value, max) : undefined
}

/** A count: a finite non-negative number, rounded down and capped; anything else is 0. */
export function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.min(Math.floor(value), 1e12) : 0
}

/** A duration in ms: finite and non-negative, else 0. */
export function duration(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.min(value, 1e12) : 0
}

/** An error code: letters, digits and `_.-:` only, at most 64 characters. */
export function code(value: unknown, fallback: string): string {
  const clean = typeof value === 'string' ? value.replace(/[^\w.:-]/g, '_').slice(0, 64) : ''
  return clean || fallback
}

/** Tool arguments as the JSON text a model response holds. */
export function argumentText(value: unknown): string {
  if (value === undefined || value === null) return '{}'
  return cut(typeof value === 'string' ? value : jsonText(value), MAX_TEXT)
}

/**
 * Tool arguments as a `tool-call` event holds them: a JSON object (parsed from its text when it is one), so the miner
 * reads `command` and `path`; text that is not JSON, too long or too deep stays text, cut.
 */
export function argumentValue(value: unknown): unknown {
  if (value === undefined || value === null) return {}
  const raw = typeof value === 'string' ? value : jsonText(value)
  if (raw.length > MAX_TEXT) return cut(raw, MAX_TEXT)
  try {
    const parsed: unknown = JSON.parse(raw)
    if (depthOf(parsed) <= MAX_DEPTH) return parsed
  } catch {
    // not JSON: kept as text
  }
  return raw
}

/** How deep a value nests (stops counting past the limit). */
function depthOf(value: unknown, depth = 0): number {
  if (depth > MAX_DEPTH || value === null || typeof value !== 'object') return depth
  let deepest = depth + 1
  for (const item of Object.values(value)) deepest = Math.max(deepest, depthOf(item, depth + 1))
  return deepest
}

/** JSON text of a value; a value that does not serialize (a cycle, a BigInt) as its string form. */
export function jsonText(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    try {
      return String(value)
    } catch {
      return '[unserializable]'
    }
  }
}

/** Arguments (a JSON text or a value) as a text that is equal for equal arguments, whatever their spacing. */
export function sameArguments(value: unknown): string {
  const parsed = typeof value === 'string' ? argumentValue(value) : value
  if (typeof parsed === 'string') return parsed
  try {
    return stableStringify(parsed)
  } catch {
    return jsonText(parsed)
  }
}
