import { compareRuns } from '../gate/compare.js'
import type { HarnessVersion } from '../harness/version.js'
import { buildRecord } from '../record/store.js'
import type { RunRecord, TaskRecord } from '../record/schema.js'
import { taskErrored, taskPasses, type TaskRunner } from './port.js'

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
  candidate: HarnessVersion
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
 * Validates a candidate against the current harness: tasks that pass now run first, most fragile first, and the
 * run stops at the first certain regression; only then do the failing tasks run. Accepts only with no regression,
 * a higher pass count, and a target task newly passing. Infrastructure errors are retried once, then block.
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
    for (const task of record.tasks) results.set(task.id, task)
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

  // Phase 1: only tasks that pass now can regress. With one trial a single failure is a certain regression.
  await runPhase(passing, 'regress', trials === 1)
  const errorsLeft = await retryErrors(passing.filter((id) => results.has(id)), 'regress')
  const regressions = findRegressions(passing.filter((id) => results.has(id)), current, results, candidate, trials)
  const ranAll = passing.every((id) => results.has(id))
  if (regressions.length) {
    return finish({ accepted: false, reason: `${regressions.length} task(s) that passed now fail`, regressions, stoppedEarly: !ranAll })
  }
  if (errorsLeft.length) {
    return finish({ accepted: false, reason: `infrastructure errors left after a retry on ${errorsLeft.length} task(s): ${errorsLeft.slice(0, 3).join(', ')}` })
  }
  if (!ranAll) return finish({ accepted: false, reason: 'the run stopped before every passing task ran', stoppedEarly: true })

  // Phase 2: tasks that fail now can only be fixed.
  await runPhase(failing, 'fix', false)
  const fixErrors = await retryErrors(failing, 'fix')
  const fixes = failing.filter((id) => taskPasses(results.get(id)))
  const targetFixed = fixes.filter((id) => input.targets.has(id))
  const complete = new Map(results)
  const base = { regressions: [], fixes, targetFixed, results: complete }
  if (fixErrors.length) return finish({ ...base, accepted: false, reason: `infrastructure errors left after a retry on ${fixErrors.length} task(s)` })
  if (!fixes.length) return finish({ ...base, accepted: false, reason: 'no net gain: no failing task passes now' })
  if (!targetFixed.length) return finish({ ...base, accepted: false, reason: 'no task showing the target weakness passes now' })
  return finish({ ...base, accepted: true, reason: `${fixes.length} task(s) fixed, ${targetFixed.length} of them showing the target weakness, no regression` })
}

/** Tasks that passed now and regress under the candidate: any drop with one trial; the gate's exact test with more. */
function findRegressions(
  ids: string[],
  current: ReadonlyMap<string, TaskRecord>,
  results: ReadonlyMap<string, TaskRecord>,
  candidate: HarnessVersion,
  trials: number,
): string[] {
  if (trials === 1) return ids.filter((id) => !taskPasses(results.get(id)) && !taskErrored(results.get(id)))
  const pick = (source: ReadonlyMap<string, TaskRecord>) => ids.map((id) => source.get(id)!).filter(Boolean)
  const model = 'evolve'
  const before = buildRecord({ harness: { name: 'current', id: 'current' }, model, trials, tasks: pick(current), createdAt: '' })
  const after = buildRecord({ harness: { name: candidate.name, id: candidate.id }, model, trials, tasks: pick(results), createdAt: '' })
  if (before.taskSetHash !== after.taskSetHash) return []
  return compareRuns(before, after, { requireGain: false, maxErrorRate: 1 }).regressions
}
