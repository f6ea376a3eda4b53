import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import pc from 'picocolors'
import { compareRuns, planExtraTrials, resolveGatePolicy, VerdictSchema, type GatePolicy, type Verdict } from '../../gate/index.js'
import { baselineHistoryPathFor, foldBaselineHistory, historyHolds, historyMatches, readBaselineHistory, type BaselineHistory } from '../../record/baseline-history.js'
import type { RunRecord } from '../../record/schema.js'
import { outputDirOf, recordPathFor } from '../../record/paths.js'
import { readRecord, writeFileAtomic } from '../../record/store.js'
import { reportToGitHub, shownPath } from '../../pipeline/finish-run.js'
import { renderVerdict } from '../../report/terminal.js'
import type { RunRequest } from '../../run/request.js'
import { runSuite } from '../run-suite.js'
import { policyPathFor } from './compare.js'

/** Inputs of {@link adaptiveRounds}. */
export interface AdaptiveInput {
  cwd: string
  /** The gated run's request: its run settings hold for the follow-up runs too. */
  request: Pick<RunRequest, 'settings'>
  vitestArgs: string[]
  status: { recordFile: string; verdictFile: string; baselineFile: string }
  /** Extra task trials allowed over all rounds and both sides. */
  budget: number
}

/** vitest flags of the gated run that a follow-up run must not repeat: it runs tasks, it does not merge or shard. */
const NOT_REPEATED = /^--(merge-reports|shard|reporter|outputFile)(=|$)/
const followUpArgs = (args: string[]) => args.filter((a) => a !== 'run' && !NOT_REPEATED.test(a))

const trialCounts = (record: RunRecord) => Object.fromEntries(record.tasks.map((t) => [t.id, t.trials.length]))
const totalTrials = (record: RunRecord) => record.tasks.reduce((n, t) => n + t.trials.length, 0)

/** The trials of `after` that `before` does not hold, as a record of their own (for the history). */
function newTrials(before: RunRecord, after: RunRecord): RunRecord {
  const had = new Map(before.tasks.map((t) => [t.id, t.trials.length]))
  return { ...after, tasks: after.tasks.map((t) => ({ ...t, trials: t.trials.slice(had.get(t.id) ?? 0) })) }
}

/**
 * Adaptive follow-up looks after a gated run: while regressions are suspected and budget is left, run more trials
 * of those tasks only (the candidate side first, the baseline side when its trials are too few for the next look),
 * then decide again at the next look, which tests at its own share of alpha, under the policy the run recorded.
 * Records keep the trial count they asked for: extra trials of some tasks never make others' missing trials
 * count as errors. The committed baseline and its history are never changed: a baseline extension is written
 * beside the candidate's record. In GitHub Actions, a verdict reached by follow-up looks is appended to the step
 * summary as the final one, superseding the gated run's, with its own annotations.
 */
export async function adaptiveRounds(input: AdaptiveInput): Promise<number> {
  const { cwd, status } = input
  let verdict: Verdict = VerdictSchema.parse(JSON.parse(await readFile(status.verdictFile, 'utf8')))
  const policyFile = policyPathFor(status.recordFile)
  const policy: GatePolicy = existsSync(policyFile) ? resolveGatePolicy(JSON.parse(await readFile(policyFile, 'utf8'))) : resolveGatePolicy(verdict.policy)
  let candidate = await readRecord(status.recordFile)
  const committed = await readRecord(status.baselineFile)
  let baseline = committed
  let history: BaselineHistory | undefined = await readBaselineHistory(baselineHistoryPathFor(status.baselineFile))
  if (!historyMatches(history, committed)) history = undefined
  let baselineFile = status.baselineFile
  const extendedBaselineDir = join(outputDirOf(status.recordFile), 'adaptive-baseline')
  let spent = 0
  const spentBy = { candidate: 0, baseline: 0 }
  const firstLook = verdict.look ?? 1
  let look = firstLook
  for (let round = 1; ; round++) {
    const plan = planExtraTrials(verdict, { candidateTrials: trialCounts(candidate), baselineTrials: trialCounts(baseline), spent }, { budget: input.budget })
    if (plan.stop) {
      process.stdout.write(`${pc.bold('self-harness adaptive')}: ${plan.reason} Spent ${spent} extra task trial(s) of ${input.budget} (candidate ${spentBy.candidate}, baseline ${spentBy.baseline}).\n`)
      break
    }
    process.stdout.write(`${pc.bold('self-harness adaptive')} round ${round}: ${plan.reason}\n`)
    const extend = async (planned: Array<{ id: string; trials: number }>, record: RunRecord, recordFile: string, outputDir: string) => {
      // One run per target count: each task runs up to its own planned total, no further.
      const byTarget = new Map<number, string[]>()
      for (const p of planned) byTarget.set(p.trials, [...(byTarget.get(p.trials) ?? []), p.id])
      let from = recordFile
      for (const [trials, ids] of byTarget) {
        await runSuite(
          { harness: record.harness.name, outputDir, taskIds: ids, trials, extend: from, gate: false, settings: input.request.settings },
          { cwd, vitestArgs: ['run', '--reporter=json', `--outputFile=${join(outputDir, 'vitest.json')}`, ...followUpArgs(input.vitestArgs)] },
        )
        from = recordPathFor(outputDir, record.harness.name, record.model)
      }
      return readRecord(recordPathFor(outputDir, record.harness.name, record.model))
    }
    if (plan.candidate.length) {
      const before = totalTrials(candidate)
      candidate = await extend(plan.candidate, candidate, status.recordFile, outputDirOf(status.recordFile))
      spentBy.candidate += totalTrials(candidate) - before
    }
    if (plan.baseline.length) {
      const before = baseline
      baseline = await extend(plan.baseline, baseline, baselineFile, extendedBaselineDir)
      baselineFile = recordPathFor(extendedBaselineDir, baseline.harness.name, baseline.model)
      spentBy.baseline += totalTrials(baseline) - totalTrials(before)
      // With a history, the new baseline trials join a working copy of it; the committed record stays the baseline.
      if (history) history = foldBaselineHistory(historyHolds(history, committed) ? history : foldBaselineHistory(history, committed), newTrials(before, baseline))
    }
    spent = spentBy.candidate + spentBy.baseline
    look++
    verdict = compareRuns(history ? committed : baseline, candidate, policy, { history, look, baselineFile: shownPath(status.baselineFile) })
    await writeFileAtomic(status.verdictFile, `${JSON.stringify(verdict, null, 2)}\n`)
  }
  process.stdout.write(`${renderVerdict(verdict, { color: pc.isColorSupported })}\n`)
  // The gated run wrote the step summary and annotations for its own look; the final verdict supersedes them.
  if (look > firstLook && process.env.GITHUB_ACTIONS === 'true') {
    const github = { root: cwd, workspace: process.env.GITHUB_WORKSPACE ?? cwd, summaryFile: process.env.GITHUB_STEP_SUMMARY, write: (line: string) => void process.stdout.write(`${line}\n`) }
    await reportToGitHub(github, verdict, baseline, candidate, firstLook)
  }
  return verdict.exitCode
}
