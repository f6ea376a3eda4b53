import { join } from 'node:path'
import pc from 'picocolors'
import { compareRuns, planExtraTrials, VerdictSchema, type Verdict } from '../../gate/index.js'
import type { RunRecord } from '../../record/schema.js'
import { outputDirOf, recordPathFor } from '../../record/paths.js'
import { readRecord, writeFileAtomic } from '../../record/store.js'
import { renderVerdict } from '../../report/terminal.js'
import { launchVitest } from '../launch-vitest.js'
import { readFile } from 'node:fs/promises'

/** Inputs of {@link adaptiveRounds}. */
export interface AdaptiveInput {
  cwd: string
  env: Record<string, string>
  vitestArgs: string[]
  status: { recordFile: string; verdictFile: string; baselineFile: string }
  /** Extra task trials allowed over all rounds and both sides. */
  budget: number
}

const trialCounts = (record: RunRecord) => Object.fromEntries(record.tasks.map((t) => [t.id, t.trials.filter((x) => x.outcome !== 'error').length]))

/**
 * Adaptive trials after a gated run: while tasks are disputed and budget is left, run more trials of those tasks
 * only (the candidate side first, the baseline side when its trials are too few for the test), then decide again.
 * The committed baseline is never changed: its extension is written beside the candidate's record.
 */
export async function adaptiveRounds(input: AdaptiveInput): Promise<number> {
  const { cwd, env, status } = input
  let verdict: Verdict = VerdictSchema.parse(JSON.parse(await readFile(status.verdictFile, 'utf8')))
  let candidate = await readRecord(status.recordFile)
  let baseline = await readRecord(status.baselineFile)
  let baselineFile = status.baselineFile
  const extendedBaselineDir = join(outputDirOf(status.recordFile), 'adaptive-baseline')
  let spent = 0
  const spentBy = { candidate: 0, baseline: 0 }
  for (let round = 1; ; round++) {
    const plan = planExtraTrials(verdict, { candidateTrials: trialCounts(candidate), baselineTrials: trialCounts(baseline), spent }, { budget: input.budget })
    if (plan.stop) {
      process.stdout.write(`${pc.bold('self-harness adaptive')}: ${plan.reason} Spent ${spent} extra task trial(s) of ${input.budget} (candidate ${spentBy.candidate}, baseline ${spentBy.baseline}).\n`)
      break
    }
    process.stdout.write(`${pc.bold('self-harness adaptive')} round ${round}: ${plan.reason}\n`)
    const extend = async (side: 'candidate' | 'baseline', planned: Array<{ id: string; trials: number }>, record: RunRecord, recordFile: string, outputDir: string) => {
      const only = join(outputDir, `adaptive-${side}-${round}.json`)
      await writeFileAtomic(only, JSON.stringify(planned.map((p) => p.id)))
      const trials = Math.max(...planned.map((p) => p.trials))
      await launchVitest({
        cwd,
        args: ['run', '--reporter=json', `--outputFile=${join(outputDir, 'vitest.json')}`, ...input.vitestArgs.filter((a) => a !== 'run')],
        env: { ...env, SELF_HARNESS: record.harness.name, SELF_HARNESS_OUTPUT_DIR: outputDir, SELF_HARNESS_ONLY: only, SELF_HARNESS_TRIALS: String(trials), SELF_HARNESS_EXTEND: recordFile, SELF_HARNESS_GATE: '0' },
        stdio: 'pipe',
      })
      return readRecord(recordPathFor(outputDir, record.harness.name, record.model))
    }
    if (plan.candidate.length) {
      const before = candidate.tasks.reduce((n, t) => n + t.trials.length, 0)
      candidate = await extend('candidate', plan.candidate, candidate, status.recordFile, outputDirOf(status.recordFile))
      spentBy.candidate += candidate.tasks.reduce((n, t) => n + t.trials.length, 0) - before
    }
    if (plan.baseline.length) {
      const before = baseline.tasks.reduce((n, t) => n + t.trials.length, 0)
      baseline = await extend('baseline', plan.baseline, baseline, baselineFile, extendedBaselineDir)
      baselineFile = recordPathFor(extendedBaselineDir, baseline.harness.name, baseline.model)
      spentBy.baseline += baseline.tasks.reduce((n, t) => n + t.trials.length, 0) - before
    }
    spent = spentBy.candidate + spentBy.baseline
    verdict = compareRuns(baseline, candidate, verdict.policy)
    await writeFileAtomic(status.verdictFile, `${JSON.stringify(verdict, null, 2)}\n`)
  }
  process.stdout.write(`${renderVerdict(verdict, { color: pc.isColorSupported })}\n`)
  return verdict.exitCode
}
