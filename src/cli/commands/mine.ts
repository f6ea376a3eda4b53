import { dirname, resolve } from 'node:path'
import pc from 'picocolors'
import { createModelClient, resolveModelOptions } from '../../agent/model.js'
import { mineFailures, miningReport, type MiningReport } from '../../miner/index.js'
import { readRecord } from '../../record/store.js'
import { ConfigurationError } from '../../errors.js'
import type { ParsedArgs } from '../args.js'

/** Mines a record's failed trials; the model names the clusters unless `--no-model`. */
export async function mineRecord(file: string, args: ParsedArgs): Promise<MiningReport> {
  const record = await readRecord(file)
  const base = dirname(resolve(file))
  const failures = record.tasks.flatMap((task) =>
    task.trials.flatMap((trial) => (trial.outcome === 'fail' && trial.tracePath ? [{ taskId: task.id, trial: trial.index, tracePath: resolve(base, trial.tracePath) }] : [])),
  )
  const client = args.flags['no-model'] ? undefined : createModelClient(resolveModelOptions({ model: record.model }))
  return miningReport(await mineFailures({ failures, totalTasks: record.tasks.length, client, trialsPerTask: record.trials }))
}

/** `self-harness mine <record> [--json] [--no-model]`: the record's failures as ranked weaknesses. */
export async function mineCommand(args: ParsedArgs, out: (text: string) => void): Promise<number> {
  const [file] = args.positional
  if (!file) throw new ConfigurationError('USAGE', 'Expected a record file: self-harness mine <record> [--json] [--no-model]', { field: 'record' })
  const report = await mineRecord(file, args)
  out(args.flags.json ? JSON.stringify(report) : renderWeaknesses(report))
  return 0
}

/** A readable list of weaknesses. */
export function renderWeaknesses(report: MiningReport): string {
  const lines = [pc.bold(`${report.weaknesses.length} recurring weakness(es) in ${report.traces.failures} failed trial(s) over ${report.totalTasks} task(s)`)]
  for (const w of report.weaknesses) {
    lines.push(`${pc.bold(w.id)} ${w.pattern} ${pc.dim(`[${w.category}]`)}`)
    lines.push(`  ${w.frequency.failures} failure(s) across ${w.frequency.tasks} of ${w.frequency.ofTasks} task(s), impact ${w.impact.toFixed(3)}`)
    lines.push(pc.dim(`  e.g. ${w.exampleTasks.slice(0, 3).join(', ')}`))
    for (const e of w.evidence.slice(0, 2)) lines.push(pc.dim(`  > ${e}`))
  }
  for (const warning of report.warnings.slice(0, 5)) lines.push(pc.yellow(`warning: ${warning}`))
  return lines.join('\n')
}
