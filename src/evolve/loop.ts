import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join, relative, resolve } from 'node:path'
import type { ModelClient } from '../agent/model.js'
import { applyPatch } from '../harness/patch.js'
import { harnessId, loadHarness, type HarnessVersion } from '../harness/version.js'
import { mineFailures, type Weakness } from '../miner/index.js'
import { proposeEdits, type Proposal } from '../proposer/index.js'
import type { RunRecord, TaskRecord } from '../record/schema.js'
import { buildRecord, readRecord, writeRecord } from '../record/store.js'
import { openLedger, type Ledger, type SplitSummary } from './ledger.js'
import { taskPasses, withAbsoluteTraces, type TaskRunner } from './port.js'
import { assignSplits, type Split, type SplitOptions } from './splits.js'
import { classifyFailures } from './targets.js'
import { validateCandidate, type Validation } from './validate.js'

/** Options of {@link evolve}. */
export interface EvolveOptions {
  runner: TaskRunner
  /** The model under test: it also mines and proposes. */
  client: ModelClient
  /** The harness to start from. */
  baseline: HarnessVersion
  /** Directory for the ledger, records and accepted harness versions. */
  dir: string
  /** Trials per task. @default 1 */
  trials?: number
  /** @default 5 */
  maxIterations?: number
  /** Weaknesses proposed for per iteration, best ranked first. @default 2 */
  weaknessesPerIteration?: number
  /** Edits asked for per weakness (3 to 5). @default 4 */
  proposalsPerWeakness?: number
  splits?: SplitOptions
  /** Receives one line of progress at a time. */
  onProgress?: (line: string) => void
}

/** One accepted step of the lineage. */
export interface AcceptedStep {
  iteration: number
  harnessId: string
  parent: string
  file: string
  proposals: Proposal[]
}

/** What an evolve run did. */
export interface EvolveResult {
  model: string
  baseline: { harnessId: string; summary: SplitSummary }
  final: { harnessId: string; file: string | undefined; summary: SplitSummary }
  iterations: number
  stopReason: 'converged' | 'iteration-limit' | 'no-weaknesses'
  accepted: AcceptedStep[]
  proposalsTried: number
  /** Task trials actually run, baseline included. */
  trialsRun: number
  /** Task trials a naive loop would run: every proposal re-runs the full decision set for both sides. */
  naiveTrials: number
  modelCalls: number
  ledgerFile: string
}

/** The harness in force and what is known of it. */
interface State {
  iteration: number
  current: HarnessVersion
  currentFile: string | undefined
  results: Map<string, TaskRecord>
  recordFile: string
  splits: Record<string, Split>
  instructions: string[]
}

/** Tasks of a record by id, with absolute trace paths. */
const byId = (record: RunRecord, recordFile: string) => new Map(withAbsoluteTraces(record, recordFile).map((t) => [t.id, t]))
const trialsOf = (record: RunRecord) => record.tasks.reduce((n, t) => n + t.trials.length, 0)

/** Pass counts per split of a set of results. */
export function summarize(results: ReadonlyMap<string, TaskRecord>, splits: Record<string, Split>, sealed?: ReadonlyMap<string, TaskRecord>): SplitSummary {
  const count = (split: Split, source: ReadonlyMap<string, TaskRecord>) => {
    const ids = Object.keys(splits).filter((id) => splits[id] === split)
    return { passed: ids.filter((id) => taskPasses(source.get(id))).length, tasks: ids.length }
  }
  return { train: count('train', results), validation: count('validation', results), ...(sealed ? { sealed: count('sealed', sealed) } : {}) }
}

/** Counts the model calls made through a client. */
function counting(client: ModelClient): ModelClient & { calls: number } {
  const wrapped = {
    model: client.model,
    calls: 0,
    chat: (request: Parameters<ModelClient['chat']>[0]) => {
      wrapped.calls++
      return client.chat(request)
    },
  }
  return wrapped
}

