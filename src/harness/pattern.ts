import { RE2JS } from 're2js'

/** Longest pattern source a harness may hold. */
export const MAX_PATTERN_LENGTH = 1_000

/** A harness pattern compiled for matching in time linear in the subject. */
export interface SafePattern {
  /** True when the pattern matches somewhere in `subject`. */
  test(subject: string): boolean
}

/** A compiled pattern, or why the linear-time engine refuses the source. */
export type PatternResult = { ok: true; pattern: SafePattern } | { ok: false; reason: string }

const compiled = new Map<string, PatternResult>()
const CACHE_LIMIT = 256

/**
 * Compiles a harness pattern (`before[].match`, `after[].match`) with RE2 semantics (the `re2js` engine): matching
 * takes time linear in the subject whatever the pattern, so no pattern can block the run. RE2 has no
 * backreferences or lookarounds; a source using them, or longer than {@link MAX_PATTERN_LENGTH}, is refused
 * with the engine's reason. Results are memoized by source.
 */
export function compilePattern(source: string): PatternResult {
  const known = compiled.get(source)
  if (known) return known
  const result = compileUncached(source)
  if (compiled.size >= CACHE_LIMIT) compiled.delete(compiled.keys().next().value!)
  compiled.set(source, result)
  return result
}

function compileUncached(source: string): PatternResult {
  if (typeof source !== 'string') return { ok: false, reason: 'expected a string' }
  if (source.length > MAX_PATTERN_LENGTH) return { ok: false, reason: `the regular expression is ${source.length} characters; at most ${MAX_PATTERN_LENGTH} are allowed` }
  try {
    const re = RE2JS.compile(source)
    return { ok: true, pattern: { test: (subject) => re.test(subject) } }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    const detail = message.replace(/^error parsing regexp: /, '')
    return { ok: false, reason: `not a regular expression the linear-time engine accepts (RE2 syntax: no backreferences or lookarounds): ${detail}` }
  }
}

/** Whether a harness pattern matches a subject; an absent pattern matches everything, a refused one nothing. */
export function patternMatches(source: string | undefined, subject: string): boolean {
  if (source === undefined) return true
  const result = compilePattern(source)
  return result.ok && result.pattern.test(subject)
}
