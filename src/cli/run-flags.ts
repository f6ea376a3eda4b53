import { ConfigurationError } from '../errors.js'
import type { RunRequestSettings } from '../run/request.js'
import type { ParsedArgs } from './args.js'
import type { FlagSpec } from './spec.js'

/** A run-setting flag and the environment variable the plugin reads it from. */
interface RunSettingFlag extends FlagSpec {
  name: string
  /** The run request's field. */
  setting: keyof RunRequestSettings
  env: string
  /** Smallest and largest accepted value; checked again, with the same bounds, where the setting is used. */
  min: number
  max: number
  integer: boolean
}

/**
 * Wall-clock budgets, the token cap and trial concurrency: run settings, not harness behaviour. Each flag goes into
 * the run request of the vitest processes a command starts (and into its own model calls); the plugin option, the
 * environment variable and the flag are one setting, the flag winning.
 */
export const RUN_SETTING_FLAGS: readonly RunSettingFlag[] = [
  { name: 'concurrency', setting: 'concurrency', flag: '--concurrency <n>', env: 'SELF_HARNESS_CONCURRENCY', min: 1, max: 256, integer: true, description: "Most trials at once (default: the endpoint's slots when it reports them)" },
  { name: 'run-timeout', setting: 'runTimeoutMs', flag: '--run-timeout <ms>', env: 'SELF_HARNESS_RUN_TIMEOUT_MS', min: 1, max: 86_400_000, integer: true, description: 'Time limit of one agent run, in ms (a run setting, not in the harness id)' },
  { name: 'request-timeout', setting: 'requestTimeoutMs', flag: '--request-timeout <ms>', env: 'SELF_HARNESS_REQUEST_TIMEOUT_MS', min: 1, max: 86_400_000, integer: true, description: 'Time limit of one model request, in ms' },
  { name: 'time-scale', setting: 'timeScale', flag: '--time-scale <x>', env: 'SELF_HARNESS_TIME_SCALE', min: 0.1, max: 100, integer: false, description: 'Factor on every wall-clock budget, for a slow or fast machine' },
  { name: 'max-tokens', setting: 'maxTokens', flag: '--max-tokens <n>', env: 'SELF_HARNESS_MAX_TOKENS', min: 1, max: 1_000_000, integer: true, description: 'Largest answer per model call, sent as max_tokens' },
]

/** The flags that set a model call's options only (for commands that run no trial: mine, propose). */
export const MODEL_SETTING_FLAGS = RUN_SETTING_FLAGS.filter((f) => f.name === 'request-timeout' || f.name === 'time-scale' || f.name === 'max-tokens')

/** The run settings the given flags ask for, for the run request; a value out of range is refused naming the flag. */
export function runSettingsOf(args: ParsedArgs, flags: readonly RunSettingFlag[] = RUN_SETTING_FLAGS): RunRequestSettings {
  const settings: RunRequestSettings = {}
  for (const flag of flags) {
    const given = args.flags[flag.name]
    if (given === undefined) continue
    const raw = typeof given === 'string' ? given : ''
    const value = Number(raw)
    const ok = raw.trim() !== '' && (flag.integer ? Number.isInteger(value) : Number.isFinite(value)) && value >= flag.min && value <= flag.max
    if (!ok) {
      const what = flag.integer ? 'an integer' : 'a number'
      throw new ConfigurationError('USAGE', `Expected \`--${flag.name}\` to be ${what} from ${flag.min} to ${flag.max}, got \`${raw}\`.`, { field: flag.name })
    }
    settings[flag.setting] = value
  }
  return settings
}

/**
 * The environment of the same settings, for a command's own model calls (`mine`, `propose`, `evolve`), which read
 * them as a run does: the flags win over the variables already set.
 */
export function settingsEnv(settings: RunRequestSettings, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env }
  for (const flag of RUN_SETTING_FLAGS) if (settings[flag.setting] !== undefined) out[flag.env] = String(settings[flag.setting])
  return out
}
