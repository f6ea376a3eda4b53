import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { readRecord } from 'self-harness'
import { startSimServer } from '../fixtures/sim/server.js'
import { benchRoot, writeTaskProject } from './support/task-project.js'
import { runVitest } from './support/vitest-process.js'

/** One measured run at one concurrency. */
export interface Row {
  tasks: number
  /** vitest workers (one task file each at a time). */
  concurrency: number
  /** `pool` and faults of the run. */
  setup: string
  modelCalls: number
  /** Total model latency over the concurrency: the wall time of a perfect scheduler with free everything else. */
  idealMs: number
  wallMs: number
  /** ideal / wall. */
  efficiency: number
  /** 429 answers the simulator gave (each retried by the client). */
  rateLimited: number
  pass: number
  fail: number
  error: number
  peakRssMB: number
}

/** Options of {@link benchParallel}. */
export interface BenchParallelOptions {
  /** Tasks of the suite. @default 200 */
  tasks?: number
  /** Simulated model latency per call. @default 200 */
  latencyMs?: number
  /** Concurrencies to run. @default [8, 32, 64] */
  concurrency?: number[]
  /** Also run at this concurrency with the simulator answering 429 to a share of requests. @default 32 */
  rateLimitAt?: number | false
  /** Share of requests answered 429 in that run. @default 0.1 */
  rateLimitProbability?: number
  /** vitest pool. @default 'threads' */
  pool?: 'forks' | 'threads'
}

/** The work of every task: four commands, each one model turn, then `finish` (five turns). */
const COMMANDS = ['mkdir -p out', 'echo a > out/a.txt', 'echo b > out/b.txt', 'cat out/a.txt out/b.txt > out/all.txt']
const CHECK = { file: 'out/all.txt', content: 'a\nb\n' }

/**
 * Runs a suite of agent tasks against the simulated model with latency, one vitest process per concurrency, and
 * compares the wall time with the ideal (total model latency / concurrency). One more run has the simulator answer
 * 429 with Retry-After to a share of requests: it must only slow the run, every trial still passing.
 */
export async function benchParallel(options: BenchParallelOptions = {}): Promise<Row[]> {
  const tasks = options.tasks ?? 200
  const latencyMs = options.latencyMs ?? 200
  const pool = options.pool ?? 'threads'
  const runs: Array<{ concurrency: number; rateLimit: boolean }> = (options.concurrency ?? [8, 32, 64]).map((concurrency) => ({ concurrency, rateLimit: false }))
  const rateLimitAt = options.rateLimitAt ?? 32
  if (rateLimitAt !== false) runs.push({ concurrency: rateLimitAt, rateLimit: true })
  const rows: Row[] = []
  for (const { concurrency, rateLimit } of runs) {
    const probability = options.rateLimitProbability ?? 0.1
    const dir = join(benchRoot, `parallel-${concurrency}${rateLimit ? '-429' : ''}`)
    const { solutionsDir } = writeTaskProject({ dir, kind: 'agent', tasks, testsPerFile: 1, commands: COMMANDS, check: CHECK, maxWorkers: concurrency, pool })
    const sim = await startSimServer({
      solutionsDir,
      seed: 1,
      latencyMs,
      ...(rateLimit ? { faults: { rateLimit: { probability, retryAfterMs: 100 } } } : {}),
    })
    try {
      const run = await runVitest({
        cwd: dir,
        args: ['run', '--reporter=dot'],
        env: { OPENAI_BASE_URL: sim.url, OPENAI_API_KEY: 'bench', SELF_HARNESS_MODEL: 'sim-oracle' },
        sampleMs: 250,
      })
      const record = await readRecord(join(dir, '.self-harness', 'runs', 'baseline.json')).catch((cause: unknown) => {
        throw new Error(`parallel run at ${concurrency} left no record (exit ${run.exitCode}): ${String(cause)}\n${run.stderr.slice(-3000)}`)
      })
      const outcomes = record.tasks.flatMap((task) => task.trials.map((trial) => trial.outcome))
      const stats = sim.stats()
      const idealMs = (stats.completions * latencyMs) / concurrency
      rows.push({
        tasks,
        concurrency,
        setup: `${pool}${rateLimit ? `, 429 on ${probability * 100}%` : ''}`,
        modelCalls: stats.completions,
        idealMs: Math.round(idealMs),
        wallMs: Math.round(run.wallMs),
        efficiency: Math.round((100 * idealMs) / run.wallMs) / 100,
        rateLimited: stats.faults.rateLimit,
        pass: outcomes.filter((o) => o === 'pass').length,
        fail: outcomes.filter((o) => o === 'fail').length,
        error: outcomes.filter((o) => o === 'error').length,
        peakRssMB: Math.round(run.peakRssMB),
      })
    } finally {
      await sim.close()
      rmSync(dir, { recursive: true, force: true })
    }
  }
  return rows
}

async function main(): Promise<void> {
  const large = process.argv.includes('--large')
  console.log('parallel efficiency: agent tasks of 5 model turns, simulated latency 200 ms per call')
  console.table(await benchParallel(large ? { tasks: 1_000, concurrency: [8, 32, 64, 128] } : {}))
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main()
