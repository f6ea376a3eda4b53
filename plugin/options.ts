import { ConfigurationError } from '../src/errors.js'
import type { ModelOptions } from '../src/agent/model.js'
import { runSettingsFromEnv, type RunSettingsInput } from '../src/agent/settings.js'
import type { GatePolicyInput } from '../src/gate/policy.js'
import type { RunRequest } from '../src/run/request.js'

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
  /**
   * Most trials at once (a run setting; `SELF_HARNESS_CONCURRENCY` or `--concurrency` wins). Lowers vitest's
   * `maxWorkers` and `maxConcurrency`, never raises them. @default the endpoint's slots when it reports them
   * (llama.cpp's `GET /props`), else vitest's own worker count
   */
  concurrency?: number
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
  /** The only task ids to run (the run request's `taskIds`). */
  only: string[] | undefined
  /** The model-response cache, when one is asked for. */
  cache: { dir: string; mode: 'read-write' | 'read-only' | 'refresh' } | undefined
  /** Run settings as given (request over environment over options), validated with the harness's defaults by `resolveRunSettings`. */
  timing: RunSettingsInput
  /** Trials at once, when the run request gives it (else the environment, the option or the endpoint decide). */
  concurrency: number | undefined
  /** `max_tokens`, when the run request gives it (else the model options and the environment). */
  maxTokens: number | undefined
  /** Where to write the run's outcome for the process that asked for it. */
  outcomeFile: string | undefined
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
 * Chooses the harness and run settings. Precedence: `vitest run -- --harness=NAME`, then the run request (the file
 * `SELF_HARNESS_RUN_REQUEST` names, which the `self-harness` command, evolve, adaptive trials and calibrate write),
 * then the variables users set (`SELF_HARNESS`, `SELF_HARNESS_TRIALS`, `SELF_HARNESS_BASELINE`, the run settings...),
 * then the plugin options. A pure function of its inputs.
 */
export function selectRun(argv: readonly string[], env: NodeJS.ProcessEnv, options: SelfHarnessOptions, request: RunRequest = { version: 1 }): RunSelection {
  const harness = afterSeparator(argv, 'harness') ?? request.harness ?? env.SELF_HARNESS ?? options.harness ?? 'baseline'
  const rawTrials = afterSeparator(argv, 'trials') ?? request.trials ?? env.SELF_HARNESS_TRIALS ?? options.trials ?? 1
  const trials = Number(rawTrials)
  if (!Number.isInteger(trials) || trials < 1) {
    throw new ConfigurationError('CONFIG_INVALID', `Expected \`trials\` to be a positive integer, got \`${rawTrials}\`.`, { field: 'trials' })
  }
  const baseline = afterSeparator(argv, 'baseline') ?? request.baseline ?? env.SELF_HARNESS_BASELINE ?? options.baseline
  const passed = argv.slice(argv.indexOf('--') + 1)
  const flag = (name: string, requested: boolean | undefined, variable: string) => passed.includes(`--${name}`) || (requested ?? env[variable] === '1')
  const gate = !passed.includes('--no-gate') && (request.gate ?? env.SELF_HARNESS_GATE !== '0')
  return {
    harness,
    agent: request.agent ?? (env.SELF_HARNESS_AGENT || options.agent || undefined),
    trials,
    baseline: baseline || undefined,
    gate: gate && Boolean(baseline),
    fresh: flag('fresh', request.fresh, 'SELF_HARNESS_FRESH'),
    retryErrors: flag('retry-errors', request.retryErrors, 'SELF_HARNESS_RETRY_ERRORS'),
    mine: flag('mine', request.mine, 'SELF_HARNESS_MINE'),
    report: flag('report', request.report, 'SELF_HARNESS_REPORT') || Boolean(options.report),
    harnessDir: request.harnessDir ?? env.SELF_HARNESS_DIR ?? options.harnessDir ?? 'harnesses',
    outputDir: request.outputDir ?? env.SELF_HARNESS_OUTPUT_DIR ?? options.outputDir ?? '.self-harness',
    sandbox: env.SELF_HARNESS_SANDBOX ?? options.sandbox ?? 'auto',
    extend: request.extend,
    only: request.taskIds,
    cache: resolveCache(env, options),
    timing: {
      ...definedOnly({ runTimeoutMs: options.runTimeoutMs, requestTimeoutMs: options.model?.timeoutMs, timeScale: options.timeScale }),
      ...runSettingsFromEnv(env),
      ...definedOnly({ runTimeoutMs: request.settings?.runTimeoutMs, requestTimeoutMs: request.settings?.requestTimeoutMs, timeScale: request.settings?.timeScale }),
    },
    concurrency: request.settings?.concurrency,
    maxTokens: request.settings?.maxTokens,
    outcomeFile: request.outcomeFile,
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
