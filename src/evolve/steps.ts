import { dirname, relative, resolve } from 'node:path'
import type { ModelClient } from '../agent/model.js'
import { ConfigurationError } from '../errors.js'
import type { HarnessFormat } from '../harness/format.js'
import { loadHarness, type HarnessVersion } from '../harness/version.js'
import { mineFailures, type Weakness } from '../miner/index.js'
import { proposeEdits, type DataSurface, type Proposal } from '../proposer/index.js'
import type { RunRecord, TaskRecord } from '../record/schema.js'
import { buildRecord, readRecord, writeRecord } from '../record/store.js'
import { readTrace } from '../trace/reader.js'
import type { Ledger } from './ledger.js'
import { taskPasses, withAbsoluteTraces } from './port.js'
import type { Split } from './splits.js'
import { validateCandidate, type Validation } from './validate.js'

// The loop's steps that go through the ledger: each is done once and read back on resume.

/** The harness in force and what is known of it. */
export interface State {
  iteration: number
  current: HarnessVersion<unknown>
  currentFile: string | undefined
  results: Map<string, TaskRecord>
  recordFile: string
  splits: Record<string, Split>
  instructions: string[]
}

/** One accepted step of the lineage. */
export interface AcceptedStep {
  iteration: number
  harnessId: string
  parent: string
  file: string
  proposals: Proposal[]
}

/** Tasks of a record by id, with absolute trace paths. */
export const byId = (record: RunRecord, recordFile: string) => new Map(withAbsoluteTraces(record, recordFile).map((t) => [t.id, t]))

/** The model the ledger's run is for. */
export function startModel(ledger: Ledger): string {
  const start = ledger.entries.find((e) => e.kind === 'start')
  return start?.kind === 'start' ? start.model : 'unknown'
}

/** Paths in the ledger are relative to its folder, so the folder can move; absolute ones are read as they are. */
export function ledgerPaths(ledger: Ledger): { rel: (path: string) => string; abs: (path: string) => string } {
  const base = dirname(ledger.file)
  return { rel: (path) => relative(base, path), abs: (path) => resolve(base, path) }
}

/** Weaknesses tried in at least two iterations before this one, none of whose proposals was accepted. */
export function staleWeaknesses(ledger: Ledger, iteration: number): Set<string> {
  const weaknessOf = new Map<string, string>()
  const triedIn = new Map<string, Set<number>>()
  for (const e of ledger.entries) {
    if (e.kind !== 'proposal' || e.iteration >= iteration) continue
    if (e.proposal && typeof e.proposal.id === 'string') weaknessOf.set(e.proposal.id, e.weaknessId)
    triedIn.set(e.weaknessId, (triedIn.get(e.weaknessId) ?? new Set()).add(e.iteration))
  }
  const helped = new Set(ledger.entries.flatMap((e) => (e.kind === 'accepted' ? e.proposalIds.map((id) => weaknessOf.get(id) ?? '') : [])))
  return new Set([...triedIn].filter(([id, its]) => its.size >= 2 && !helped.has(id)).map(([id]) => id))
}

/** Failed trials of a split under the current harness, with absolute trace paths. */
export function failedTrials(state: State, split: Split): Array<{ taskId: string; trial: number; tracePath: string }> {
  const base = dirname(state.recordFile)
  const out: Array<{ taskId: string; trial: number; tracePath: string }> = []
  for (const [id, task] of state.results) {
    if (state.splits[id] !== split || taskPasses(task)) continue
    for (const trial of task.trials) {
      if (trial.outcome === 'fail' && trial.tracePath) out.push({ taskId: id, trial: trial.index, tracePath: resolve(base, trial.tracePath) })
    }
  }
  return out
}

/** The instructions given to the agent in a run, read from the traces' first events (for the proposal guards). */
export async function instructionsOf(record: RunRecord, recordFile: string): Promise<string[]> {
  const out = new Set<string>()
  for (const task of record.tasks) {
    const path = task.trials[0]?.tracePath
    if (!path) continue
    try {
      const first = (await readTrace(resolve(dirname(recordFile), path)))[0]
      if (first?.kind === 'trial-start') out.add(first.instruction)
    } catch {
      // a missing trace only weakens the instruction guard for that task
    }
  }
  return [...out]
}

export async function mineOrReuse(ledger: Ledger, iteration: number, failures: ReturnType<typeof failedTrials>, totalTasks: number, client: ModelClient) {
  const done = ledger.entries.find((e) => e.kind === 'weaknesses' && e.iteration === iteration)
  if (done && done.kind === 'weaknesses') {
    const weaknesses = done.weaknesses as unknown as Weakness[]
    return { weaknesses, bySignature: Object.fromEntries(weaknesses.map((w) => [w.signature, w.id])) as Record<string, string> }
  }
  const mined = await mineFailures({ failures, totalTasks, client })
  ledger.append({ kind: 'weaknesses', iteration, weaknesses: mined.weaknesses as unknown as Array<Record<string, unknown>> })
  return mined
}

