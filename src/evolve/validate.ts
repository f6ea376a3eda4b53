import { compareRuns } from '../gate/compare.js'
import type { HarnessVersion } from '../harness/version.js'
import { buildRecord } from '../record/store.js'
import type { RunRecord, TaskRecord } from '../record/schema.js'
import { taskErrored, taskPasses, withAbsoluteTraces, type TaskRunner } from './port.js'

/** What the validator decided about one candidate harness, with its evidence. */
export interface Validation {
  accepted: boolean
  reason: string
  regressions: string[]
  fixes: string[]
  targetFixed: string[]
  /** Task trials run for this candidate. */
  trialsRun: number
  /** Task trials of the current harness reused instead of run again. */
  trialsReused: number
  /** Whether the run stopped before every decision task ran, because a regression was certain. */
  stoppedEarly: boolean
  /** The candidate's results on every decision task, when it ran them all. */
  results: Map<string, TaskRecord> | undefined
  /** Record files written for this candidate. */
  recordFiles: string[]
}

/** Inputs of {@link validateCandidate}. */
export interface ValidateInput {
  candidate: HarnessVersion<unknown>
  /** The current harness's results on the decision tasks (train and validation); reused, never run again. */
  current: ReadonlyMap<string, TaskRecord>
  /** Train and validation task ids. */
  decisionTasks: readonly string[]
  /** Tasks that show the target weakness; one of them must newly pass. */
  targets: ReadonlySet<string>
  runner: TaskRunner
  trials: number
  label: string
  /** How often each task regressed under earlier candidates: fragile tasks run first. */
  fragility: ReadonlyMap<string, number>
}

const trialCount = (record: RunRecord) => record.tasks.reduce((n, t) => n + t.trials.length, 0)

/**
 * Validates a candidate against the current harness, cheapest decisive evidence first: the failing tasks that show
 * the target weakness (none fixed: rejected), then the tasks that pass now, most fragile first, stopping at the
 * first certain regression, then the remaining failing tasks. Accepts only with no regression, a higher pass count
 * and a target task newly passing. Infrastructure errors are retried once, then block. The current harness's
 * results are reused, never run again.
 */
