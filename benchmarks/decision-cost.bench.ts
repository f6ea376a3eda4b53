import { spawn } from 'node:child_process'
import { readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import { openLedger, readRecord, type EvolveResult } from 'self-harness'
import { startSimServer } from '../fixtures/sim/server.js'
import { benchRoot, packageRoot } from './support/task-project.js'

/** The decision cost of one evolve run. */
export interface Row {
  profile: string
  /** Edits in the accepted harness versions (a merge of two counts two). */
  acceptedEdits: number
  proposalsTried: number
  /** Task trials evolve ran, baseline and sealed report included (the ledger's `end` entry). */
  trials: number
  /** Task trials of a loop that re-runs the full decision set for both sides of every proposal. */
  naiveTrials: number
  trialsPerEdit: number
  naiveTrialsPerEdit: number
  /** trials / naive trials. */
  ratio: number
  /** Model calls of the run: task turns, mining and proposing. */
  modelCalls: number
  /** The same for the naive loop: the same mining and proposing, plus its extra trials at this run's turns per trial. */
  naiveModelCalls: number
  wallMs: number
}

/** Options of {@link benchDecisionCost}. */
export interface BenchDecisionCostOptions {
  /** Simulator seed. @default 7 */
  seed?: number
  /** @default 5 */
  maxIterations?: number
}

const SUITE = join(packageRoot, 'fixtures', 'suite')
const CLI = join(packageRoot, 'dist', 'src', 'cli', 'bin.js')

/**
 * Runs `self-harness evolve` on the bundled suite against the simulator (one process per profile, in parallel) and
 * reads from each ledger what the loop spent per accepted edit against the naive loop's cost for the same decisions.
 */
export async function benchDecisionCost(profiles: string[], options: BenchDecisionCostOptions = {}): Promise<Row[]> {
  const sim = await startSimServer({ solutionsDir: join(SUITE, 'solutions'), seed: options.seed ?? 7 })
  try {
    return await Promise.all(profiles.map((profile) => evolveOnce(profile, sim.url, options.maxIterations ?? 5)))
  } finally {
    await sim.close()
  }
}

async function evolveOnce(profile: string, url: string, maxIterations: number): Promise<Row> {
  const dir = join(benchRoot, 'evolve', profile)
  rmSync(dir, { recursive: true, force: true })
  const started = performance.now()
  const { code, stdout, stderr } = await run(process.execPath, [CLI, 'evolve', `--dir=${dir}`, `--max-iterations=${maxIterations}`, '--json'], {
    cwd: SUITE,
    env: { ...process.env, OPENAI_BASE_URL: url, OPENAI_API_KEY: 'bench', SELF_HARNESS_MODEL: profile, FORCE_COLOR: '0', NO_COLOR: '1' },
  })
  const wallMs = performance.now() - started
  if (code !== 0) throw new Error(`evolve for ${profile} failed (exit ${code}):\n${stderr.slice(-3000)}`)
  const result = JSON.parse(stdout) as EvolveResult
  const ledger = await openLedger(join(dir, 'ledger.jsonl'))
  const end = ledger.entries.findLast((entry) => entry.kind === 'end')
  if (end?.kind !== 'end') throw new Error(`The ledger of ${profile} has no end entry.`)
  const acceptedEdits = ledger.entries.reduce((n, entry) => n + (entry.kind === 'accepted' ? entry.proposalIds.length : 0), 0)
  const turns = await turnsPerTrial(join(dir, 'work', 'runs'))
  const perEdit = (n: number) => (acceptedEdits ? Math.round(n / acceptedEdits) : n)
  return {
    profile,
    acceptedEdits,
    proposalsTried: result.proposalsTried,
    trials: end.trialsRun,
    naiveTrials: end.naiveTrials,
    trialsPerEdit: perEdit(end.trialsRun),
    naiveTrialsPerEdit: perEdit(end.naiveTrials),
    ratio: Math.round((100 * end.trialsRun) / end.naiveTrials) / 100,
    modelCalls: result.modelCalls,
    naiveModelCalls: Math.round(result.modelCalls + (end.naiveTrials - end.trialsRun) * turns),
    wallMs: Math.round(wallMs),
  }
}

/** Mean model turns per task trial over every record an evolve run wrote. */
async function turnsPerTrial(runsDir: string): Promise<number> {
  let trials = 0
  let turns = 0
  for (const label of readdirSync(runsDir)) {
    const folder = join(runsDir, label, 'runs')
    let files: string[] = []
    try {
      files = readdirSync(folder).filter((name) => name.endsWith('.json') && !name.endsWith('.verdict.json'))
    } catch {
      continue
    }
    for (const file of files) {
      const record = await readRecord(join(folder, file)).catch(() => undefined)
      for (const trial of record?.tasks.flatMap((task) => task.trials) ?? []) {
        trials++
        turns += trial.turns
      }
    }
  }
  return trials ? turns / trials : 0
}

function run(file: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.once('error', reject)
    child.once('close', (code) => resolve({ code: code ?? 1, stdout, stderr }))
  })
}

async function main(): Promise<void> {
  const large = process.argv.includes('--large')
  console.log('decision cost: task trials per accepted edit, evolve vs a loop that re-runs the decision set for both sides of every proposal')
  console.table(await benchDecisionCost(large ? ['sim-steady', 'sim-hasty', 'sim-forgetful'] : ['sim-hasty']))
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main()
