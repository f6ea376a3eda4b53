import pc from 'picocolors'
import { CATEGORY_LABELS } from '../miner/categories.js'
import type { MiningReport } from '../miner/index.js'

/** A readable list of weaknesses: each by its pattern and category, with its id (for `--weakness=`) as a detail. */
export function renderWeaknesses(report: MiningReport): string {
  const lines = [pc.bold(`${report.weaknesses.length} recurring weakness(es) in ${report.traces.failures} failed trial(s) over ${report.totalTasks} task(s)`)]
  for (const [i, w] of report.weaknesses.entries()) {
    lines.push(`${pc.bold(`${i + 1}. ${w.pattern}`)} ${pc.dim(`[${CATEGORY_LABELS[w.category]}]`)}`)
    lines.push(`  ${w.frequency.failures} failure(s) across ${w.frequency.tasks} of ${w.frequency.ofTasks} task(s), impact ${w.impact.toFixed(3)}; id ${w.id}`)
    lines.push(pc.dim(`  e.g. ${w.exampleTasks.slice(0, 3).join(', ')}`))
    for (const e of w.evidence.slice(0, 2)) lines.push(pc.dim(`  > ${e}`))
  }
  for (const warning of report.warnings.slice(0, 5)) lines.push(pc.yellow(`warning: ${warning}`))
  return lines.join('\n')
}
