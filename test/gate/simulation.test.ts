import { beforeAll, describe, expect, it } from 'vitest'
import { formatSimulationTable, simulateGate, type SimulationRow } from '../../src/gate/simulate.js'

const alpha = 0.05
const pairs = 2000
// 60 tasks, 12 at each true pass rate; in A/B pairs three 0.9 tasks drop to 0.2.
let rows: SimulationRow[] = []
beforeAll(() => {
  rows = simulateGate({ seed: 7, pairs, trials: [1, 3, 5], rules: ['exact', 'strict'], alpha })
})
const row = (rule: string, k: number) => {
  const found = rows.find((r) => r.rule === rule && r.trials === k)
  if (!found) throw new Error(`no row for ${rule} k=${k}`)
  return found
}

describe('simulated A/A and A/B pairs', () => {
  it('prints the table', () => {
    console.log(formatSimulationTable(rows))
    expect(rows).toHaveLength(6)
  })

  it('keeps false alarms of the default rule at or under alpha with 3 and 5 trials', () => {
    // Tolerance: three binomial standard errors at the stated level.
    const tolerance = 3 * Math.sqrt((alpha * (1 - alpha)) / pairs)
    for (const k of [3, 5]) expect(row('exact', k).falseAlarm).toBeLessThanOrEqual(alpha + tolerance)
  })

  it('never calls a regression with one trial, and asks for more trials instead', () => {
    expect(row('exact', 1).falseAlarm).toBe(0)
    expect(row('exact', 1).power).toBe(0)
    expect(row('exact', 1).aaInsufficient).toBeGreaterThan(0.5)
  })

  it('gains power with trials', () => {
    expect(row('exact', 5).power).toBeGreaterThan(row('exact', 3).power)
    expect(row('exact', 5).abRegression).toBeGreaterThan(0.3)
  })

  it('shows why strict alone is not the default: flaky tasks make it cry wolf', () => {
    for (const k of [1, 3, 5]) expect(row('strict', k).falseAlarm).toBeGreaterThan(0.5)
  })

  it('gives strict no false alarms when every task is deterministic', () => {
    const stable = simulateGate({
      pairs: 200,
      trials: [1, 3],
      rules: ['strict'],
      rates: [0, 1],
      drop: { from: 1, to: 0.2, tasks: 3 },
    })
    for (const r of stable) expect(r.falseAlarm).toBe(0)
  })

  it('is reproducible from its seed', () => {
    const options = { seed: 3, pairs: 50, trials: [3] }
    expect(simulateGate(options)).toEqual(simulateGate(options))
  })
})
