import { describe, expect, it } from 'vitest'
import { FisherTables, fisherBest, fisherFloor, fisherOneSided } from '../../src/gate/fisher.js'
import { minTrialsFor } from '../../src/gate/rule-exact.js'

function choose(n: number, k: number): bigint {
  if (k < 0 || k > n) return 0n
  let out = 1n
  for (let i = 1; i <= k; i++) out = (out * BigInt(n - k + i)) / BigInt(i)
  return out
}

/** Exact one-sided tail as a ratio of integers, computed independently with BigInt. */
function exactTail(bPass: number, bFail: number, cPass: number, cFail: number, side: 'worse' | 'better'): number {
  const nb = bPass + bFail
  const nc = cPass + cFail
  const s = bPass + cPass
  let num = 0n
  for (let x = 0; x <= nc; x++) {
    if (side === 'worse' ? x > cPass : x < cPass) continue
    num += choose(s, x) * choose(nb + nc - s, nc - x)
  }
  const den = choose(nb + nc, nc)
  return Number((num * 10n ** 15n) / den) / 1e15
}

describe('fisherOneSided', () => {
  it('gives 1/20 for 3/3 passing before and 0/3 after', () => {
    expect(fisherOneSided(3, 0, 0, 3).worse).toBeCloseTo(1 / 20, 12)
    expect(fisherOneSided(3, 0, 0, 3).better).toBe(1)
  })

  it("matches the tea-tasting table: 3 of 4 against 1 of 4 is 17/70", () => {
    expect(fisherOneSided(3, 1, 1, 3).worse).toBeCloseTo(17 / 70, 12)
    expect(fisherOneSided(1, 3, 3, 1).better).toBeCloseTo(17 / 70, 12)
  })

  it('gives 6/252 for 5/5 against 1/5 and 37/924 for 5/6 against 1/6', () => {
    expect(fisherOneSided(5, 0, 1, 4).worse).toBeCloseTo(6 / 252, 12)
    expect(fisherOneSided(5, 1, 1, 5).worse).toBeCloseTo(37 / 924, 12)
  })

  it('gives 1/252 for 5/5 against 0/5 and 1 in the other direction', () => {
    const p = fisherOneSided(5, 0, 0, 5)
    expect(p.worse).toBeCloseTo(1 / 252, 12)
    expect(p.better).toBe(1)
  })

  it('agrees with an exact integer computation on every table up to 7 trials a side', () => {
    for (let nb = 1; nb <= 7; nb++) {
      for (let nc = 1; nc <= 7; nc++) {
        for (let bp = 0; bp <= nb; bp++) {
          for (let cp = 0; cp <= nc; cp++) {
            const p = fisherOneSided(bp, nb - bp, cp, nc - cp)
            expect(p.worse).toBeCloseTo(exactTail(bp, nb - bp, cp, nc - cp, 'worse'), 10)
            expect(p.better).toBeCloseTo(exactTail(bp, nb - bp, cp, nc - cp, 'better'), 10)
          }
        }
      }
    }
  })

  it('handles unequal and large trial counts', () => {
    expect(fisherOneSided(10, 2, 3, 15).worse).toBeCloseTo(exactTail(10, 2, 3, 15, 'worse'), 12)
    expect(fisherOneSided(40, 10, 20, 30).worse).toBeCloseTo(exactTail(40, 10, 20, 30, 'worse'), 12)
  })
})

describe('FisherTables', () => {
  it('serves the same p-values and floors as the direct computation', () => {
    const tables = new FisherTables()
    for (const [nb, nc] of [[5, 5], [3, 4], [8, 2]] as const) {
      const table = tables.get(nb, nc)!
      for (let bp = 0; bp <= nb; bp++) {
        for (let cp = 0; cp <= nc; cp++) {
          const direct = fisherOneSided(bp, nb - bp, cp, nc - cp)
          expect(table.worse[bp * (nc + 1) + cp]).toBeCloseTo(direct.worse, 12)
          expect(table.better[bp * (nc + 1) + cp]).toBeCloseTo(direct.better, 12)
          const floor = fisherFloor(nb, nc, bp + cp)
          expect(table.floorWorse[bp + cp]).toBeCloseTo(floor.worse, 12)
          expect(table.floorBetter[bp + cp]).toBeCloseTo(floor.better, 12)
        }
      }
    }
  })
})

describe('attainable significance', () => {
  it('cannot go below 1/2 with one trial a side, 1/6 with two, 1/20 with three', () => {
    expect(fisherBest(1, 1)).toBeCloseTo(0.5, 12)
    expect(fisherBest(2, 2)).toBeCloseTo(1 / 6, 12)
    expect(fisherBest(3, 3)).toBeCloseTo(1 / 20, 12)
  })

  it('needs 3 trials a side at alpha 0.05 and 5 at alpha 0.01', () => {
    expect(minTrialsFor(0.05)).toBe(3)
    expect(minTrialsFor(0.01)).toBe(5)
  })

  it('floors the worse side at the most extreme table the margins allow', () => {
    // 5 passes in 10 trials: the most extreme is 5/5 before and 0/5 after.
    expect(fisherFloor(5, 5, 5).worse).toBeCloseTo(1 / 252, 12)
    // 1 pass in 10 trials: the best it can do is 1/5 before and 0/5 after, p = 1/2.
    expect(fisherFloor(5, 5, 1).worse).toBeCloseTo(0.5, 12)
  })
})
