import { resolve } from 'node:path'
import pc from 'picocolors'
import { createModelClient } from '../../agent/model.js'
import { resolveCommandModelOptions } from '../../agent/settings.js'
import { runSettingsOf, settingsEnv } from '../run-flags.js'
import { applyPatch } from '../../harness/patch.js'
import type { HarnessSpec } from '../../harness/spec.js'
import { describeEdit } from '../../report/edit-diff.js'
import { loadHarness } from '../../harness/version.js'
import { evolve, nothingLearned, type EvolveResult } from '../../evolve/loop.js'
import { ConfigurationError } from '../../errors.js'
import { stringFlag, type ParsedArgs } from '../args.js'
import { createVitestTaskRunner } from '../vitest-task-runner.js'
import { loadProjectAgent } from '../agent.js'

const positiveInt = (args: ParsedArgs, name: string, fallback: number): number => {
  const raw = stringFlag(args, name)
  if (raw === undefined) return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < 1) throw new ConfigurationError('USAGE', `Expected \`--${name}\` to be a positive integer, got \`${raw}\`.`, { field: name })
  return value
}

/**
 * `self-harness evolve [--harness=baseline] [--harness-dir=harnesses] [--trials=1] [--max-iterations=5]
 * [--dir=.self-harness/evolve/<model>] [--json]`: improves a harness by itself on the project's tasks.
 */
export async function evolveCommand(args: ParsedArgs, cwd: string, out: (text: string) => void): Promise<number> {
  // The run settings given as flags hold for the task runs and for evolve's own model calls alike.
  const settings = runSettingsOf(args)
  const model = resolveCommandModelOptions({}, settingsEnv(settings))
  const harnessDir = resolve(cwd, stringFlag(args, 'harness-dir') ?? 'harnesses')
  const agent = await loadProjectAgent(args, cwd)
  const baseline = await loadHarness(stringFlag(args, 'harness') ?? 'baseline', harnessDir, agent.format.parse)
  const dir = resolve(cwd, stringFlag(args, 'dir') ?? `.self-harness/evolve/${model.model.replace(/[^\w.-]/g, '_')}`)
  const runner = createVitestTaskRunner({ projectDir: cwd, workDir: resolve(dir, 'work'), env: { ...(process.env as Record<string, string>) }, format: agent.format, settings, ...(agent.file ? { agent: agent.file } : {}) })
  const result = await evolve({
    runner,
    client: createModelClient(model),
    baseline,
    ...(agent.surface ? { surface: agent.surface } : {}),
    dir,
    trials: positiveInt(args, 'trials', 1),
    maxIterations: positiveInt(args, 'max-iterations', 5),
    weaknessesPerIteration: positiveInt(args, 'weaknesses', 2),
    proposalsPerWeakness: positiveInt(args, 'proposals', 4),
    onProgress: (line) => process.stderr.write(`${pc.dim('self-harness evolve')} ${line}\n`),
  })
  out(args.flags.json ? JSON.stringify(result) : renderEvolve(result, agent.surface ? undefined : (baseline.spec as HarnessSpec)))
  // Promotion needs a net gain: a loop that accepted no edit did not deliver one (exit 1, as the gate's promote mode).
  const why = nothingLearned(result)
  if (why) process.stderr.write(`${pc.red('self-harness evolve:')} ${why}\n`)
  return why ? 1 : 0
}

const rate = (s: { passed: number; tasks: number } | undefined) => (s && s.tasks ? `${((100 * s.passed) / s.tasks).toFixed(1)}%` : 'n/a')

/** A readable summary of an evolve run; accepted edits read as a diff of the harness they changed (from `start`). */
export function renderEvolve(result: EvolveResult, start?: HarnessSpec): string {
  const b = result.baseline.summary
  const f = result.final.summary
  const lines = [
    pc.bold(`evolve on ${result.model}: ${result.iterations} iteration(s), stopped: ${nothingLearned(result) ? 'nothing learned' : result.stopReason}`),
    `  validation ${rate(b.validation)} -> ${rate(f.validation)}   sealed ${rate(b.sealed)} -> ${rate(f.sealed)}   train ${rate(b.train)} -> ${rate(f.train)}`,
    `  ${result.proposalsTried} proposal(s) tried, ${result.accepted.length} version(s) accepted; final harness ${result.final.harnessId}${result.final.file ? ` (${result.final.file})` : ''}`,
    `  cost: ${result.trialsRun} task trials against ${result.naiveTrials} for a loop that re-runs everything; ${result.modelCalls} model calls`,
  ]
  let before: HarnessSpec | undefined = start
  for (const step of result.accepted) {
    lines.push(pc.bold(`  iteration ${step.iteration}: ${step.harnessId} (parent ${step.parent})`))
    for (const proposal of step.proposals) {
      lines.push(`    ${proposal.kind}: ${proposal.rationale}`)
      const edited = before
      for (const line of describeEdit(proposal.patch, edited)) lines.push(`      ${line.includes(': + ') ? pc.green(line) : line.includes(': - ') ? pc.red(line) : line}`)
      try {
        before = before && applyPatch(before, proposal.patch)
      } catch {
        before = undefined // the run's own history no longer applies: show new values only
      }
    }
  }
  lines.push(pc.dim(`  ledger: ${result.ledgerFile}`))
  return lines.join('\n')
}
