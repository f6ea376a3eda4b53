import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import type { ModelClient } from '../agent/model.js'
import { builtinHarnessFormat, type HarnessFormat } from '../harness/format.js'
import type { HarnessVersion } from '../harness/version.js'
import type { DataSurface, Proposal } from '../proposer/index.js'
import type { RunRecord, TaskRecord } from '../record/schema.js'
import { buildRecord, readRecord, writeRecord } from '../record/store.js'
import { openLedger, type SplitSummary } from './ledger.js'
import { taskPasses, type TaskRunner } from './port.js'
import { assignSplits, type Split, type SplitOptions } from './splits.js'
import { classifyFailures } from './targets.js'
import { acceptedFromLedger, byId, failedTrials, instructionsOf, ledgerPaths, mineOrReuse, proposeOrReuse, restore, staleWeaknesses, validateOrReuse, type AcceptedStep, type State } from './steps.js'
import type { Validation } from './validate.js'

export type { AcceptedStep } from './steps.js'

/** Options of {@link evolve}. */
export interface EvolveOptions {
  runner: TaskRunner
  /** The model under test: it also mines and proposes. */
  client: ModelClient
  /** The harness to start from (a team's data when `surface` is given). */
  baseline: HarnessVersion<any>
  /**
   * A custom agent's editable surface and harness format (`agentSurface(definition)`); absent for the built-in
   * loop. Edits, ids and saved versions then follow the agent's schema and `editable` list.
   */
  surface?: DataSurface
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

/** What an evolve run did. */
export interface EvolveResult {
  model: string
  baseline: { harnessId: string; summary: SplitSummary }
  final: { harnessId: string; file: string | undefined; summary: SplitSummary }
  iterations: number
  stopReason: 'converged' | 'iteration-limit' | 'no-weaknesses'
  accepted: AcceptedStep[]
  proposalsTried: number
  /** Proposals the guards refused before validation (over the whole run, resumed parts included). */
  proposalsRefused: number
  /** Task trials actually run, baseline included. */
  trialsRun: number
  /** Task trials a naive loop would run: every proposal re-runs the full decision set for both sides. */
  naiveTrials: number
  modelCalls: number
  ledgerFile: string
}

const clipText = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text)
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
  const format = (options.surface?.format ?? builtinHarnessFormat) as HarnessFormat<unknown>
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
  let state: State = (await restore(ledger, { ...options, format })) ?? (await begin())
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
      state = { ...s, iteration }
      break
    }
    // Validation failures are classified by signature only; their traces never reach the proposer.
    const validationTargets = await classifyFailures(failedTrials(s, 'validation'), mined.bySignature)
    const trainTargets = await classifyFailures(trainFailures, mined.bySignature)

    const winners: Array<{ proposals: Proposal[]; candidate: HarnessVersion<unknown>; validation: Validation }> = []
    for (const weakness of fresh) {
      const targets = new Set([...weakness.exampleTasks, ...(trainTargets.get(weakness.id) ?? []), ...(validationTargets.get(weakness.id) ?? [])])
      const proposals = await proposeOrReuse(ledger, iteration, weakness, s, client, options.proposalsPerWeakness ?? 4, options.surface)
      for (const proposal of proposals) {
        proposalsTried++
        const candidate = candidateFrom(format, s.current, [proposal], `${options.baseline.name}-i${iteration}-${proposal.id}`)
        const validation = await validateOrReuse(ledger, iteration, [proposal.id], candidate, {
          candidate, current: s.results, decisionTasks, targets, runner: { run }, trials, label: `i${iteration}-${proposal.id}`, fragility,
        }, options.dir)
        naiveTrials += 2 * decisionTasks.length * trials
        for (const id of validation.regressions) fragility.set(id, (fragility.get(id) ?? 0) + 1)
        progress(`  ${validation.accepted ? 'accept' : 'reject'} ${proposal.kind} for "${clipText(weakness.pattern, 80)}" (${weakness.category}, ${weakness.id}): ${validation.reason} (${validation.trialsRun} trials run, ${validation.trialsReused} reused${validation.stoppedEarly ? ', stopped early' : ''})`)
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
      const merged = mergeWinners(format, s.current, winners, `${options.baseline.name}-i${iteration}-merged`)
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
    const version: HarnessVersion<unknown> = { ...chosen.candidate, name: `${options.baseline.name}-evolved-${iteration}` }
    version.spec = format.named(version.spec, version.name, s.current.id)
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
  // One count everywhere (progress lines, this result, the report): every iteration the ledger opened.
  const iterations = ledger.entries.reduce((n, e) => (e.kind === 'iteration' ? Math.max(n, e.iteration) : n), 0)
  return {
    model: client.model,
    baseline: { harnessId: start.harnessId, summary: baselineEntry.summary },
    final: { harnessId: final.current.id, file: final.currentFile, summary: finalSummary },
    iterations,
    stopReason,
    accepted: accepted.length ? accepted : acceptedFromLedger(ledger),
    proposalsTried,
    proposalsRefused: ledger.entries.filter((e) => e.kind === 'proposal' && e.refused && e.refused.reason !== 'no-proposals').length,
    trialsRun: endEntry.kind === 'end' ? endEntry.trialsRun : trialsRun,
    naiveTrials: endEntry.kind === 'end' ? endEntry.naiveTrials : naiveTrials + sharedTrials,
    modelCalls: client.calls + modelCallsFromRuns,
    ledgerFile: ledger.file,
  }
}

/**
 * Why an evolve run learned nothing, or undefined when it accepted an edit: no failing train task to learn from,
 * failures without a recurring weakness, or every proposal refused by the guards or by validation. Pure.
 */
export function nothingLearned(result: EvolveResult): string | undefined {
  if (result.accepted.length) return undefined
  const train = result.baseline.summary.train
  if (train.tasks === 0) return 'nothing to learn from: no task is in the train split (add tasks, or change the split).'
  if (train.passed === train.tasks) return `nothing to learn from: all ${train.tasks} train task(s) pass under the baseline harness already.`
  if (result.stopReason === 'no-weaknesses') {
    return `nothing learned: the ${train.tasks - train.passed} failing train task(s) show no weakness that recurs across tasks, so there was nothing to propose for.`
  }
  if (result.proposalsTried === 0) {
    return `nothing learned: ${result.proposalsRefused ? `all ${result.proposalsRefused} proposal(s) were refused by the guards` : 'the model proposed no usable edit'}, so no edit was validated.`
  }
  return `nothing learned: ${result.proposalsTried} proposal(s) validated and none accepted${result.proposalsRefused ? `, ${result.proposalsRefused} more refused by the guards` : ''}; the harness is unchanged.`
}

/** A harness version from the current one with proposals' patches applied. */
function candidateFrom(format: HarnessFormat<unknown>, current: HarnessVersion<unknown>, proposals: Proposal[], name: string): HarnessVersion<unknown> {
  let spec = current.spec
  for (const proposal of proposals) spec = format.apply(spec, proposal.patch)
  spec = format.named(spec, name, current.id)
  return { name, id: format.id(spec), spec }
}

/** Merges accepted edits of one iteration; edits that no longer apply on top of the others are left out. */
function mergeWinners(format: HarnessFormat<unknown>, current: HarnessVersion<unknown>, winners: Array<{ proposals: Proposal[] }>, name: string): { proposals: Proposal[]; candidate: HarnessVersion<unknown> } | undefined {
  const kept: Proposal[] = []
  // Two edits of the same field are alternatives, not parts of one change; appends to a list combine.
  const touched = (proposals: Proposal[]) => proposals.flatMap((p) => p.patch.map((op) => op.path)).filter((path) => !path.endsWith('/-'))
  for (const winner of winners) {
    const paths = touched(winner.proposals)
    if (paths.some((path) => touched(kept).includes(path))) continue
    try {
      candidateFrom(format, current, [...kept, ...winner.proposals], name)
      kept.push(...winner.proposals)
    } catch {
      // conflicts with an edit already merged
    }
  }
  if (kept.length < 2) return undefined
  return { proposals: kept, candidate: candidateFrom(format, current, kept, name) }
}

