import { ConfigurationError } from '../src/errors.js'

/** Most trials at once that a setting may ask for. */
export const MAX_CONCURRENCY = 256

/** How many trials run at once, and what said so. */
export interface Concurrency {
  limit: number
  source: string
}

/**
 * The trial concurrency of a run: the run request's (`--concurrency`), else `SELF_HARNESS_CONCURRENCY`, else the
 * plugin option `concurrency`, else the endpoint's own slot count (llama.cpp's `total_slots`), else none (vitest's own
 * worker count). Matching the endpoint keeps requests from queueing in the server until they time out.
 */
export function resolveConcurrency(sources: { requested?: number; env?: NodeJS.ProcessEnv; option?: number; slots?: number }): Concurrency | undefined {
  const raw = sources.env?.SELF_HARNESS_CONCURRENCY
  if (sources.requested !== undefined) return { limit: checked(sources.requested, String(sources.requested), '--concurrency'), source: '--concurrency' }
  if (raw !== undefined && raw.trim() !== '') return { limit: checked(Number(raw), raw, 'SELF_HARNESS_CONCURRENCY'), source: 'SELF_HARNESS_CONCURRENCY' }
  if (sources.option !== undefined) return { limit: checked(sources.option, String(sources.option), 'the plugin option `concurrency`'), source: 'the plugin option `concurrency`' }
  if (sources.slots !== undefined) return { limit: sources.slots, source: `the endpoint's ${sources.slots} slot(s)` }
  return undefined
}

/** Whether a setting, rather than the endpoint, decides the concurrency (the endpoint is then not asked). */
export function concurrencyGiven(sources: { requested?: number; env?: NodeJS.ProcessEnv; option?: number }): boolean {
  return sources.requested !== undefined || (sources.env?.SELF_HARNESS_CONCURRENCY ?? '').trim() !== '' || sources.option !== undefined
}

function checked(value: number, raw: string, where: string): number {
  if (!Number.isInteger(value) || value < 1 || value > MAX_CONCURRENCY) {
    throw new ConfigurationError('CONFIG_INVALID', `Expected \`concurrency\` (${where}) to be an integer from 1 to ${MAX_CONCURRENCY}, got \`${raw}\`.`, { field: 'concurrency' })
  }
  return value
}

/** The part of vitest's resolved config that bounds how many tests run at once. */
export interface WorkerBounds {
  maxWorkers?: number
  maxConcurrency?: number
}

/**
 * Lowers vitest's worker count and per-file test concurrency to the limit (never raises them): each trial holds
 * one test of one file, so at most `limit` trials wait on the endpoint at once.
 */
export function boundWorkers(config: WorkerBounds, limit: number): void {
  config.maxWorkers = Math.min(config.maxWorkers ?? limit, limit)
  config.maxConcurrency = Math.min(config.maxConcurrency ?? limit, limit)
}
