import type { PassK } from './verdict.js'

/** C(a, k) / C(n, k) as a product, without large numbers: the chance k trials drawn from n all fall in a. */
function ratio(a: number, n: number, k: number): number {
  let out = 1
  for (let i = 0; i < k; i++) {
    if (a - i <= 0) return 0
    out *= (a - i) / (n - i)
  }
  return out
}

/**
 * Unbiased pass@k and pass^k from `n` valid trials of which `c` passed (Chen et al. 2021; tau-bench):
 * pass@k = 1 - C(n-c, k)/C(n, k), pass^k = C(c, k)/C(n, k). Null with fewer than k trials.
 */
export function passK(n: number, c: number, k: number): PassK {
  if (!(k >= 1) || n < k) return { passAtK: null, passHatK: null }
  return { passAtK: 1 - ratio(n - c, n, k), passHatK: ratio(c, n, k) }
}

/** Running mean of per-task pass@k and pass^k, over tasks that have them. */
export class PassKMean {
  private at = 0
  private hat = 0
  private tasks = 0

  add(value: PassK): void {
    if (value.passAtK === null || value.passHatK === null) return
    this.at += value.passAtK
    this.hat += value.passHatK
    this.tasks++
  }

  get(): PassK {
    return this.tasks === 0 ? { passAtK: null, passHatK: null } : { passAtK: this.at / this.tasks, passHatK: this.hat / this.tasks }
  }
}
