/**
 * Relative slack when comparing a p-value with a threshold: exact p-values such as 1/20 come out of
 * floating point a hair above their true value and must still count as equal to alpha = 0.05.
 */
export const P_SLACK = 1e-9

/** True when `p` is at or below `threshold`, allowing for floating-point rounding. */
export function atOrBelow(p: number, threshold: number): boolean {
  return p <= threshold * (1 + P_SLACK)
}

/** Holm's step-down adjusted p-values (family-wise error), in the input's order. */
export function holmAdjust(pValues: ArrayLike<number>): Float64Array {
  const m = pValues.length
  const order = Array.from({ length: m }, (_, i) => i).sort((a, b) => pValues[a]! - pValues[b]!)
  const out = new Float64Array(m)
  let running = 0
  for (let rank = 0; rank < m; rank++) {
    const i = order[rank]!
    running = Math.max(running, Math.min(1, (m - rank) * pValues[i]!))
    out[i] = running
  }
  return out
}

/** Tasks whose attainable p-value floor is at most alpha: the only ones a test could ever reject. */
export interface Candidates {
  /** Task indices. */
  index: Int32Array
  /** Attainable floor of each task's p-value, fixed by its margins. */
  floor: Float64Array
  /** Each task's observed p-value. */
  p: Float64Array
  length: number
}

/** Result of {@link taroneHolm}. */
export interface TestedFamily {
  /** Task indices in the tested family. */
  members: Int32Array
  /** Holm-adjusted p-value of each member. */
  adjusted: Float64Array
  /** Tarone's K: only tasks whose floor is at most alpha / K are tested. */
  k: number
}

/**
 * Holm's step-down correction over Tarone's testable family. With discrete tests, a task whose smallest
 * attainable p-value (fixed by its margins) exceeds alpha / K can never be rejected, so it need not count
 * in the correction: K is the smallest integer with at most K tasks whose floor is at most alpha / K.
 * Conditional on the margins the family is fixed, so Holm over it keeps the family-wise error at alpha.
 */
export function taroneHolm(candidates: Candidates, alpha: number): TestedFamily {
  const n = candidates.length
  const floors = candidates.floor.slice(0, n).sort()
  // count(K) = number of floors <= alpha / K; it only falls as K grows.
  let k = 1
  let count = n
  for (;;) {
    while (count > 0 && !atOrBelow(floors[count - 1]!, alpha / k)) count--
    if (count <= k) break
    k++
  }
  const members = new Int32Array(count)
  const values = new Float64Array(count)
  const limit = alpha / k
  for (let j = 0, m = 0; j < n && m < count; j++) {
    if (!atOrBelow(candidates.floor[j]!, limit)) continue
    members[m] = candidates.index[j]!
    values[m++] = candidates.p[j]!
  }
  return { members, adjusted: holmAdjust(values), k }
}
