import { ConfigurationError } from '../errors.js'
import { followUpOf } from './adaptive.js'
import { decide } from './decide.js'
import { REGRESSION } from './decision.js'
import { lookAlpha, resolveGatePolicy, type GatePolicy, type GatePolicyInput, type GateRule } from './policy.js'
import { seededRandom } from './prng.js'
import { FOLLOW_UP_STEP } from './rule-exact.js'
import { classifyTasks } from './stability.js'
import { emptyTally, type Tally } from './tally.js'

/** Tasks of one true pass rate in a simulated suite. */
export interface MixEntry {
  rate: number
  tasks: number
}

/**
 * The suite the headline figures are measured on: 60 tasks, most stable (30 always pass, 6 at 0.97, 6 at 0.9),
 * some flaky (4 at 0.7, 4 at 0.5), some failing (6 never pass, 4 at 0.05).
 */
export const REALISTIC_MIX: readonly MixEntry[] = Object.freeze([
  { rate: 1, tasks: 30 },
  { rate: 0.97, tasks: 6 },
  { rate: 0.9, tasks: 6 },
  { rate: 0.7, tasks: 4 },
  { rate: 0.5, tasks: 4 },
  { rate: 0, tasks: 6 },
  { rate: 0.05, tasks: 4 },
])

/** Options of {@link simulateGate}. */
export interface SimulationOptions {
  /**
   * Seed of the pseudo-random source; the same options give the same table.
   * @default 1
   */
  seed?: number
  /**
   * Pairs of records simulated per row, A/A and A/B each.
   * @default 2000
   */
  pairs?: number
  /**
   * Candidate trials per task at the first look (k).
   * @default [1, 2, 3, 5]
   */
  trials?: number[]
  /**
   * Rules to measure.
   * @default ['exact']
   */
  rules?: GateRule[]
  /**
   * The suite: true pass rates and how many tasks have each.
   * @default REALISTIC_MIX
   */
  mix?: readonly MixEntry[]
  /**
   * Baseline trials per task: 0 means the baseline record alone (k trials, as the candidate); n > 0 a baseline
   * history of n trials per task (several baseline runs folded in).
   * @default [0, 30]
   */
  history?: number[]
  /**
   * Measure without follow-up (false) and with adaptive follow-up looks (true).
   * @default [false, true]
   */
  adaptive?: boolean[]
  /**
   * Extra task trials adaptive follow-up may spend per pair, both sides.
   * @default 40
   */
  budget?: number
  /**
   * In each A/B pair one task drops: the first task of a rate drawn uniformly from `from`, to a rate drawn
   * uniformly from `to`.
   * @default { from: [1, 0.97, 0.9], to: [0, 0.1, 0.2, 0.3] }
   */
  drop?: { from: number[]; to: number[] }
  /**
   * The gate policy under test (its rule is overridden by `rules`).
   * @default {}
   */
  policy?: GatePolicyInput
}

/** Measured behaviour of one rule at one trial count, history size and follow-up setting. */
export interface SimulationRow {
  rule: GateRule
  trials: number
  /** Baseline trials per task (0: the baseline record alone, k trials). */
  history: number
  adaptive: boolean
  pairs: number
  /** A/A pairs (no true change) ending with verdict `regression`, any look: the false-alarm rate per verdict. */
  falseAlarm: number
  /** A/A pairs ending `insufficient-evidence` (a regression still suspected). */
  aaInsufficient: number
  /** Extra trials of follow-up looks on A/A pairs, over the first look's candidate trials. */
  aaExtraTrials: number
  /** Dropped tasks named as regressions, over all A/B pairs: per-task power. */
  power: number
  /** A/B pairs ending `regression`. */
  abRegression: number
  /** A/B pairs ending `insufficient-evidence`. */
  abInsufficient: number
  /** Extra trials on A/B pairs, over the first look's candidate trials. */
  abExtraTrials: number
}

interface Outcome {
  status: string
  caught: number
  extra: number
}

/**
 * Measures the gate on seeded synthetic suites with known truth: A/A pairs (the candidate has the baseline's
 * true pass rates) for false alarms and follow-up cost, A/B pairs (some stable tasks drop) for power. Each
 * pair runs the same looks the command runs: the first look, then, with `adaptive`, follow-up looks on the
 * suspected regressions until decided, at the cap, or out of budget. Pure.
 */
