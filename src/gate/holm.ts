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

/** Result of {@link taroneHolm}. */
export interface TestedFamily {
  /** Holm-adjusted p-value per task; NaN for tasks outside the tested family. */
  adjusted: Float64Array
  /** Number of tasks in the tested family. */
  size: number
  /** Tarone's K: only tasks whose attainable floor is at most alpha / K are tested. */
  k: number
}

/**
 * Holm's step-down correction over Tarone's testable family. With discrete tests, a task whose smallest
 * attainable p-value (fixed by its margins) exceeds alpha / K can never be rejected, so it need not count
 * in the correction: K is the smallest integer with at most K tasks whose floor is at most alpha / K.
 * Conditional on the margins the family is fixed, so Holm over it keeps the family-wise error at alpha.
 */
export function taroneHolm(
  p: Float64Array,
  floor: Float64Array,
  eligible: Uint8Array,
  alpha: number,
): TestedFamily {
  const n = p.length
  const adjusted = new Float64Array(n).fill(Number.NaN)
  let candidates = 0
  for (let i = 0; i < n; i++) if (eligible[i] && atOrBelow(floor[i]!, alpha)) candidates++
  if (candidates === 0) return { adjusted, size: 0, k: 1 }
  const floors = new Float64Array(candidates)
  for (let i = 0, j = 0; i < n; i++) if (eligible[i] && atOrBelow(floor[i]!, alpha)) floors[j++] = floor[i]!
  floors.sort()
  // count(K) = number of floors <= alpha / K; it only falls as K grows.
  let k = 1
  let count = candidates
  for (;;) {
    while (count > 0 && !atOrBelow(floors[count - 1]!, alpha / k)) count--
    if (count <= k) break
    k++
  }
  if (count === 0) return { adjusted, size: 0, k }
  const members = new Int32Array(count)
  const limit = alpha / k
  for (let i = 0, j = 0; i < n; i++) if (eligible[i] && atOrBelow(floor[i]!, limit)) members[j++] = i
  const values = new Float64Array(count)
  for (let j = 0; j < count; j++) values[j] = p[members[j]!]!
  const holm = holmAdjust(values)
  for (let j = 0; j < count; j++) adjusted[members[j]!] = holm[j]!
  return { adjusted, size: count, k }
}
