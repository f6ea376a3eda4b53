import { ConfigurationError } from '../errors.js'
import { MAX_REQUEST_TIMEOUT_MS, numberFromEnv, resolveModelOptions, type ModelOptions, type ResolvedModelOptions } from './model.js'

/** Longest run time limit accepted, in milliseconds (one day; a timer cannot wait past about 24.8 days). */
export const MAX_RUN_TIMEOUT_MS = 86_400_000
/** The run time limit when neither the settings nor the harness file give one. */
export const DEFAULT_RUN_TIMEOUT_MS = 120_000
/** The request time limit when nothing gives one. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000

/**
 * Wall-clock budgets of a run: they depend on the machine and the endpoint, so they are recorded in the run record
 * but are not part of the harness id. Turn and step limits stay in the harness.
 */
export interface RunSettingsInput {
  /** Time limit of one whole agent run (model calls, retries, tools, wrappers, final checks), before scaling. */
  runTimeoutMs?: number
  /** Time limit of one model request, before scaling. */
  requestTimeoutMs?: number
  /** Factor applied to every wall-clock budget (run, request, and the harness's command time limits), 0.1 to 100. @default 1 */
  timeScale?: number
}

/** Run settings as used: every budget already multiplied by `timeScale`. */
export interface RunSettings {
  runTimeoutMs: number
  requestTimeoutMs: number
  timeScale: number
}

/** Where each setting comes from, for messages. */
const SOURCES: Record<keyof RunSettingsInput, string> = {
  runTimeoutMs: 'the option `runTimeoutMs` or SELF_HARNESS_RUN_TIMEOUT_MS',
  requestTimeoutMs: 'the option `model.timeoutMs` or SELF_HARNESS_REQUEST_TIMEOUT_MS',
  timeScale: 'the option `timeScale` or SELF_HARNESS_TIME_SCALE',
}

function check(field: keyof RunSettingsInput, value: unknown, min: number, max: number, integer: boolean, scaled = false): number {
  const ok = typeof value === 'number' && (integer ? Number.isInteger(value) : Number.isFinite(value)) && value >= min && value <= max
  if (!ok) {
    const what = integer ? 'an integer' : 'a number'
    const name = scaled ? `${field} × timeScale` : field
    throw new ConfigurationError('CONFIG_INVALID', `Expected \`${name}\` (${SOURCES[field]}) to be ${what} from ${min} to ${max}, got \`${String(value)}\`.`, { field })
  }
  return value as number
}

/**
 * The run settings the environment gives: `SELF_HARNESS_RUN_TIMEOUT_MS`, `SELF_HARNESS_REQUEST_TIMEOUT_MS`,
 * `SELF_HARNESS_TIME_SCALE` (the `self-harness` command sets them from its flags). Text that is not a number is
 * kept, to be refused by {@link resolveRunSettings} with the field's name.
 */
export function runSettingsFromEnv(env: NodeJS.ProcessEnv): RunSettingsInput {
  const read = (name: string) => numberFromEnv(env[name]) as number | undefined
  const out: RunSettingsInput = {}
  const run = read('SELF_HARNESS_RUN_TIMEOUT_MS')
  const request = read('SELF_HARNESS_REQUEST_TIMEOUT_MS')
  const scale = read('SELF_HARNESS_TIME_SCALE')
  if (run !== undefined) out.runTimeoutMs = run
  if (request !== undefined) out.requestTimeoutMs = request
  if (scale !== undefined) out.timeScale = scale
  return out
}

/**
 * Validates run settings and applies the time scale. `defaults.runTimeoutMs` is what a harness file's own
 * `limits.runTimeoutMs` gives, used when the settings give none. Out-of-range values are refused naming the field.
 */
export function resolveRunSettings(raw: RunSettingsInput = {}, defaults: { runTimeoutMs?: number } = {}): RunSettings {
  const timeScale = check('timeScale', raw.timeScale ?? 1, 0.1, 100, false)
  const runTimeoutMs = check('runTimeoutMs', raw.runTimeoutMs ?? defaults.runTimeoutMs ?? DEFAULT_RUN_TIMEOUT_MS, 1, MAX_RUN_TIMEOUT_MS, true)
  const requestTimeoutMs = check('requestTimeoutMs', raw.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, 1, MAX_REQUEST_TIMEOUT_MS, true)
  return {
    runTimeoutMs: check('runTimeoutMs', Math.round(runTimeoutMs * timeScale), 1, MAX_RUN_TIMEOUT_MS, true, true),
    requestTimeoutMs: check('requestTimeoutMs', Math.round(requestTimeoutMs * timeScale), 1, MAX_REQUEST_TIMEOUT_MS, true, true),
    timeScale,
  }
}

/**
 * The model options of `mine`, `propose` and `evolve`: the same as a run's (the environment's endpoint, model,
 * `max_tokens`, and the request time limit with the time scale applied), so no command has a fixed time limit.
 */
export function resolveCommandModelOptions(raw: ModelOptions & { timeScale?: number } = {}, env: NodeJS.ProcessEnv = process.env): ResolvedModelOptions {
  const { timeScale, ...model } = raw
  const settings = resolveRunSettings({ requestTimeoutMs: model.timeoutMs, timeScale, ...runSettingsFromEnv(env) })
  return resolveModelOptions({ ...model, timeoutMs: settings.requestTimeoutMs }, env)
}
