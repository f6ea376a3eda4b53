import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { startSimServer, type SimServer } from '../../fixtures/sim/server.js'
import { LedgerEntrySchema, type LedgerEntry } from '../../src/evolve/ledger.js'
import type { EvolveResult } from '../../src/evolve/loop.js'

// `self-harness evolve` killed with SIGKILL once it has validated a proposal, then started again: it resumes from
// its ledger, redoes nothing it recorded, and ends where a run that was never killed ends.

const project = resolve(import.meta.dirname, '../fixtures/evolve-project')
const cli = resolve(import.meta.dirname, '../../dist/src/cli/bin.js')
const flags = ['--json', '--weaknesses=1', '--proposals=3', '--max-iterations=3']
let sim: SimServer
let out: string
let straight: ReturnType<typeof evolveIn> | undefined

beforeAll(async () => {
  sim = await startSimServer({ solutionsDir: join(project, 'solutions'), seed: 5 })
  out = await mkdtemp(join(tmpdir(), 'evolve-resume-'))
})
afterAll(async () => {
  if (straight?.pid && straight.exitCode === null) process.kill(-straight.pid, 'SIGKILL') // a failed test leaves it running
  await straight
  await sim?.close()
  if (out) await rm(out, { recursive: true, force: true })
  for (const name of await readdir(project)) if (name.startsWith('.self-harness')) await rm(join(project, name), { recursive: true, force: true })
})

const env = () => ({ OPENAI_BASE_URL: sim.url, OPENAI_API_KEY: 'k', SELF_HARNESS_MODEL: 'sim-steady', NO_COLOR: '1' })
const evolveIn = (dir: string, options: { detached?: boolean } = {}) =>
  execa(process.execPath, [cli, 'evolve', `--dir=${dir}`, ...flags], { cwd: project, env: env(), reject: false, ...options })

/** The ledger's whole lines, parsed; a last line cut short by a kill is left out. */
async function ledgerOf(dir: string): Promise<LedgerEntry[]> {
  const text = await readFile(join(dir, 'ledger.jsonl'), 'utf8').catch(() => '')
  const lines = text.split('\n')
  if (!text.endsWith('\n')) lines.pop()
  return lines.filter(Boolean).map((line) => LedgerEntrySchema.parse(JSON.parse(line)))
}

const validationKey = (e: LedgerEntry) => (e.kind === 'validation' ? `${e.iteration}:${e.proposalIds.join('+')}` : '')
const mtimeOf = async (file: string) => (await stat(file)).mtimeMs

it('resumes an evolve run killed with SIGKILL without redoing the baseline or a validation, and ends as an unkilled run', async () => {
  // A run that is never killed, with the same seed, runs alongside as the reference.
  straight = evolveIn(join(out, 'straight'), { detached: true })
  const killedDir = join(out, 'killed')
  const child = evolveIn(killedDir, { detached: true })
  // Kill the whole process group (the command and its vitest runs) once a proposal has been validated.
  while (!(await ledgerOf(killedDir)).some((e) => e.kind === 'validation')) {
    if (child.exitCode !== null) throw new Error(`the run ended before it could be killed:\n${(await child).stderr}`)
    await new Promise((r) => setTimeout(r, 100))
  }
  process.kill(-child.pid!, 'SIGKILL')
  const killed = await child
  expect(killed.signal).toBe('SIGKILL')
  const before = await ledgerOf(killedDir)
  expect(before.some((e) => e.kind === 'end')).toBe(false)
  const baselineRecord = join(killedDir, 'work', 'runs', 'baseline', 'runs', 'baseline.json')
  const baselineWritten = await mtimeOf(baselineRecord)
  const validatedBefore = before.filter((e) => e.kind === 'validation')
  // Runs of a validated proposal are labelled `i<iteration>-<proposal id or merged>-<phase>`.
  const validatedRun = (run: string) =>
    validatedBefore.some((e) => e.kind === 'validation' && run.startsWith(`i${e.iteration}-${e.proposalIds.length > 1 ? 'merged' : e.proposalIds[0]}-`))
  const firstRecords = new Map<string, number>()
  for (const run of (await readdir(join(killedDir, 'work', 'runs'))).filter(validatedRun)) {
    const record = join(killedDir, 'work', 'runs', run, 'runs', `${run}.json`)
    const written = await mtimeOf(record).catch(() => undefined)
    if (written !== undefined) firstRecords.set(record, written)
  }

  const resumed = await evolveIn(killedDir)
  expect(resumed.exitCode, resumed.stderr).toBe(0)
  const result = JSON.parse(resumed.stdout) as EvolveResult
  const after = await ledgerOf(killedDir)

  // Append-only: every entry of the killed run is still there, first and unchanged.
  expect(after.slice(0, before.length)).toEqual(before)
  expect(after.length).toBeGreaterThan(before.length)
  // The baseline ran once.
  expect(after.filter((e) => e.kind === 'start')).toHaveLength(1)
  expect(after.filter((e) => e.kind === 'baseline')).toHaveLength(1)
  expect(resumed.stderr).not.toContain('baseline: running every task')
  expect(await mtimeOf(baselineRecord)).toBe(baselineWritten)
  // No proposal is validated twice; those validated before the kill are not run again.
  const keys = after.filter((e) => e.kind === 'validation').map(validationKey)
  expect(new Set(keys).size).toBe(keys.length)
  expect(validatedBefore.length).toBeGreaterThanOrEqual(1)
  expect(firstRecords.size).toBeGreaterThanOrEqual(1)
  for (const [record, written] of firstRecords) expect(await mtimeOf(record), record).toBe(written)
  expect(after.filter((e) => e.kind === 'end')).toHaveLength(1)

  // The run that was never killed accepts the same versions and ends in the same place.
  const { exitCode, stdout, stderr } = await straight
  expect(exitCode, stderr).toBe(0)
  const reference = JSON.parse(stdout) as EvolveResult
  expect(reference.accepted.length).toBeGreaterThanOrEqual(1)
  expect(result.accepted.map((a) => a.harnessId)).toEqual(reference.accepted.map((a) => a.harnessId))
  expect(result.final.harnessId).toBe(reference.final.harnessId)
  expect(result.stopReason).toBe(reference.stopReason)
  expect(result.final.summary).toEqual(reference.final.summary)
}, 150_000)