/**
 * The self-harness loop: run, mine the train failures, propose edits with the same model, validate each against
 * the current harness, accept, repeat until an iteration accepts nothing or the iteration limit. Every step goes to
 * an append-only ledger first, so an interrupted run resumes where it stopped.
 */
export async function evolve(options: EvolveOptions): Promise<EvolveResult> {
  const trials = options.trials ?? 1
  const maxIterations = options.maxIterations ?? 5
  const progress = options.onProgress ?? (() => {})
  const client = counting(options.client)
  const ledger = await openLedger(join(options.dir, 'ledger.jsonl'))
  const { rel, abs } = ledgerPaths(ledger)
  let trialsRun = 0
  /** Trials any loop spends: the baseline run and the sealed report. */
  let sharedTrials = 0
  let naiveTrials = 0
  let modelCallsFromRuns = 0
  let proposalsTried = 0

  const run = async (...args: Parameters<TaskRunner['run']>) => {
    const out = await options.runner.run(...args)
    trialsRun += trialsOf(out.record)
    modelCallsFromRuns += out.record.tasks.reduce((n, t) => n + t.trials.reduce((m, trial) => m + trial.turns, 0), 0)
    return out
  }

  const begin = async (): Promise<State> => {
    progress(`baseline: running every task under ${options.baseline.name} (${options.baseline.id})`)
    const { record, recordFile } = await run({ harness: options.baseline, taskIds: [], trials, label: 'baseline' })
    sharedTrials += trialsOf(record)
    const splits = assignSplits(record.tasks.map((t) => t.id), options.splits)
    ledger.append({ kind: 'start', model: client.model, harnessId: options.baseline.id, harnessName: options.baseline.name, trials, splits })
    const results = byId(record, recordFile)
    ledger.append({ kind: 'baseline', harnessId: options.baseline.id, record: rel(recordFile), summary: summarize(results, splits, results) })
    return { iteration: 0, current: options.baseline, currentFile: options.baseline.file, results, recordFile, splits, instructions: await instructionsOf(record, recordFile) }
  }
  let state: State = (await restore(ledger, options)) ?? (await begin())
  const start = ledger.entries.find((e) => e.kind === 'start')!
  const baselineEntry = ledger.entries.find((e) => e.kind === 'baseline')!
  const baselineSealed = byId(await readRecord(abs(baselineEntry.record)), abs(baselineEntry.record))
  const ids = Object.keys(state.splits)
  const decisionTasks = ids.filter((id) => state.splits[id] !== 'sealed')
  const fragility = new Map<string, number>()
  const accepted: AcceptedStep[] = []
  let stopReason: EvolveResult['stopReason'] = 'iteration-limit'

  const ended = ledger.entries.find((e) => e.kind === 'end')
  if (ended) stopReason = ended.reason

  while (!ended && state.iteration < maxIterations) {
    const iteration = state.iteration + 1
    const s: State = state
    if (!ledger.entries.some((e) => e.kind === 'iteration' && e.iteration === iteration)) {
      ledger.append({ kind: 'iteration', iteration, harnessId: s.current.id })
    }
    const summary = summarize(s.results, s.splits)
    progress(`iteration ${iteration}: harness ${s.current.id}, train ${summary.train.passed}/${summary.train.tasks}, validation ${summary.validation.passed}/${summary.validation.tasks}, ${proposalsTried} proposals tried, ${client.calls + modelCallsFromRuns} model calls`)

    // Mine: only train traces reach the miner and the proposer.
    const trainFailures = failedTrials(s, 'train')
    const mined = await mineOrReuse(ledger, iteration, trainFailures, ids.filter((id) => s.splits[id] === 'train').length, client)
    // A weakness tried in two earlier iterations without an accepted edit is left alone (a capability gap, or
    // beyond what this model proposes); the others are tried again under the new harness.
    const stale = staleWeaknesses(ledger, iteration)
    const fresh = mined.weaknesses.filter((w) => !stale.has(w.id)).slice(0, options.weaknessesPerIteration ?? 2)
    if (!fresh.length) {
      stopReason = mined.weaknesses.length ? 'converged' : 'no-weaknesses'
      break
    }
    // Validation failures are classified by signature only; their traces never reach the proposer.
    const validationTargets = await classifyFailures(failedTrials(s, 'validation'), mined.bySignature)
    const trainTargets = await classifyFailures(trainFailures, mined.bySignature)

    const winners: Array<{ proposals: Proposal[]; candidate: HarnessVersion; validation: Validation }> = []
    for (const weakness of fresh) {
      const targets = new Set([...weakness.exampleTasks, ...(trainTargets.get(weakness.id) ?? []), ...(validationTargets.get(weakness.id) ?? [])])
      const proposals = await proposeOrReuse(ledger, iteration, weakness, s, client, options.proposalsPerWeakness ?? 4)
      for (const proposal of proposals) {
        proposalsTried++
        const candidate = candidateFrom(s.current, [proposal], `${options.baseline.name}-i${iteration}-${proposal.id}`)
        const validation = await validateOrReuse(ledger, iteration, [proposal.id], candidate, {
          candidate, current: s.results, decisionTasks, targets, runner: { run }, trials, label: `i${iteration}-${proposal.id}`, fragility,
        }, options.dir)
        naiveTrials += 2 * decisionTasks.length * trials
        for (const id of validation.regressions) fragility.set(id, (fragility.get(id) ?? 0) + 1)
        progress(`  ${validation.accepted ? 'accept' : 'reject'} ${proposal.kind} for ${weakness.id}: ${validation.reason} (${validation.trialsRun} trials run, ${validation.trialsReused} reused${validation.stoppedEarly ? ', stopped early' : ''})`)
        if (validation.accepted) winners.push({ proposals: [proposal], candidate, validation })
      }
    }
    if (!winners.length) {
      stopReason = 'converged'
      state = { ...s, iteration }
      break
    }

    let chosen = winners.reduce((best, w) => (w.validation.fixes.length > best.validation.fixes.length ? w : best))
    if (winners.length > 1) {
      const merged = mergeWinners(s.current, winners, `${options.baseline.name}-i${iteration}-merged`)
      if (merged) {
        const targets = new Set(winners.flatMap((w) => w.validation.targetFixed))
        const validation = await validateOrReuse(ledger, iteration, merged.proposals.map((p) => p.id), merged.candidate, {
          candidate: merged.candidate, current: s.results, decisionTasks, targets, runner: { run }, trials, label: `i${iteration}-merged`, fragility,
        }, options.dir)
        naiveTrials += 2 * decisionTasks.length * trials
        progress(`  ${validation.accepted ? 'accept' : 'reject'} the merge of ${merged.proposals.length} accepted edits: ${validation.reason}`)
        if (validation.accepted && validation.fixes.length >= chosen.validation.fixes.length) chosen = { ...merged, validation }
      }
    }

    const results = new Map([...s.results, ...chosen.validation.results!])
    const version: HarnessVersion = { ...chosen.candidate, name: `${options.baseline.name}-evolved-${iteration}` }
    version.spec = { ...version.spec, name: version.name, parent: s.current.id }
    const file = resolve(options.dir, 'harnesses', `${version.name}.json`)
    await mkdir(dirname(file), { recursive: true })
    await writeFile(file, `${JSON.stringify(version.spec, null, 2)}\n`)
    const recordFile = resolve(options.dir, 'records', `${version.id}.json`)
    await writeRecord(recordFile, buildRecord({ harness: { name: version.name, id: version.id }, model: client.model, trials, tasks: [...results.values()] }))
    ledger.append({ kind: 'accepted', iteration, harnessId: version.id, parent: s.current.id, file: rel(file), record: rel(recordFile), proposalIds: chosen.proposals.map((p) => p.id), summary: summarize(results, s.splits) })
    accepted.push({ iteration, harnessId: version.id, parent: s.current.id, file, proposals: chosen.proposals })
    state = { ...s, iteration, current: { ...version, file }, currentFile: file, results, recordFile }
  }

  // Sealed tasks decide nothing: reported for the baseline and for the final harness.
  const final = state
  const sealedIds = ids.filter((id) => final.splits[id] === 'sealed')
  let finalSealed = baselineSealed
  if (final.current.id !== start.harnessId && sealedIds.length) {
    const { record, recordFile } = await run({ harness: final.current, taskIds: sealedIds, trials, label: `sealed-${final.current.id}` })
    sharedTrials += trialsOf(record)
    finalSealed = byId(record, recordFile)
  }
  const finalSummary = summarize(final.results, final.splits, finalSealed)
  if (!ended) ledger.append({ kind: 'end', reason: stopReason, harnessId: final.current.id, summary: finalSummary, trialsRun, naiveTrials: naiveTrials + sharedTrials })
  const endEntry = ledger.entries.findLast((e) => e.kind === 'end')!
  return {
    model: client.model,
    baseline: { harnessId: start.harnessId, summary: baselineEntry.summary },
    final: { harnessId: final.current.id, file: final.currentFile, summary: finalSummary },
    iterations: final.iteration,
    stopReason,
    accepted: accepted.length ? accepted : acceptedFromLedger(ledger),
    proposalsTried,
    trialsRun: endEntry.kind === 'end' ? endEntry.trialsRun : trialsRun,
    naiveTrials: endEntry.kind === 'end' ? endEntry.naiveTrials : naiveTrials + sharedTrials,
    modelCalls: client.calls + modelCallsFromRuns,
    ledgerFile: ledger.file,
  }
}

