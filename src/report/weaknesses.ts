import pc from 'picocolors'
import type { MiningReport } from '../miner/index.js'

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
