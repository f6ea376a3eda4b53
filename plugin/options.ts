import { ConfigurationError } from '../src/errors.js'
import type { ModelOptions } from '../src/agent/model.js'
import { runSettingsFromEnv, type RunSettingsInput } from '../src/agent/settings.js'
import type { GatePolicyInput } from '../src/gate/policy.js'

/** Options of the `selfHarness()` vitest plugin. */
export interface SelfHarnessOptions {
  /**
   * A module (relative to the vitest root) whose default export is the agent to run, made by `defineAgent` from
   * `self-harness`; its harness files are its own data, validated by its schema. `SELF_HARNESS_AGENT` wins over it.
   * @default the built-in loop
   */
  agent?: string
  /** Harness version to run, when neither the command line nor `SELF_HARNESS` names one. @default 'baseline' */
  harness?: string
  /** Directory of the harness files, relative to the vitest root. @default 'harnesses' */
  harnessDir?: string
  /** The model endpoint; each field falls back to its environment variable. `model.timeoutMs` is a run setting (below). */
  model?: ModelOptions
  /**
   * Time limit of one agent run in milliseconds (a run setting: recorded in the record, not part of the harness id).
   * `SELF_HARNESS_RUN_TIMEOUT_MS` wins over it. @default the harness file's `limits.runTimeoutMs`, else 120000
   */
  runTimeoutMs?: number
  /** Factor applied to every wall-clock budget, for a slow or fast machine (`SELF_HARNESS_TIME_SCALE` wins). @default 1 */
  timeScale?: number
  /** Trials per task. @default 1 */
  trials?: number
  /** Where records and traces go, relative to the vitest root. @default '.self-harness' */
  outputDir?: string
  /** The committed baseline record; when set, every run is gated against it. */
  baseline?: string
  /** The gate's policy (rule, alpha, what to do with tasks that have too few trials; see docs/gate.md). */
  gate?: GatePolicyInput
  /** Root directory for trial workspaces. @default os.tmpdir() */
  workspaceRoot?: string
  /** Keep the workspaces of trials that did not pass, for debugging. @default false */
  keepWorkspaces?: boolean
  /** How agent commands are confined: bubblewrap when installed (`auto`), always (`bwrap`), or not (`none`). @default 'auto' */
  sandbox?: 'auto' | 'bwrap' | 'none'
  /** Names of the runner's environment variables that commands may see (none by default). @default [] */
  envAllow?: string[]
  /** Write the self-contained HTML report beside the record after each run. @default false */
  report?: boolean
  /** An opt-in cache of model responses for replaying runs: a directory, or a directory and a mode. */
  cache?: string | { dir: string; mode?: 'read-write' | 'read-only' | 'refresh' }
}

/** The harness selection and run settings after the command line, environment and options are combined. */
export interface RunSelection {
  harness: string
  /** The agent module, relative to the root; undefined for the built-in loop. */
  agent: string | undefined
  trials: number
  baseline: string | undefined
  gate: boolean
  /** Discard the journal of an interrupted run instead of resuming it. */
  fresh: boolean
  /** Keep the pass and fail trials of the harness's last record and run only its errored trials again. */
  retryErrors: boolean
  /** After the record is written, mine its failures into ranked weaknesses (`--mine`). */
  mine: boolean
  /** Write the HTML report beside the record (`--report`). */
  report: boolean
  /** Directory of the harness files, relative to the root. */
  harnessDir: string
  /** Where records and traces go, relative to the root. */
  outputDir: string
  /** How commands are confined (checked where used). */
  sandbox: unknown
  /** A record this run extends (adaptive trials): its trials are kept, only missing ones run. */
  extend: string | undefined
  /** A JSON file listing the only task ids to run. */
  only: string | undefined
  /** The model-response cache, when one is asked for. */
  cache: { dir: string; mode: 'read-write' | 'read-only' | 'refresh' } | undefined
  /** Run settings as given (environment over options), validated with the harness's defaults by `resolveRunSettings`. */
  timing: RunSettingsInput
}