export function simulateGate(options: SimulationOptions = {}): SimulationRow[] {
  const seed = options.seed ?? 1
  const pairs = options.pairs ?? 2000
  const trialCounts = options.trials ?? [1, 2, 3, 5]
  const rules = options.rules ?? ['exact']
  const mix = options.mix ?? REALISTIC_MIX
  const histories = options.history ?? [0, 30]
  const adaptives = options.adaptive ?? [false, true]
  const budget = options.budget ?? 40
  const drop = options.drop ?? { from: [1, 0.97, 0.9], to: [0, 0.1, 0.2, 0.3] }
  const rates = mix.flatMap((m) => Array<number>(m.tasks).fill(m.rate))
  const dropped = drop.from.map((from) => {
    const i = rates.indexOf(from)
    if (i < 0) {
      throw new ConfigurationError('CONFIG_INVALID', `Expected \`drop.from\` rates present in the mix, got \`${from}\``, { field: 'drop.from' })
    }
    return i
  })
  const rows: SimulationRow[] = []
  for (const rule of rules) {
    const policy = resolveGatePolicy({ ...options.policy, rule })
    for (const k of trialCounts) {
      for (const h of histories) {
        for (const adaptive of adaptives) {
          const random = seededRandom((seed * 1_000_003 + k * 7919 + h * 104_729) >>> 0)
          const s = { aaReg: 0, aaIns: 0, aaExtra: 0, caught: 0, abReg: 0, abIns: 0, abExtra: 0 }
          for (let pair = 0; pair < pairs; pair++) {
            const aa = runPair(rates, rates, k, h, adaptive, budget, policy, random, dropped)
            if (aa.status === 'regression') s.aaReg++
            if (aa.status === 'insufficient-evidence') s.aaIns++
            s.aaExtra += aa.extra
            const lowered = rates.slice()
            const target = dropped[Math.floor(random() * dropped.length)]!
            lowered[target] = drop.to[Math.floor(random() * drop.to.length)]!
            const ab = runPair(rates, lowered, k, h, adaptive, budget, policy, random, [target])
            if (ab.status === 'regression') s.abReg++
            if (ab.status === 'insufficient-evidence') s.abIns++
            s.abExtra += ab.extra
            s.caught += ab.caught
          }
          const firstLook = pairs * k * rates.length
          rows.push({
            rule,
            trials: k,
            history: h,
            adaptive,
            pairs,
            falseAlarm: s.aaReg / pairs,
            aaInsufficient: s.aaIns / pairs,
            aaExtraTrials: s.aaExtra / firstLook,
            power: s.caught / pairs,
            abRegression: s.abReg / pairs,
            abInsufficient: s.abIns / pairs,
            abExtraTrials: s.abExtra / firstLook,
          })
        }
      }
    }
  }
  return rows
}

function runPair(
  baseline: number[],
  candidate: number[],
  k: number,
  history: number,
  adaptive: boolean,
  budget: number,
  policy: GatePolicy,
  random: () => number,
  dropped: readonly number[],
): Outcome {
  const t = emptyTally(baseline.length, (i) => `task-${i}`)
  const nb = history > 0 ? history : k
  for (let i = 0; i < t.size; i++) {
    const b = binomial(nb, baseline[i]!, random)
    const c = binomial(k, candidate[i]!, random)
    t.bPass[i] = b
    t.bFail[i] = nb - b
    t.cPass[i] = c
    t.cFail[i] = k - c
  }
  let look = 1
  let decision = judge(t, policy, look)
  let extra = 0
  while (adaptive && decision.status !== 'regression' && decision.followUp) {
    const next = lookAlpha(policy, look + 1)
    let spent = 0
    for (const i of [...decision.followUp.tasks, ...decision.followUp.dips]) {
      const bValid = t.bPass[i]! + t.bFail[i]!
      const plan = followUpOf(bValid, t.cPass[i]! + t.cFail[i]!, next, FOLLOW_UP_STEP, policy.maxTrialsPerTask)
      const left = budget - extra - spent
      const cAdd = Math.min(plan.candidateAdd, left)
      if (cAdd > 0) {
        const c = binomial(cAdd, candidate[i]!, random)
        t.cPass[i]! += c
        t.cFail[i]! += cAdd - c
        spent += cAdd
      }
      const bAdd = plan.baselineTo - bValid
      if (bAdd > 0 && bAdd <= budget - extra - spent) {
        const b = binomial(bAdd, baseline[i]!, random)
        t.bPass[i]! += b
        t.bFail[i]! += bAdd - b
        spent += bAdd
      }
    }
    if (spent === 0) break
    extra += spent
    look++
    decision = judge(t, policy, look)
  }
  let caught = 0
  for (const i of dropped) if (decision.change[i] === REGRESSION) caught++
  return { status: decision.status, caught, extra }
}

function judge(t: Tally, policy: GatePolicy, look: number) {
  t.gating.fill(1)
  classifyTasks(t, policy)
  return decide(t, policy, look)
}

function binomial(n: number, p: number, random: () => number): number {
  let x = 0
  for (let j = 0; j < n; j++) if (random() < p) x++
  return x
}

/** The simulation table as Markdown, percentages with one decimal. */
export function formatSimulationTable(rows: readonly SimulationRow[]): string {
  const pct = (x: number): string => `${(100 * x).toFixed(1)}%`
  const lines = [
    '| rule | k | baseline trials | adaptive | A/A false alarm | A/A suspected (exit 3) | A/A extra trials ' +
      '| power (dropped task named) | A/B regression | A/B suspected (exit 3) | A/B extra trials |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ]
  for (const r of rows) {
    lines.push(
      `| ${r.rule} | ${r.trials} | ${r.history > 0 ? `history ${r.history}` : `record (${r.trials})`} | ` +
        `${r.adaptive ? 'yes' : 'no'} | ${pct(r.falseAlarm)} | ${pct(r.aaInsufficient)} | ${pct(r.aaExtraTrials)} | ` +
        `${pct(r.power)} | ${pct(r.abRegression)} | ${pct(r.abInsufficient)} | ${pct(r.abExtraTrials)} |`,
    )
  }
  return lines.join('\n')
}
