import { performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import { compareRuns, seededRandom } from 'self-harness'
import type { Outcome, RunRecord, TaskRecord, Trial } from 'self-harness'

/** One measured comparison. */
export interface Row {
  tasks: number
  trials: number
  /** Share of tasks holding one error trial in the candidate. */
  errorShare: number
  /** Time to build both synthetic records (not part of the gate). */
  buildMs: number
  /** Time of `compareRuns`. */
  compareMs: number
  /** Heap in use right after the comparison, verdict alive, in MiB. */
  heapUsedMB: number
  /** Heap growth across the comparison, in MiB (exact only when run with --expose-gc). */
  heapGrowthMB: number
  status: string
  /** Per-task evidence entries in the verdict. */
  listed: number
}

const MIX = [0, 0.1, 0.5, 0.9, 1]

/** Options of {@link benchGate}. */
export interface BenchGateOptions {
  /**
   * Trials per task.
   * @default 5
   */
  trials?: number
  /**
   * Share of tasks given one error trial in the candidate (exercises the error analysis).
   * @default 0
   */
  errorShare?: number
}

/** Times `compareRuns` on synthetic A/B records of each size (mixed pass rates, 0.1% of tasks dropping to 0). */
export async function benchGate(sizes: number[], options: BenchGateOptions = {}): Promise<Row[]> {
  const trials = options.trials ?? 5
  const errorShare = options.errorShare ?? 0
  const rows: Row[] = []
  for (const size of sizes) {
    const t0 = performance.now()
    const { baseline, candidate } = syntheticPair(size, trials, errorShare, 42)
    const buildMs = performance.now() - t0
    collect()
    const before = process.memoryUsage().heapUsed
    const t1 = performance.now()
    const verdict = compareRuns(baseline, candidate)
    const compareMs = performance.now() - t1
    const after = process.memoryUsage().heapUsed
    rows.push({
      tasks: size,
      trials,
      errorShare,
      buildMs: round(buildMs),
      compareMs: round(compareMs),
      heapUsedMB: round(after / 2 ** 20),
      heapGrowthMB: round((after - before) / 2 ** 20),
      status: verdict.status,
      listed: verdict.tasks.length,
    })
    // Let the records go before the next size.
    await new Promise((resolve) => setImmediate(resolve))
  }
  return rows
}

/** Two records over `size` tasks of mixed true pass rates; trial objects are shared to keep the input small. */
function syntheticPair(
  size: number,
  trials: number,
  errorShare: number,
  seed: number,
): { baseline: RunRecord; candidate: RunRecord } {
  const random = seededRandom(seed)
  const pool: Record<Outcome, Trial[]> = { pass: [], fail: [], error: [] }
  for (const outcome of ['pass', 'fail', 'error'] as const) {
    for (let i = 0; i < trials; i++) {
      const tokens = { prompt: 0, completion: 0 }
      pool[outcome].push({ index: i, outcome, durationMs: 1, tokens, turns: 1, toolCalls: 0 })
    }
  }
  const draw = (rate: number): Trial[] => {
    const out: Trial[] = new Array(trials)
    for (let i = 0; i < trials; i++) out[i] = pool[random() < rate ? 'pass' : 'fail'][i]!
    return out
  }
  // Through JSON, as a record read from disk: flat strings, not concatenations.
  const files = JSON.parse(
    JSON.stringify(Array.from({ length: size }, (_, i) => `tasks/t${String(i).padStart(7, '0')}.test.ts`)),
  ) as string[]
  const ids = JSON.parse(JSON.stringify(files.map((file) => `${file} > task`))) as string[]
  const b: TaskRecord[] = new Array(size)
  const c: TaskRecord[] = new Array(size)
  for (let i = 0; i < size; i++) {
    const id = ids[i]!
    const file = files[i]!
    const rate = MIX[i % MIX.length]!
    b[i] = { id, file, name: 'task', trials: draw(rate) }
    const after = i % 1000 === 999 ? draw(0) : draw(rate)
    if (random() < errorShare) after[0] = pool.error[0]!
    c[i] = { id, file, name: 'task', trials: after }
  }
  const header = {
    schemaVersion: 1 as const,
    kind: 'self-harness/run-record' as const,
    createdAt: '2026-01-01T00:00:00.000Z',
    model: 'bench-model',
    taskSetHash: `synthetic-${size}`,
    trials,
  }
  return {
    baseline: { ...header, harness: { name: 'baseline', id: 'b' }, tasks: b },
    candidate: { ...header, harness: { name: 'candidate', id: 'c' }, tasks: c },
  }
}

function collect(): void {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc) gc()
}

function round(x: number): number {
  return Math.round(x * 10) / 10
}

async function main(): Promise<void> {
  console.log('gate: compareRuns on synthetic records, 5 trials per task')
  console.table(await benchGate([10_000, 100_000, 1_000_000]))
  console.log('gate: the same with 1% of tasks holding an error trial')
  console.table(await benchGate([1_000_000], { errorShare: 0.01 }))
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main()