/** Reads `--name=value` or `--name value` after a `--` separator. */
function afterSeparator(argv: readonly string[], name: string): string | undefined {
  const sep = argv.indexOf('--')
  if (sep < 0) return undefined
  const rest = argv.slice(sep + 1)
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!
    if (arg === `--${name}`) return rest[i + 1]
    if (arg.startsWith(`--${name}=`)) return arg.slice(name.length + 3)
  }
  return undefined
}

/**
 * Chooses the harness and run settings. Precedence: `vitest run -- --harness=NAME`, then `SELF_HARNESS`
 * (which `self-harness vitest --harness=NAME` sets), then the plugin option. The other `SELF_HARNESS_*` variables
 * are how the `self-harness` command and evolve steer a run. A pure function of its inputs.
 */
export function selectRun(argv: readonly string[], env: NodeJS.ProcessEnv, options: SelfHarnessOptions): RunSelection {
  const harness = afterSeparator(argv, 'harness') ?? env.SELF_HARNESS ?? options.harness ?? 'baseline'
  const rawTrials = afterSeparator(argv, 'trials') ?? env.SELF_HARNESS_TRIALS ?? options.trials ?? 1
  const trials = Number(rawTrials)
  if (!Number.isInteger(trials) || trials < 1) {
    throw new ConfigurationError('CONFIG_INVALID', `Expected \`trials\` to be a positive integer, got \`${rawTrials}\`.`, { field: 'trials' })
  }
  const baseline = afterSeparator(argv, 'baseline') ?? env.SELF_HARNESS_BASELINE ?? options.baseline
  const gate = env.SELF_HARNESS_GATE !== '0' && !argv.slice(argv.indexOf('--') + 1).includes('--no-gate')
  const passed = argv.slice(argv.indexOf('--') + 1)
  const fresh = env.SELF_HARNESS_FRESH === '1' || passed.includes('--fresh')
  const retryErrors = env.SELF_HARNESS_RETRY_ERRORS === '1' || passed.includes('--retry-errors')
  const mine = env.SELF_HARNESS_MINE === '1' || passed.includes('--mine')
  const report = env.SELF_HARNESS_REPORT === '1' || passed.includes('--report') || Boolean(options.report)
  return {
    harness,
    agent: env.SELF_HARNESS_AGENT || options.agent || undefined,
    trials,
    baseline: baseline || undefined,
    gate: gate && Boolean(baseline),
    fresh,
    retryErrors,
    mine,
    report,
    harnessDir: env.SELF_HARNESS_DIR ?? options.harnessDir ?? 'harnesses',
    outputDir: env.SELF_HARNESS_OUTPUT_DIR ?? options.outputDir ?? '.self-harness',
    sandbox: env.SELF_HARNESS_SANDBOX ?? options.sandbox ?? 'auto',
    extend: env.SELF_HARNESS_EXTEND || undefined,
    only: env.SELF_HARNESS_ONLY || undefined,
    cache: resolveCache(env, options),
    timing: {
      ...definedOnly({ runTimeoutMs: options.runTimeoutMs, requestTimeoutMs: options.model?.timeoutMs, timeScale: options.timeScale }),
      ...runSettingsFromEnv(env),
    },
  }
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}

const CACHE_MODES = ['read-write', 'read-only', 'refresh'] as const

/** The response cache from `SELF_HARNESS_CACHE` / `SELF_HARNESS_CACHE_MODE` or the plugin option. */
function resolveCache(env: NodeJS.ProcessEnv, options: SelfHarnessOptions): RunSelection['cache'] {
  const raw = env.SELF_HARNESS_CACHE ? { dir: env.SELF_HARNESS_CACHE, mode: env.SELF_HARNESS_CACHE_MODE } : typeof options.cache === 'string' ? { dir: options.cache } : options.cache
  if (!raw) return undefined
  const mode = raw.mode ?? 'read-write'
  if (!(CACHE_MODES as readonly string[]).includes(mode)) {
    throw new ConfigurationError('CONFIG_INVALID', `Expected the cache \`mode\` to be read-write, read-only or refresh, got \`${mode}\`.`, { field: 'cache.mode' })
  }
  return { dir: raw.dir, mode: mode as (typeof CACHE_MODES)[number] }
}
