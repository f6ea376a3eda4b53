import { ConfigurationError } from '../errors.js'

/** How the gate decides: per-task exact test (default), the article's per-task rule, or the paper's split counts. */
export type GateRule = 'exact' | 'strict' | 'split'

/** The split a task belongs to; `sealed` tasks are reported and never decide anything. */
export type TaskSplit = 'train' | 'validation' | 'sealed'

/** What rule `exact` does with tasks whose trial counts can never reach significance (k = 1 or 2 at alpha 0.05). */
export type UnderpoweredMode = 'insufficient-evidence' | 'strict'

/** Which tasks get per-task evidence in the verdict. */
export type EvidenceMode = 'auto' | 'all' | 'changed'

/** What the verdict is for: a pull request (`check`: no regression) or a promotion (`promote`: also a net gain). */
export type GateMode = 'check' | 'promote'

/** The gate policy as a user writes it; every field is optional. */
export interface GatePolicyInput {
  /**
   * `check` (a pull request) blocks on regressions only; `promote` (evolve, accepting a new harness) also
   * requires a net gain. Sets the default of `requireGain`.
   * @default 'check'
   */
  mode?: GateMode
  /**
   * Decision rule.
   * @default 'exact'
   */
  rule?: GateRule
  /**
   * Family-wise error rate of the regression test (`exact`), in (0, 1).
   * @default 0.05
   */
  alpha?: number
  /**
   * Require a net gain to accept; when false, a candidate with no regression and no gain is accepted.
   * @default true in mode `promote`, false in mode `check`
   */
  requireGain?: boolean
  /**
   * Share of `alpha` kept for follow-up looks (adaptive trials); the first look tests at `alpha * (1 - share)`,
   * follow-up look j (2, 3, ...) at `alpha * share / 2^(j-1)`, so every look together stays within `alpha`.
   * @default 0.6
   */
  followUpShare?: number
  /**
   * A task whose baseline pass rate (history included) is at or above this is `stable`; at or below
   * `1 - stableRate` it is `failing`.
   * @default 0.9
   */
  stableRate?: number
  /**
   * A task whose baseline flip rate (chance two trials disagree) is above this, over at least 6 trials, is
   * `too-flaky`: reported, never gating. 0.45 is a pass rate between about 0.35 and 0.65.
   * @default 0.45
   */
  maxFlipRate?: number
  /**
   * Most trials a side of a task gets in follow-up looks; bounds the trials a suspected change may ask for.
   * @default 9
   */
  maxTrialsPerTask?: number
  /**
   * Rule `exact` only: a task whose trial counts can never reach `alpha` cannot be tested. With
   * `insufficient-evidence`, a drop on such a task makes the verdict `insufficient-evidence`; with `strict`, such
   * tasks are judged by the article's per-task rule (passed before, never now), without a noise test.
   * @default 'insufficient-evidence'
   */
  underpowered?: UnderpoweredMode
  /**
   * Fraction of error trials (gating tasks, both records) that may be left when they could change the verdict.
   * Errors that cannot change the verdict never block.
   * @default 0
   */
  maxErrorRate?: number
  /**
   * Compare records made with different models.
   * @default false
   */
  allowModelChange?: boolean
  /**
   * Compare records of different task sets on the tasks they share; the others are reported as added or removed.
   * @default false
   */
  allowTaskSetChange?: boolean
  /**
   * Task ids reported but never gating (too flaky to block).
   * @default []
   */
  ignore?: string[]
  /**
   * Split of each task; tasks not named form one group. `sealed` tasks never gate under any rule.
   * @default {}
   */
  splits?: Record<string, TaskSplit>
  /**
   * Per-task evidence: `all` tasks, only `changed` ones (any task not `same`, or with errors), or `auto`:
   * all up to {@link EVIDENCE_ALL_LIMIT} compared tasks, changed ones beyond.
   * @default 'auto'
   */
  evidence?: EvidenceMode
}

/** The gate policy with every default filled in and every value checked. */
export type GatePolicy = Required<GatePolicyInput>

/** Input fields whose default depends on another field. */
const DERIVED = ['requireGain']

/** Above this many compared tasks, `evidence: 'auto'` lists only tasks that are not `same`. */
export const EVIDENCE_ALL_LIMIT = 10_000

/** The defaults of every policy field. */
export const DEFAULT_GATE_POLICY: Readonly<GatePolicy> = Object.freeze({
  mode: 'check',
  rule: 'exact',
  alpha: 0.05,
  requireGain: false,
  followUpShare: 0.6,
  stableRate: 0.9,
  maxFlipRate: 0.45,
  maxTrialsPerTask: 9,
  underpowered: 'insufficient-evidence',
  maxErrorRate: 0,
  allowModelChange: false,
  allowTaskSetChange: false,
  ignore: [],
  splits: {},
  evidence: 'auto',
})

const RULES: readonly GateRule[] = ['exact', 'strict', 'split']
const SPLITS: readonly TaskSplit[] = ['train', 'validation', 'sealed']
const EVIDENCE: readonly EvidenceMode[] = ['auto', 'all', 'changed']
const UNDERPOWERED: readonly UnderpoweredMode[] = ['insufficient-evidence', 'strict']
const MODES: readonly GateMode[] = ['check', 'promote']
const KEYS = Object.keys(DEFAULT_GATE_POLICY).filter((k) => !DERIVED.includes(k)).concat(DERIVED)

