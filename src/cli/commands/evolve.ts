import { resolve } from 'node:path'
import pc from 'picocolors'
import { createModelClient, resolveModelOptions } from '../../agent/model.js'
import { describePatch } from '../../harness/patch.js'
import { loadHarness } from '../../harness/version.js'
import { evolve, type EvolveResult } from '../../evolve/loop.js'
import { ConfigurationError } from '../../errors.js'
import { stringFlag, type ParsedArgs } from '../args.js'
import { createVitestTaskRunner } from '../vitest-task-runner.js'

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
  const model = resolveModelOptions({})
  const harnessDir = resolve(cwd, stringFlag(args, 'harness-dir') ?? 'harnesses')
  const baseline = await loadHarness(stringFlag(args, 'harness') ?? 'baseline', harnessDir)
  const dir = resolve(cwd, stringFlag(args, 'dir') ?? `.self-harness/evolve/${model.model.replace(/[^\w.-]/g, '_')}`)
  const runner = createVitestTaskRunner({ projectDir: cwd, workDir: resolve(dir, 'work'), env: { ...(process.env as Record<string, string>) } })
  const result = await evolve({
    runner,
    client: createModelClient(model),
    baseline,
    dir,
    trials: positiveInt(args, 'trials', 1),
    maxIterations: positiveInt(args, 'max-iterations', 5),
    weaknessesPerIteration: positiveInt(args, 'weaknesses', 2),
    proposalsPerWeakness: positiveInt(args, 'proposals', 4),
    onProgress: (line) => process.stderr.write(`${pc.dim('self-harness evolve')} ${line}\n`),
  })
  out(args.flags.json ? JSON.stringify(result) : renderEvolve(result))
  return 0
}

const rate = (s: { passed: number; tasks: number } | undefined) => (s && s.tasks ? `${((100 * s.passed) / s.tasks).toFixed(1)}%` : 'n/a')

/** A readable summary of an evolve run. */
export function renderEvolve(result: EvolveResult): string {
  const b = result.baseline.summary
  const f = result.final.summary
  const lines = [
    pc.bold(`evolve on ${result.model}: ${result.iterations} iteration(s), stopped: ${result.stopReason}`),
    `  validation ${rate(b.validation)} -> ${rate(f.validation)}   sealed ${rate(b.sealed)} -> ${rate(f.sealed)}   train ${rate(b.train)} -> ${rate(f.train)}`,
    `  ${result.proposalsTried} proposal(s) tried, ${result.accepted.length} version(s) accepted; final harness ${result.final.harnessId}${result.final.file ? ` (${result.final.file})` : ''}`,
    `  cost: ${result.trialsRun} task trials against ${result.naiveTrials} for a loop that re-runs everything; ${result.modelCalls} model calls`,
  ]
  for (const step of result.accepted) {
    lines.push(pc.bold(`  iteration ${step.iteration}: ${step.harnessId} (parent ${step.parent})`))
    for (const proposal of step.proposals) {
      lines.push(`    ${proposal.kind}: ${proposal.rationale}`)
      for (const op of describePatch(proposal.patch)) lines.push(pc.dim(`      ${op}`))
    }
  }
  lines.push(pc.dim(`  ledger: ${result.ledgerFile}`))
  return lines.join('\n')
}