export async function validateCandidate(input: ValidateInput): Promise<Validation> {
  const { current, decisionTasks, runner, trials, candidate } = input
  const passing = decisionTasks.filter((id) => taskPasses(current.get(id)))
  const failing = decisionTasks.filter((id) => !taskPasses(current.get(id)))
  const risk = (id: string) => (input.fragility.get(id) ?? 0) * 1_000 + (current.get(id)?.trials[0]?.turns ?? 0)
  passing.sort((a, b) => risk(b) - risk(a))
  const trialsReused = decisionTasks.reduce((n, id) => n + (current.get(id)?.trials.length ?? 0), 0)
  const results = new Map<string, TaskRecord>()
  const recordFiles: string[] = []
  let trialsRun = 0

  const runPhase = async (ids: string[], phase: string, bail: boolean) => {
    if (!ids.length) return
    const { record, recordFile } = await runner.run({ harness: candidate, taskIds: ids, trials, label: `${input.label}-${phase}`, bail })
    recordFiles.push(recordFile)
    trialsRun += trialCount(record)
    for (const task of withAbsoluteTraces(record, recordFile)) results.set(task.id, task)
  }
  const retryErrors = async (ids: string[], phase: string) => {
    const errored = ids.filter((id) => taskErrored(results.get(id)))
    if (errored.length) await runPhase(errored, `${phase}-retry`, false)
    return ids.filter((id) => taskErrored(results.get(id)))
  }
  const finish = (fields: Partial<Validation> & { accepted: boolean; reason: string }): Validation => ({
    regressions: [],
    fixes: [],
    targetFixed: [],
    trialsRun,
    trialsReused,
    stoppedEarly: false,
    results: undefined,
    recordFiles,
    ...fields,
  })

  // Cheapest decisive check first: the failing tasks that show the target weakness. If none passes now, the
  // candidate cannot be accepted, whatever the rest would show.
  const targets = failing.filter((id) => input.targets.has(id))
  const others = failing.filter((id) => !input.targets.has(id))
  await runPhase(targets, 'target', false)
  const targetErrors = await retryErrors(targets, 'target')
  const targetFixed = targets.filter((id) => taskPasses(results.get(id)))
  if (!targetFixed.length) {
    const reason = targetErrors.length
      ? `infrastructure errors left after a retry on ${targetErrors.length} target task(s)`
      : `no task showing the target weakness passes now (${targets.length} tried)`
    return finish({ accepted: false, reason, stoppedEarly: true })
  }

  // Only tasks that pass now can regress: the most fragile run first, and with one trial the run stops at the
  // first failure, which is a certain regression.
  // A bail stopped by an error (not a regression) leaves tasks out: once a retry clears the error, what was left
  // runs, round after round, until every passing task has run, a regression shows, or an error stays.
  let regressions: string[] = []
  let errorsLeft: string[] = []
  for (let round = 0; ; round++) {
    const todo = passing.filter((id) => !results.has(id))
    if (!todo.length) break
    await runPhase(todo, round ? `regress-${round}` : 'regress', trials === 1)
    const ran = todo.filter((id) => results.has(id))
    errorsLeft = await retryErrors(ran, round ? `regress-${round}` : 'regress')
    regressions = findRegressions(passing.filter((id) => results.has(id)), current, results, candidate, trials)
    if (regressions.length || errorsLeft.length || !ran.length) break
  }
  const ranAll = passing.every((id) => results.has(id))
  if (regressions.length) {
    return finish({ accepted: false, reason: `${regressions.length} task(s) that passed now fail`, regressions, targetFixed, stoppedEarly: !ranAll || others.length > 0 })
  }
  if (errorsLeft.length) {
    return finish({ accepted: false, reason: `infrastructure errors left after a retry on ${errorsLeft.length} task(s): ${errorsLeft.slice(0, 3).join(', ')}`, targetFixed })
  }
  if (!ranAll) return finish({ accepted: false, reason: 'the run stopped before every passing task ran', targetFixed, stoppedEarly: true })

  // The other failing tasks can only be fixed: they complete the candidate's results for the next iteration.
  await runPhase(others, 'fix', false)
  const fixErrors = await retryErrors(others, 'fix')
  const fixes = failing.filter((id) => taskPasses(results.get(id)))
  const complete = new Map(results)
  const base = { regressions: [], fixes, targetFixed, results: complete }
  if (fixErrors.length) return finish({ ...base, accepted: false, reason: `infrastructure errors left after a retry on ${fixErrors.length} task(s)` })
  // Net gain over every decision task: drops too small to count as regressions still count against the gain.
  const passRate = (task: TaskRecord | undefined) => {
    const valid = task?.trials.filter((t) => t.outcome !== 'error') ?? []
    return valid.length ? valid.filter((t) => t.outcome === 'pass').length / valid.length : 0
  }
  const before = decisionTasks.reduce((n, id) => n + passRate(current.get(id)), 0)
  const after = decisionTasks.reduce((n, id) => n + passRate(complete.get(id)), 0)
  if (!(after > before)) return finish({ ...base, accepted: false, reason: `no net gain: summed pass rate ${before.toFixed(2)} -> ${after.toFixed(2)}` })
  return finish({ ...base, accepted: true, reason: `${fixes.length} task(s) fixed, ${targetFixed.length} of them showing the target weakness, no regression` })
}

/** Tasks that passed now and regress under the candidate: any drop with one trial; the gate's exact test with more. */
function findRegressions(
  ids: string[],
  current: ReadonlyMap<string, TaskRecord>,
  results: ReadonlyMap<string, TaskRecord>,
  candidate: HarnessVersion<unknown>,
  trials: number,
): string[] {
  if (trials === 1) return ids.filter((id) => !taskPasses(results.get(id)) && !taskErrored(results.get(id)))
  const pick = (source: ReadonlyMap<string, TaskRecord>) => ids.map((id) => source.get(id)!).filter(Boolean)
  const model = 'evolve'
  const before = buildRecord({ harness: { name: 'current', id: 'current' }, model, trials, tasks: pick(current), createdAt: '' })
  const after = buildRecord({ harness: { name: candidate.name, id: candidate.id }, model, trials, tasks: pick(results), createdAt: '' })
  if (before.taskSetHash !== after.taskSetHash) return []
  // Promotion: a net gain is required, but this step reads only the regressions; the gain is judged by the loop.
  return compareRuns(before, after, { mode: 'promote', maxErrorRate: 1 }).regressions
}