/** Fills the policy's defaults and validates it; throws a `ConfigurationError` naming the field. */
export function resolveGatePolicy(raw: unknown = {}): GatePolicy {
  if (raw === undefined || raw === null) raw = {}
  if (typeof raw !== 'object' || Array.isArray(raw)) fail('(root)', 'an object', raw)
  const input = raw as Record<string, unknown>
  for (const key of Object.keys(input)) {
    if (!KEYS.includes(key)) {
      throw new ConfigurationError(
        'CONFIG_INVALID',
        `Unknown gate policy option \`${key}\`; expected one of ${KEYS.map((k) => `\`${k}\``).join(', ')}.`,
        { field: key },
      )
    }
  }
  const d = DEFAULT_GATE_POLICY
  const mode = input.mode ?? d.mode
  if (!MODES.includes(mode as GateMode)) fail('mode', oneOf(MODES), mode)
  const rule = input.rule ?? d.rule
  if (!RULES.includes(rule as GateRule)) fail('rule', oneOf(RULES), rule)
  const alpha = input.alpha ?? d.alpha
  if (typeof alpha !== 'number' || !(alpha > 0 && alpha < 1)) fail('alpha', 'in (0, 1)', alpha)
  const maxErrorRate = input.maxErrorRate ?? d.maxErrorRate
  if (typeof maxErrorRate !== 'number' || !(maxErrorRate >= 0 && maxErrorRate <= 1)) {
    fail('maxErrorRate', 'in [0, 1]', maxErrorRate)
  }
  const requireGain = bool(input, 'requireGain', mode === 'promote')
  const followUpShare = input.followUpShare ?? d.followUpShare
  if (typeof followUpShare !== 'number' || !(followUpShare >= 0 && followUpShare < 1)) {
    fail('followUpShare', 'in [0, 1)', followUpShare)
  }
  const stableRate = input.stableRate ?? d.stableRate
  if (typeof stableRate !== 'number' || !(stableRate > 0.5 && stableRate <= 1)) fail('stableRate', 'in (0.5, 1]', stableRate)
  const maxFlipRate = input.maxFlipRate ?? d.maxFlipRate
  if (typeof maxFlipRate !== 'number' || !(maxFlipRate >= 0 && maxFlipRate <= 1)) fail('maxFlipRate', 'in [0, 1]', maxFlipRate)
  const maxTrialsPerTask = input.maxTrialsPerTask ?? d.maxTrialsPerTask
  if (typeof maxTrialsPerTask !== 'number' || !Number.isInteger(maxTrialsPerTask) || maxTrialsPerTask < 1) {
    fail('maxTrialsPerTask', 'a positive integer', maxTrialsPerTask)
  }
  const underpowered = input.underpowered ?? d.underpowered
  if (!UNDERPOWERED.includes(underpowered as UnderpoweredMode)) fail('underpowered', oneOf(UNDERPOWERED), underpowered)
  const allowModelChange = bool(input, 'allowModelChange', d.allowModelChange)
  const allowTaskSetChange = bool(input, 'allowTaskSetChange', d.allowTaskSetChange)
  const evidence = input.evidence ?? d.evidence
  if (!EVIDENCE.includes(evidence as EvidenceMode)) fail('evidence', oneOf(EVIDENCE), evidence)
  const ignore = input.ignore ?? []
  if (!Array.isArray(ignore)) fail('ignore', 'an array of task ids', ignore)
  ignore.forEach((id, i) => {
    if (typeof id !== 'string') fail(`ignore[${i}]`, 'a task id (string)', id)
  })
  const splits = input.splits ?? {}
  if (typeof splits !== 'object' || splits === null || Array.isArray(splits)) {
    fail('splits', 'an object mapping task ids to splits', splits)
  }
  for (const [id, split] of Object.entries(splits)) {
    if (!SPLITS.includes(split as TaskSplit)) fail(`splits[${JSON.stringify(id)}]`, oneOf(SPLITS), split)
  }
  return {
    mode: mode as GateMode,
    rule: rule as GateRule,
    alpha,
    requireGain,
    followUpShare,
    stableRate,
    maxFlipRate,
    maxTrialsPerTask,
    underpowered: underpowered as UnderpoweredMode,
    maxErrorRate,
    allowModelChange,
    allowTaskSetChange,
    ignore: [...(ignore as string[])],
    splits: { ...(splits as Record<string, TaskSplit>) },
    evidence: evidence as EvidenceMode,
  }
}

function bool(input: Record<string, unknown>, key: string, fallback: boolean): boolean {
  const value = input[key] ?? fallback
  if (typeof value !== 'boolean') fail(key, 'a boolean', value)
  return value
}

function oneOf(values: readonly string[]): string {
  return `one of ${values.map((v) => `\`${v}\``).join(', ')}`
}

function fail(field: string, expected: string, got: unknown): never {
  throw new ConfigurationError(
    'CONFIG_INVALID',
    `Expected \`${field}\` to be ${expected}, got \`${show(got)}\``,
    { field },
  )
}

function show(value: unknown): string {
  if (typeof value === 'string') return value
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

/** Alpha of one look: the first at `alpha * (1 - followUpShare)`, follow-up look j at `alpha * followUpShare / 2^(j-1)`. */
export function lookAlpha(policy: Pick<GatePolicy, 'alpha' | 'followUpShare'>, look: number): number {
  if (!Number.isInteger(look) || look < 1) fail('look', 'a positive integer', look)
  if (look === 1) return policy.alpha * (1 - policy.followUpShare)
  return (policy.alpha * policy.followUpShare) / 2 ** (look - 1)
}
