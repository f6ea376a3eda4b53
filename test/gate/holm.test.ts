import { describe, expect, it } from 'vitest'
import { atOrBelow, holmAdjust, taroneHolm } from '../../src/gate/holm.js'

describe('holmAdjust', () => {
  it('multiplies the i-th smallest p by (m - i + 1) and keeps the order monotone', () => {
    const adjusted = Array.from(holmAdjust([0.01, 0.04, 0.03, 0.005]))
    expect(adjusted.map((p) => Number(p.toFixed(10)))).toEqual([0.03, 0.06, 0.06, 0.02])
  })

  it('caps adjusted p-values at 1', () => {
    expect(Array.from(holmAdjust([0.6, 0.9]))).toEqual([1, 1])
  })
})

describe('taroneHolm', () => {
  const alpha = 0.05
  const candidates = (floor: number[], p: number[]) => ({
    index: Int32Array.from(floor, (_, i) => i),
    floor: Float64Array.from(floor),
    p: Float64Array.from(p),
    length: floor.length,
  })

  it('leaves out tasks whose floor can never reach alpha / K', () => {
    // Floors 0.004 and 0.001 pass alpha / 2; with two such tasks K = 2, and the 0.04 floor task is out.
    const family = taroneHolm(candidates([0.004, 0.04, 0.001, 0.04], [0.004, 0.04, 0.04, 0.04]), alpha)
    expect(family.k).toBe(2)
    expect(Array.from(family.members)).toEqual([0, 2])
    expect(family.adjusted[0]).toBeCloseTo(0.008, 12)
    expect(family.adjusted[1]).toBeCloseTo(0.04, 12)
  })

  it('tests nothing when too many tasks share a floor just under alpha', () => {
    const five = Array<number>(5).fill(0.05)
    const family = taroneHolm(candidates(five, five), alpha)
    expect(family.members.length).toBe(0)
    expect(family.k).toBe(2)
  })

  it('tests a lone task at the full alpha', () => {
    const family = taroneHolm(candidates([0.05], [0.05]), alpha)
    expect(family.k).toBe(1)
    expect(Array.from(family.adjusted)).toEqual([0.05])
  })
})

describe('atOrBelow', () => {
  it('treats a floating-point 1/20 as equal to 0.05', () => {
    expect(atOrBelow(Math.exp(-Math.log(20)) * (1 + 1e-14), 0.05)).toBe(true)
    expect(atOrBelow(0.0501, 0.05)).toBe(false)
  })
})