/** The model the ledger's run is for. */
function startModel(ledger: Ledger): string {
  const start = ledger.entries.find((e) => e.kind === 'start')
  return start?.kind === 'start' ? start.model : 'unknown'
}

/** Paths in the ledger are relative to its folder, so the folder can move; absolute ones are read as they are. */
function ledgerPaths(ledger: Ledger): { rel: (path: string) => string; abs: (path: string) => string } {
  const base = dirname(ledger.file)
  return { rel: (path) => relative(base, path), abs: (path) => resolve(base, path) }
}

/** Weaknesses tried in at least two iterations before this one, none of whose proposals was accepted. */
function staleWeaknesses(ledger: Ledger, iteration: number): Set<string> {
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
function failedTrials(state: State, split: Split): Array<{ taskId: string; trial: number; tracePath: string }> {
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
async function instructionsOf(record: RunRecord, recordFile: string): Promise<string[]> {
  const { readTrace } = await import('../trace/reader.js')
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

async function mineOrReuse(ledger: Ledger, iteration: number, failures: ReturnType<typeof failedTrials>, totalTasks: number, client: ModelClient) {
  const done = ledger.entries.find((e) => e.kind === 'weaknesses' && e.iteration === iteration)
  if (done && done.kind === 'weaknesses') {
    const weaknesses = done.weaknesses as unknown as Weakness[]
    return { weaknesses, bySignature: Object.fromEntries(weaknesses.map((w) => [w.signature, w.id])) as Record<string, string> }
  }
  const mined = await mineFailures({ failures, totalTasks, client })
  ledger.append({ kind: 'weaknesses', iteration, weaknesses: mined.weaknesses as unknown as Array<Record<string, unknown>> })
  return mined
}

async function proposeOrReuse(ledger: Ledger, iteration: number, weakness: Weakness, state: State, client: ModelClient, count: number): Promise<Proposal[]> {
  const done = ledger.entries.filter((e) => e.kind === 'proposal' && e.iteration === iteration && e.weaknessId === weakness.id)
  if (done.length) return done.flatMap((e) => (e.kind === 'proposal' && e.proposal && !e.refused ? [e.proposal as unknown as Proposal] : []))
  const { proposals, refused } = await proposeEdits({
    weakness,
    harness: state.current.spec,
    client,
    count,
    guardContext: { taskIds: Object.keys(state.splits), instructions: state.instructions },
  })
  for (const r of refused) ledger.append({ kind: 'proposal', iteration, weaknessId: weakness.id, proposal: (r.raw && typeof r.raw === 'object' ? r.raw : null) as Record<string, unknown> | null, refused: { reason: r.reason, detail: r.detail } })
  for (const p of proposals) ledger.append({ kind: 'proposal', iteration, weaknessId: weakness.id, proposal: p as unknown as Record<string, unknown> })
  if (!proposals.length && !refused.length) ledger.append({ kind: 'proposal', iteration, weaknessId: weakness.id, proposal: null, refused: { reason: 'no-proposals', detail: 'the model proposed nothing usable' } })
  return proposals
}

async function validateOrReuse(ledger: Ledger, iteration: number, proposalIds: string[], candidate: HarnessVersion, input: Parameters<typeof validateCandidate>[0], dir: string): Promise<Validation> {
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

/** A harness version from the current one with proposals' patches applied. */
function candidateFrom(current: HarnessVersion, proposals: Proposal[], name: string): HarnessVersion {
  let spec = current.spec
  for (const proposal of proposals) spec = applyPatch(spec, proposal.patch)
  spec = { ...spec, name, parent: current.id }
  return { name, id: harnessId(spec), spec }
}

/** Merges accepted edits of one iteration; edits that no longer apply on top of the others are left out. */
function mergeWinners(current: HarnessVersion, winners: Array<{ proposals: Proposal[] }>, name: string): { proposals: Proposal[]; candidate: HarnessVersion } | undefined {
  const kept: Proposal[] = []
  // Two edits of the same field are alternatives, not parts of one change; appends to a list combine.
  const touched = (proposals: Proposal[]) => proposals.flatMap((p) => p.patch.map((op) => op.path)).filter((path) => !path.endsWith('/-'))
  for (const winner of winners) {
    const paths = touched(winner.proposals)
    if (paths.some((path) => touched(kept).includes(path))) continue
    try {
      candidateFrom(current, [...kept, ...winner.proposals], name)
      kept.push(...winner.proposals)
    } catch {
      // conflicts with an edit already merged
    }
  }
  if (kept.length < 2) return undefined
  return { proposals: kept, candidate: candidateFrom(current, kept, name) }
}

/** The lineage as the ledger has it (for a resumed run). */
function acceptedFromLedger(ledger: Ledger): AcceptedStep[] {
  const proposals = new Map<string, Proposal>()
  for (const e of ledger.entries) if (e.kind === 'proposal' && e.proposal && !e.refused) proposals.set(String(e.proposal.id), e.proposal as unknown as Proposal)
  const { abs } = ledgerPaths(ledger)
  return ledger.entries.flatMap((e) =>
    e.kind === 'accepted' ? [{ iteration: e.iteration, harnessId: e.harnessId, parent: e.parent, file: abs(e.file), proposals: e.proposalIds.flatMap((id) => proposals.get(id) ?? []) }] : [],
  )
}

/** Rebuilds the loop's state from the ledger of an interrupted run; undefined for a new run. */
async function restore(ledger: Ledger, options: EvolveOptions): Promise<State | undefined> {
  const start = ledger.entries.find((e) => e.kind === 'start')
  const baseline = ledger.entries.find((e) => e.kind === 'baseline')
  if (!start || start.kind !== 'start' || !baseline || baseline.kind !== 'baseline') return undefined
  if (start.harnessId !== options.baseline.id || start.model !== options.client.model) {
    const { ConfigurationError } = await import('../errors.js')
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
    current = await loadHarness(file.replace(/^.*\//, '').replace(/\.json$/, ''), dirname(file))
    currentFile = file
  }
  // An iteration that accepted something is complete; one that did not is resumed from its ledger entries.
  const completed = lastAccepted?.kind === 'accepted' ? lastAccepted.iteration : 0
  const iteration = lastIteration?.kind === 'iteration' && lastIteration.iteration > completed ? lastIteration.iteration - 1 : completed
  const baselineRecord = await readRecord(abs(baseline.record))
  return { iteration, current, currentFile, results: byId(record, recordFile), recordFile, splits: start.splits, instructions: await instructionsOf(baselineRecord, abs(baseline.record)) }
}
