import { ConfigurationError } from '../errors.js'
import { decide } from './decide.js'
import { REGRESSION } from './decision.js'
import { resolveGatePolicy, type GateRule } from './policy.js'
import { seededRandom } from './prng.js'
import { emptyTally, type Tally } from './tally.js'

/** Options of {@link simulateGate}. */
export interface SimulationOptions {
  /**
   * Seed of the pseudo-random source; the same options give the same table.
   * @default 1
   */
  seed?: number
  /**
   * Pairs of records simulated per trial count, A/A and A/B each.
   * @default 2000
   */
  pairs?: number
  /**
   * Trials per task to simulate.
   * @default [1, 3, 5]
   */
  trials?: number[]
  /**
   * Rules to measure, each on the same simulated records.
   * @default ['exact', 'strict']
   */
  rules?: GateRule[]
  /**
   * True pass rates of the task mix; each appears `tasksPerRate` times.
   * @default [0, 0.1, 0.5, 0.9, 1]
   */
  rates?: number[]
  /**
   * Tasks per rate.
   * @default 12
   */
  tasksPerRate?: number
  /**
   * In A/B pairs, `tasks` tasks of true rate `from` drop to `to` in the candidate.
   * @default { from: 0.9, to: 0.2, tasks: 3 }
   */
  drop?: { from: number; to: number; tasks: number }
  /**
   * Alpha of the policy under test.
   * @default 0.05
   */
  alpha?: number
}

/** Measured behaviour of one rule at one trial count. */
export interface SimulationRow {
  rule: GateRule
  trials: number
  pairs: number
  /** A/A pairs (no true change) with verdict `regression`: the false-alarm rate. */
  falseAlarm: number
  /** A/A pairs with verdict `insufficient-evidence`. */
  aaInsufficient: number
  /** Dropped tasks flagged as regressions, over all A/B pairs: per-task power. */
  power: number
  /** A/B pairs with verdict `regression`. */
  abRegression: number
  /** A/B pairs with verdict `insufficient-evidence`. */
  abInsufficient: number
}

/** Measures the gate's false-alarm rate (A/A) and power (A/B) on seeded synthetic records. Pure. */
export function simulateGate(options: SimulationOptions = {}): SimulationRow[] {
  const seed = options.seed ?? 1
  const pairs = options.pairs ?? 2000
  const trialCounts = options.trials ?? [1, 3, 5]
  const rules = options.rules ?? ['exact', 'strict']
  const mix = options.rates ?? [0, 0.1, 0.5, 0.9, 1]
  const perRate = options.tasksPerRate ?? 12
  const drop = options.drop ?? { from: 0.9, to: 0.2, tasks: 3 }
  const policies = rules.map((rule) => resolveGatePolicy({ rule, alpha: options.alpha ?? 0.05 }))
  const rates = mix.flatMap((r) => Array<number>(perRate).fill(r))
  const dropped = rates.flatMap((r, i) => (r === drop.from ? [i] : [])).slice(0, drop.tasks)
  if (dropped.length < drop.tasks) {
    throw new ConfigurationError(
      'CONFIG_INVALID',
      `Expected \`drop.tasks\` to be at most ${dropped.length} (tasks of rate ${drop.from}), got \`${drop.tasks}\``,
      { field: 'drop.tasks' },
    )
  }
  const lowered = rates.slice()
  for (const i of dropped) lowered[i] = drop.to
  const rows: SimulationRow[] = []
  for (const k of trialCounts) {
    const random = seededRandom((seed * 1_000_003 + k) >>> 0)
    const tally = emptyTally(rates.length, (i) => `task-${i}`)
    const stats = policies.map(() => ({ aaReg: 0, aaIns: 0, caught: 0, abReg: 0, abIns: 0 }))
    for (let pair = 0; pair < pairs; pair++) {
      for (const candidateRates of [rates, lowered]) {
        draw(tally, rates, candidateRates, k, random)
        policies.forEach((policy, r) => {
          const decision = decide(tally, policy)
          const s = stats[r]!
          const regression = decision.status === 'regression'
          const insufficient = decision.status === 'insufficient-evidence'
          if (candidateRates === rates) {
            if (regression) s.aaReg++
            if (insufficient) s.aaIns++
          } else {
            if (regression) s.abReg++
            if (insufficient) s.abIns++
            for (const i of dropped) if (decision.change[i] === REGRESSION) s.caught++
          }
        })
      }
    }
    policies.forEach((policy, r) => {
      const s = stats[r]!
      rows.push({
        rule: policy.rule,
        trials: k,
        pairs,
        falseAlarm: s.aaReg / pairs,
        aaInsufficient: s.aaIns / pairs,
        power: dropped.length > 0 ? s.caught / (pairs * dropped.length) : 0,
        abRegression: s.abReg / pairs,
        abInsufficient: s.abIns / pairs,
      })
    })
  }
  return rows
}

function draw(t: Tally, baseline: number[], candidate: number[], k: number, random: () => number): void {
  for (let i = 0; i < t.size; i++) {
    let b = 0
    let c = 0
    for (let j = 0; j < k; j++) {
      if (random() < baseline[i]!) b++
      if (random() < candidate[i]!) c++
    }
    t.bPass[i] = b
    t.bFail[i] = k - b
    t.cPass[i] = c
    t.cFail[i] = k - c
  }
}

/** The simulation table as Markdown, percentages with one decimal. */
export function formatSimulationTable(rows: readonly SimulationRow[]): string {
  const pct = (x: number): string => `${(100 * x).toFixed(1)}%`
  const lines = [
    '| rule | k | false alarm (A/A regression) | A/A insufficient | power (dropped task caught) ' +
      '| A/B regression | A/B insufficient |',
    '|---|---|---|---|---|---|---|',
  ]
  for (const r of rows) {
    lines.push(
      `| ${r.rule} | ${r.trials} | ${pct(r.falseAlarm)} | ${pct(r.aaInsufficient)} | ${pct(r.power)} | ` +
        `${pct(r.abRegression)} | ${pct(r.abInsufficient)} |`,
    )
  }
  return lines.join('\n')
}
