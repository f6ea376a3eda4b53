import { describe, expect, it } from 'vitest'
import { CalibrationSchema, calibrate, wilsonInterval } from '../../src/gate/calibrate.js'
import { seededRandom } from '../../src/gate/prng.js'
import { ConfigurationError, NotComparableError } from '../../src/errors.js'
import type { RunRecord } from '../../src/record/schema.js'
import { run } from './records.js'

/** `count` A/A records of one harness: task i passes each of `k` trials with probability `rates[i]`. */
function aaRecords(rates: number[], k: number, count: number, seed: number): RunRecord[] {
  const random = seededRandom(seed)
  return Array.from({ length: count }, (_, r) => {
    const tasks: Record<string, string> = {}
    rates.forEach((rate, i) => {
      let outcomes = ''
      for (let j = 0; j < k; j++) outcomes += random() < rate ? 'p' : 'f'
      tasks[`task-${String(i).padStart(3, '0')}`] = outcomes
    })
    return run(tasks, { createdAt: `2026-01-0${r + 1}T00:00:00.000Z` })
  })
}

const steady = [0, 1, 0.9].flatMap((rate) => Array<number>(20).fill(rate))

describe('calibrate', () => {
  it('keeps the false-alarm rate of the default policy at or under alpha on a steady suite at k = 5', () => {
    const resamples = 1000
    const calibration = calibrate(aaRecords(steady, 5, 2, 11), { resamples, seed: 3 })
    expect(CalibrationSchema.parse(calibration)).toEqual(calibration)
    const alpha = 0.05
    const tolerance = 3 * Math.sqrt((alpha * (1 - alpha)) / resamples)
    expect(calibration.falseAlarm.rate).toBeLessThanOrEqual(alpha + tolerance)
    expect(calibration.falseAlarm.resamples).toBe(resamples)
    const { low, high } = calibration.falseAlarm.interval
    expect(low).toBeLessThanOrEqual(calibration.falseAlarm.rate)
    expect(high).toBeGreaterThanOrEqual(calibration.falseAlarm.rate)
    expect(calibration.policy.alpha).toBe(alpha)
    expect(calibration.records).toBe(2)
    expect(calibration.summary.tasks).toBe(60)
  })

  it('matches a hand computation of the flip rate, leaving error trials out', () => {
    const records = [
      run({ a: 'ppffe', b: 'ppppp', c: 'pffff' }),
      run({ a: 'pfffe', b: 'ppppp', c: 'fffff' }, { createdAt: '2026-01-02T00:00:00.000Z' }),
    ]
    const { tasks } = calibrate(records, { resamples: 10 })
    const a = tasks.find((t) => t.id === 'a')!
    // 8 valid trials, 3 passes: 3 * 5 disagreeing pairs out of 8 * 7 / 2.
    expect(a).toMatchObject({ trials: 10, valid: 8, passes: 3, errors: 2 })
    expect(a.passRate).toBeCloseTo(3 / 8, 12)
    expect(a.flipRate).toBeCloseTo((3 * 5) / 28, 12)
    expect(a.flipRate).toBeCloseTo(2 * (3 / 8) * (5 / 8) * (8 / 7), 12)
    expect(tasks.find((t) => t.id === 'b')!.flipRate).toBe(0)
    expect(tasks.find((t) => t.id === 'c')!.flipRate).toBeCloseTo((2 * 1 * 9) / (10 * 9), 12)
  })

  it('counts trials a record asked for but does not hold as errors', () => {
    const records = [run({ a: 'ppp', b: 'p' }), run({ a: 'ppp', b: 'ppp' }, { createdAt: 'x' })]
    const b = calibrate(records, { resamples: 5 }).tasks.find((t) => t.id === 'b')!
    expect(b).toMatchObject({ trials: 6, valid: 4, errors: 2, flipRate: 0 })
  })

  it('gives the observed verdict of the first two records', () => {
    const records = [run({ a: 'ppppp', b: 'fffff' }), run({ a: 'fffff', b: 'fffff' }, { createdAt: 'x' })]
    const calibration = calibrate(records, { resamples: 50 })
    expect(calibration.observed).toEqual({ status: 'regression', exitCode: 1, regressions: ['a'] })
  })

  it('pools three or more records and resamples with the first two records\u2019 trial counts', () => {
    const records = aaRecords(steady, 3, 4, 5)
    const calibration = calibrate(records, { resamples: 200 })
    expect(calibration.records).toBe(4)
    expect(calibration.tasks.every((t) => t.trials === 12)).toBe(true)
    expect(calibration.falseAlarm.rate).toBeLessThanOrEqual(0.1)
  })

  it('reports how often a k = 2 suite cannot decide', () => {
    const flaky = Array<number>(20).fill(0.5)
    const calibration = calibrate(aaRecords(flaky, 2, 2, 9), { resamples: 200 })
    expect(calibration.falseAlarm.rate).toBe(0)
    expect(calibration.falseAlarm.insufficientEvidence).toBeGreaterThan(0.9)
  })

  it('is deterministic for a seed', () => {
    const records = aaRecords(steady, 5, 2, 1)
    expect(calibrate(records, { resamples: 100, seed: 4 })).toEqual(calibrate(records, { resamples: 100, seed: 4 }))
  })

  it('pairs tasks by id, whatever order a record lists them in', () => {
    const [one, two] = aaRecords(steady, 5, 2, 2)
    const reversed = { ...two!, tasks: [...two!.tasks].reverse() }
    expect(calibrate([one!, reversed], { resamples: 100 })).toEqual(calibrate([one!, two!], { resamples: 100 }))
  })

  it('refuses records of different task sets, naming the tasks', () => {
    const records = [run({ a: 'pp', b: 'pp' }), run({ a: 'pp', c: 'pp' })]
    expect(() => calibrate(records)).toThrow(NotComparableError)
    expect(() => calibrate(records)).toThrow(/taskSetHash.*missing from record 2: `b`.*only in record 2: `c`/s)
  })

  it('refuses records of different harnesses or models, naming what differs', () => {
    const other = run({ a: 'pp' }, { harness: { name: 'candidate', id: 'h-cand' }, model: 'other' })
    expect(() => calibrate([run({ a: 'pp' }), other])).toThrow(
      /harness `candidate@h-cand`, record 1 has `baseline@h-base`.*model `other`/s,
    )
  })

  it('refuses fewer than two records and bad options', () => {
    expect(() => calibrate([run({ a: 'pp' })])).toThrow(ConfigurationError)
    const records = [run({ a: 'pp' }), run({ a: 'pp' })]
    expect(() => calibrate(records, { resamples: 0 })).toThrow(/`resamples` to be a positive integer/)
    expect(() => calibrate(records, { policy: { alpha: 2 } })).toThrow(/`alpha`/)
  })
})

describe('wilsonInterval', () => {
  it('matches the textbook value and stays inside [0, 1]', () => {
    const { low, high } = wilsonInterval(5, 100)
    expect(low).toBeCloseTo(0.02154, 4)
    expect(high).toBeCloseTo(0.11175, 4)
    expect(wilsonInterval(0, 50).low).toBe(0)
    expect(wilsonInterval(50, 50).high).toBe(1)
  })
})
