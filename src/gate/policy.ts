import { ConfigurationError } from '../errors.js'

/** How the gate decides: per-task exact test (default), the article's per-task rule, or the paper's split counts. */
export type GateRule = 'exact' | 'strict' | 'split'

/** The split a task belongs to; `sealed` tasks are reported and never decide anything. */
export type TaskSplit = 'train' | 'validation' | 'sealed'

/** What rule `exact` does with tasks whose trial counts can never reach significance (k = 1 or 2 at alpha 0.05). */
export type UnderpoweredMode = 'insufficient-evidence' | 'strict'

/** Which tasks get per-task evidence in the verdict. */
export type EvidenceMode = 'auto' | 'all' | 'changed'

/** The gate policy as a user writes it; every field is optional. */
export interface GatePolicyInput {
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
   * @default true
   */
  requireGain?: boolean
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

/** Above this many compared tasks, `evidence: 'auto'` lists only tasks that are not `same`. */
export const EVIDENCE_ALL_LIMIT = 10_000

/** The defaults of every policy field. */
export const DEFAULT_GATE_POLICY: Readonly<GatePolicy> = Object.freeze({
  rule: 'exact',
  alpha: 0.05,
  requireGain: true,
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
const KEYS = Object.keys(DEFAULT_GATE_POLICY)

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
  const rule = input.rule ?? d.rule
  if (!RULES.includes(rule as GateRule)) fail('rule', oneOf(RULES), rule)
  const alpha = input.alpha ?? d.alpha
  if (typeof alpha !== 'number' || !(alpha > 0 && alpha < 1)) fail('alpha', 'in (0, 1)', alpha)
  const maxErrorRate = input.maxErrorRate ?? d.maxErrorRate
  if (typeof maxErrorRate !== 'number' || !(maxErrorRate >= 0 && maxErrorRate <= 1)) {
    fail('maxErrorRate', 'in [0, 1]', maxErrorRate)
  }
  const requireGain = bool(input, 'requireGain', d.requireGain)
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
    rule: rule as GateRule,
    alpha,
    requireGain,
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
