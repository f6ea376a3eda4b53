import { fieldName } from '../json.js'
import { TrialSchema, type Trial } from './schema.js'

/** Longest reason kept in a record. */
export const MAX_REASON_CHARS = 500

/** A trial that ended as `error` before or without an agent run: nothing measured, only why. */
export function erroredTrial(index: number, reason: string, extra: Partial<Pick<Trial, 'durationMs' | 'tracePath' | 'status'>> = {}): Trial {
  return { index, outcome: 'error', durationMs: 0, tokens: { prompt: 0, completion: 0 }, turns: 0, toolCalls: 0, ...extra, reason: reason.slice(0, MAX_REASON_CHARS) }
}

/**
 * The trial as a record can hold it. A value the record's schema would refuse (a token count that is a string,
 * negative, fractional or past the safe integers; a missing field) never reaches a journal or a record: the trial
 * becomes an `error` naming the field, so the run keeps every other trial and this one is run again by
 * `--retry-errors`.
 */
export function recordableTrial(raw: unknown, fallbackIndex: number): Trial {
  const parsed = TrialSchema.safeParse(raw)
  if (parsed.success) return parsed.data
  const issue = parsed.error.issues[0]!
  const value = raw as Partial<Record<keyof Trial, unknown>> | null
  const index = typeof value?.index === 'number' && Number.isSafeInteger(value.index) && value.index >= 0 ? value.index : fallbackIndex
  const durationMs = typeof value?.durationMs === 'number' && Number.isFinite(value.durationMs) && value.durationMs >= 0 ? value.durationMs : 0
  const tracePath = typeof value?.tracePath === 'string' ? { tracePath: value.tracePath } : {}
  return erroredTrial(index, `invalid trial data, field \`${fieldName(issue.path)}\`: ${issue.message}`, { durationMs, ...tracePath })
}
