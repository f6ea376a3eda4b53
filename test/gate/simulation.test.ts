import { beforeAll, describe, expect, it } from 'vitest'
import { formatSimulationTable, simulateGate, type SimulationRow } from '../../src/gate/simulate.js'

// The headline figures of docs/gate.md, on the realistic mix (60 tasks: 42 stable, 8 flaky, 10 failing), one
// stable task (true rate 1, 0.97 or 0.9) dropping to 0, 0.1, 0.2 or 0.3 in each A/B pair, a baseline history of
// 30 trials per task, seed 7, 2,000 pairs per row. Regenerate the full table with the options in docs/gate.md.
const alpha = 0.05
let headline: SimulationRow[] = []
let table: SimulationRow[] = []
beforeAll(() => {
  headline = simulateGate({ seed: 7, pairs: 2000, trials: [1, 3], history: [30], adaptive: [true] })
  table = simulateGate({ seed: 7, pairs: 300 })
})
const row = (rows: SimulationRow[], k: number, history: number, adaptive: boolean) => {
  const found = rows.find((r) => r.trials === k && r.history === history && r.adaptive === adaptive)
  if (!found) throw new Error(`no row for k=${k} history=${history} adaptive=${adaptive}`)
  return found
}

describe('simulated A/A and A/B pairs', () => {
  it('prints the tables', () => {
    console.log(formatSimulationTable(headline))
    console.log(formatSimulationTable(table))
    expect(table).toHaveLength(16) // k = 1, 2, 3, 5; record alone or history; with and without follow-up
  })

  it('catches a stable task that drops to 0.3 or less: at least 90% at k = 3, 80% at k = 1, with follow-up looks', () => {
    expect(row(headline, 3, 30, true).power).toBeGreaterThanOrEqual(0.9)
    expect(row(headline, 1, 30, true).power).toBeGreaterThanOrEqual(0.8)
  })

  it('keeps A/A false alarms per verdict at or under alpha, every follow-up look included', () => {
    for (const r of [...headline, ...table]) expect(r.falseAlarm, `k=${r.trials} history=${r.history} adaptive=${r.adaptive}`).toBeLessThanOrEqual(alpha)
  })

  it('spends at most 10% extra trials on A/A pairs with a baseline history', () => {
    for (const r of headline) expect(r.aaExtraTrials).toBeLessThanOrEqual(0.1)
    for (const r of table.filter((x) => x.history > 0)) expect(r.aaExtraTrials).toBeLessThanOrEqual(0.1)
  })

  it('asks for more trials instead of guessing when follow-up looks are off', () => {
    const k1 = row(table, 1, 30, false)
    expect(k1.power).toBe(0) // one candidate trial can never be significant against the first look's alpha
    expect(k1.abInsufficient).toBeGreaterThan(0.8) // the drop is suspected: exit 3 with the command
  })

  it('gains power from the baseline history', () => {
    for (const k of [3, 5]) expect(row(table, k, 30, false).power).toBeGreaterThan(row(table, k, 0, false).power)
  })

  it('is reproducible from its seed', () => {
    const options = { seed: 3, pairs: 40, trials: [3], history: [12] }
    expect(simulateGate(options)).toEqual(simulateGate(options))
  })
})
