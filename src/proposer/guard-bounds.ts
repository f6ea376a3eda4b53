import { ConfigurationError } from '../errors.js'

/** An inclusive range of allowed values. */
export interface Range {
  min: number
  max: number
}

/** Limits the proposal guards enforce. */
export interface GuardBounds {
  /** Largest serialized patch, in bytes. @default 2048 */
  maxPatchBytes: number
  /** Most operations in one patch. @default 4 */
  maxOps: number
  /** Consecutive words of a task instruction that count as quoting it. @default 6 */
  quoteWords: number
  /** Consecutive characters of a task instruction that count as quoting it. @default 40 */
  quoteChars: number
  /** Values `limits.maxTurns` may be set to. @default { min: 2, max: 100 } */
  maxTurns: Range
  /** Values `limits.commandTimeoutMs` may be set to. @default { min: 1000, max: 120000 } */
  commandTimeoutMs: Range
  /** Values `limits.toolResultMaxChars` may be set to. @default { min: 50, max: 20000 } */
  toolResultMaxChars: Range
  /** Values a tool's `timeoutMs` may be set to. @default { min: 1000, max: 120000 } */
  toolTimeoutMs: Range
}

/** The default guard bounds. */
export const DEFAULT_GUARD_BOUNDS: Readonly<GuardBounds> = Object.freeze({
  maxPatchBytes: 2048,
  maxOps: 4,
  quoteWords: 6,
  quoteChars: 40,
  maxTurns: { min: 2, max: 100 },
  commandTimeoutMs: { min: 1000, max: 120_000 },
  toolResultMaxChars: { min: 50, max: 20_000 },
  toolTimeoutMs: { min: 1000, max: 120_000 },
})

const RANGES = ['maxTurns', 'commandTimeoutMs', 'toolResultMaxChars', 'toolTimeoutMs'] as const
const COUNTS = ['maxPatchBytes', 'maxOps', 'quoteWords', 'quoteChars'] as const

/** Fills guard bounds with defaults and validates them. */
export function resolveGuardBounds(raw: Partial<GuardBounds> = {}): GuardBounds {
  const bounds: GuardBounds = { ...DEFAULT_GUARD_BOUNDS, ...raw }
  for (const name of COUNTS) {
    const value = bounds[name]
    if (!Number.isInteger(value) || value <= 0) {
      throw new ConfigurationError('CONFIG_INVALID', `Expected \`bounds.${name}\` to be a positive integer, got \`${String(value)}\`.`, {
        field: `bounds.${name}`,
      })
    }
  }
  for (const name of RANGES) {
    const range = bounds[name]
    if (!range || !Number.isInteger(range.min) || !Number.isInteger(range.max) || range.min <= 0 || range.min > range.max) {
      throw new ConfigurationError(
        'CONFIG_INVALID',
        `Expected \`bounds.${name}\` to be { min, max } with positive integers and min <= max, got \`${JSON.stringify(range)}\`.`,
        { field: `bounds.${name}` },
      )
    }
  }
  return bounds
}
