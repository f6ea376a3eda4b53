/** Natural logs of n!, grown on demand and shared by every table. */
export class LogFactorials {
  private table = new Float64Array([0, 0])

  /** ln(n!) for an integer n >= 0. */
  at(n: number): number {
    if (n >= this.table.length) this.grow(n)
    return this.table[n]!
  }

  /** Makes sure ln(n!) is tabulated up to `n`. */
  grow(n: number): void {
    if (n < this.table.length) return
    const next = new Float64Array(Math.max(n + 1, this.table.length * 2))
    next.set(this.table)
    for (let i = this.table.length; i < next.length; i++) next[i] = next[i - 1]! + Math.log(i)
    this.table = next
  }
}

/** One-sided Fisher exact p-values of a 2x2 table of passes and fails, errors excluded. */
export interface FisherResult {
  /** P(candidate passes <= observed | margins): small when the candidate is worse. */
  worse: number
  /** P(candidate passes >= observed | margins): small when the candidate is better. */
  better: number
}

/**
 * One-sided Fisher exact test of baseline `bPass`/`bFail` against candidate `cPass`/`cFail`.
 * Under "same pass rate", the candidate's passes given both margins are hypergeometric.
 */
export function fisherOneSided(
  bPass: number,
  bFail: number,
  cPass: number,
  cFail: number,
  lf: LogFactorials = new LogFactorials(),
): FisherResult {
  const nb = bPass + bFail
  const nc = cPass + cFail
  const s = bPass + cPass
  const lo = Math.max(0, s - nb)
  const hi = Math.min(nc, s)
  let worse = 0
  let better = 0
  for (let x = lo; x <= hi; x++) {
    const p = hypergeometric(x, nb, nc, s, lf)
    if (x <= cPass) worse += p
    if (x >= cPass) better += p
  }
  // A tail that covers the whole support is exactly 1, whatever the rounding.
  return { worse: cPass >= hi ? 1 : Math.min(1, worse), better: cPass <= lo ? 1 : Math.min(1, better) }
}

/** Smallest one-sided p-value any outcome could give with these margins: the attainable floor (Tarone). */
export function fisherFloor(
  nb: number,
  nc: number,
  passes: number,
  lf: LogFactorials = new LogFactorials(),
): FisherResult {
  const lo = Math.max(0, passes - nb)
  const hi = Math.min(nc, passes)
  return { worse: hypergeometric(lo, nb, nc, passes, lf), better: hypergeometric(hi, nb, nc, passes, lf) }
}

/** Smallest p-value the one-sided test can give with `nb` and `nc` valid trials: all pass versus all fail. */
export function fisherBest(nb: number, nc: number, lf: LogFactorials = new LogFactorials()): number {
  if (nb === 0 || nc === 0) return 1
  return Math.exp(lf.at(nb) + lf.at(nc) - lf.at(nb + nc))
}

/** P(X = x) where X is the candidate's passes among `s` passes in `nb + nc` trials, `nc` of them the candidate's. */
function hypergeometric(x: number, nb: number, nc: number, s: number, lf: LogFactorials): number {
  const n = nb + nc
  lf.grow(n)
  const log =
    lf.at(s) - lf.at(x) - lf.at(s - x) +
    (lf.at(n - s) - lf.at(nc - x) - lf.at(n - s - nc + x)) -
    (lf.at(n) - lf.at(nc) - lf.at(nb))
  return Math.exp(log)
}

/** Tables of one-sided p-values and floors for one (nb, nc) pair, so a million tasks cost a lookup each. */
export interface FisherTable {
  nb: number
  nc: number
  /** `worse[bPass * (nc + 1) + cPass]` */
  worse: Float64Array
  /** `better[bPass * (nc + 1) + cPass]` */
  better: Float64Array
  /** Attainable floor of `worse` by total passes. */
  floorWorse: Float64Array
  /** Attainable floor of `better` by total passes. */
  floorBetter: Float64Array
  /** `fisherBest(nb, nc)` */
  best: number
}

/** Largest table cached; bigger (nb, nc) pairs are computed task by task. */
const MAX_CELLS = 1 << 14

/** Caches one {@link FisherTable} per trial-count pair. */
export class FisherTables {
  readonly lf = new LogFactorials()
  private readonly cache = new Map<number, FisherTable | null>()
  private last: FisherTable | null = null

  /** The table for `nb` and `nc` valid trials, or null when too large to tabulate. */
  get(nb: number, nc: number): FisherTable | null {
    const last = this.last
    if (last && last.nb === nb && last.nc === nc) return last
    const key = nb * 0x100000 + nc
    let table = this.cache.get(key)
    if (table === undefined) {
      table = (nb + 1) * (nc + 1) > MAX_CELLS ? null : build(nb, nc, this.lf)
      this.cache.set(key, table)
    }
    if (table) this.last = table
    return table
  }
}

function build(nb: number, nc: number, lf: LogFactorials): FisherTable {
  const width = nc + 1
  const worse = new Float64Array((nb + 1) * width)
  const better = new Float64Array((nb + 1) * width)
  const floorWorse = new Float64Array(nb + nc + 1)
  const floorBetter = new Float64Array(nb + nc + 1)
  const pmf = new Float64Array(nc + 1)
  lf.grow(nb + nc)
  for (let s = 0; s <= nb + nc; s++) {
    const lo = Math.max(0, s - nb)
    const hi = Math.min(nc, s)
    for (let x = lo; x <= hi; x++) pmf[x] = hypergeometric(x, nb, nc, s, lf)
    floorWorse[s] = pmf[lo]!
    floorBetter[s] = pmf[hi]!
    let acc = 0
    for (let x = lo; x <= hi; x++) {
      acc += pmf[x]!
      worse[(s - x) * width + x] = x === hi ? 1 : Math.min(1, acc)
    }
    acc = 0
    for (let x = hi; x >= lo; x--) {
      acc += pmf[x]!
      better[(s - x) * width + x] = x === lo ? 1 : Math.min(1, acc)
    }
  }
  return { nb, nc, worse, better, floorWorse, floorBetter, best: fisherBest(nb, nc, lf) }
}