export async function proposeOrReuse(ledger: Ledger, iteration: number, weakness: Weakness, state: State, client: ModelClient, count: number, surface?: DataSurface): Promise<Proposal[]> {
  const done = ledger.entries.filter((e) => e.kind === 'proposal' && e.iteration === iteration && e.weaknessId === weakness.id)
  if (done.length) return done.flatMap((e) => (e.kind === 'proposal' && e.proposal && !e.refused ? [e.proposal as unknown as Proposal] : []))
  const { proposals, refused } = await proposeEdits({
    weakness,
    harness: state.current.spec,
    ...(surface ? { surface } : {}),
    client,
    count,
    guardContext: { taskIds: Object.keys(state.splits), instructions: state.instructions },
  })
  for (const r of refused) ledger.append({ kind: 'proposal', iteration, weaknessId: weakness.id, proposal: (r.raw && typeof r.raw === 'object' ? r.raw : null) as Record<string, unknown> | null, refused: { reason: r.reason, detail: r.detail } })
  for (const p of proposals) ledger.append({ kind: 'proposal', iteration, weaknessId: weakness.id, proposal: p as unknown as Record<string, unknown> })
  if (!proposals.length && !refused.length) ledger.append({ kind: 'proposal', iteration, weaknessId: weakness.id, proposal: null, refused: { reason: 'no-proposals', detail: 'the model proposed nothing usable' } })
  return proposals
}

export async function validateOrReuse(ledger: Ledger, iteration: number, proposalIds: string[], candidate: HarnessVersion<unknown>, input: Parameters<typeof validateCandidate>[0], dir: string): Promise<Validation> {
  const key = proposalIds.join('+')
  const { rel, abs } = ledgerPaths(ledger)
  const done = ledger.entries.find((e) => e.kind === 'validation' && e.iteration === iteration && e.proposalIds.join('+') === key)
  if (done && done.kind === 'validation') {
    const results = done.record ? byId(await readRecord(abs(done.record)), abs(done.record)) : undefined
    return { accepted: done.accepted, reason: done.reason, regressions: done.regressions, fixes: done.fixes, targetFixed: done.targetFixed, trialsRun: 0, trialsReused: done.trialsRun + done.trialsReused, stoppedEarly: done.stoppedEarly, results, recordFiles: [] }
  }
  const validation = await validateCandidate(input)
  let record: string | undefined
  if (validation.accepted && validation.results) {
    record = resolve(dir, 'records', `candidate-${candidate.id}.json`)
    await writeRecord(record, buildRecord({ harness: { name: candidate.name, id: candidate.id }, model: startModel(ledger), trials: input.trials, tasks: [...validation.results.values()] }))
  }
  ledger.append({
    kind: 'validation', iteration, proposalIds, harnessId: candidate.id, accepted: validation.accepted, reason: validation.reason,
    regressions: validation.regressions, fixes: validation.fixes, targetFixed: validation.targetFixed, trialsRun: validation.trialsRun,
    trialsReused: validation.trialsReused, stoppedEarly: validation.stoppedEarly, ...(record ? { record: rel(record) } : {}),
  })
  return validation
}

/** The lineage as the ledger has it (for a resumed run). */
export function acceptedFromLedger(ledger: Ledger): AcceptedStep[] {
  const proposals = new Map<string, Proposal>()
  for (const e of ledger.entries) if (e.kind === 'proposal' && e.proposal && !e.refused) proposals.set(String(e.proposal.id), e.proposal as unknown as Proposal)
  const { abs } = ledgerPaths(ledger)
  return ledger.entries.flatMap((e) =>
    e.kind === 'accepted' ? [{ iteration: e.iteration, harnessId: e.harnessId, parent: e.parent, file: abs(e.file), proposals: e.proposalIds.flatMap((id) => proposals.get(id) ?? []) }] : [],
  )
}

/** Rebuilds the loop's state from the ledger of an interrupted run; undefined for a new run. */
export async function restore(ledger: Ledger, options: { baseline: HarnessVersion<unknown>; client: ModelClient; format: HarnessFormat<unknown> }): Promise<State | undefined> {
  const start = ledger.entries.find((e) => e.kind === 'start')
  const baseline = ledger.entries.find((e) => e.kind === 'baseline')
  if (!start || start.kind !== 'start' || !baseline || baseline.kind !== 'baseline') return undefined
  if (start.harnessId !== options.baseline.id || start.model !== options.client.model) {
    throw new ConfigurationError('CONFIG_INVALID', `The ledger ${ledger.file} belongs to another run (harness ${start.harnessId}, model ${start.model}). Use another --dir or move it away.`, { file: ledger.file })
  }
  const lastAccepted = ledger.entries.findLast((e) => e.kind === 'accepted')
  const lastIteration = ledger.entries.findLast((e) => e.kind === 'iteration')
  const { abs } = ledgerPaths(ledger)
  const recordFile = abs(lastAccepted?.kind === 'accepted' ? lastAccepted.record : baseline.record)
  const record = await readRecord(recordFile)
  let current = options.baseline
  let currentFile = options.baseline.file
  if (lastAccepted?.kind === 'accepted') {
    const file = abs(lastAccepted.file)
    current = await loadHarness(file.replace(/^.*\//, '').replace(/\.json$/, ''), dirname(file), options.format.parse)
    currentFile = file
  }
  // An iteration that accepted something is complete; one that did not is resumed from its ledger entries.
  const completed = lastAccepted?.kind === 'accepted' ? lastAccepted.iteration : 0
  const iteration = lastIteration?.kind === 'iteration' && lastIteration.iteration > completed ? lastIteration.iteration - 1 : completed
  const baselineRecord = await readRecord(abs(baseline.record))
  return { iteration, current, currentFile, results: byId(record, recordFile), recordFile, splits: start.splits, instructions: await instructionsOf(baselineRecord, abs(baseline.record)) }
}
