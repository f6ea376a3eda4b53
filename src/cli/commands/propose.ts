import { resolve } from 'node:path'
import pc from 'picocolors'
import { createModelClient } from '../../agent/model.js'
import { resolveCommandModelOptions } from '../../agent/settings.js'
import { MODEL_SETTING_FLAGS, runSettingsOf, settingsEnv } from '../run-flags.js'
import { describeEdit } from '../../report/edit-diff.js'
import { loadHarness } from '../../harness/version.js'
import { proposeEdits } from '../../proposer/index.js'
import { readRecord } from '../../record/store.js'
import { readTrace } from '../../trace/reader.js'
import { ConfigurationError } from '../../errors.js'
import { stringFlag, type ParsedArgs } from '../args.js'
import { mineRecord } from './mine.js'
import { loadProjectAgent } from '../agent.js'
import { dirname } from 'node:path'

/**
 * `self-harness propose <record> [--harness=NAME] [--harness-dir=harnesses] [--weakness=ID] [--json]`: mines the
 * record and asks the model for 3-5 guarded edits for the top weakness (or the one named).
 */
export async function proposeCommand(args: ParsedArgs, cwd: string, out: (text: string) => void): Promise<number> {
  const [file] = args.positional
  if (!file) throw new ConfigurationError('USAGE', 'Expected a record file: self-harness propose <record> [--harness=NAME] [--weakness=ID]', { field: 'record' })
  const record = await readRecord(file)
  const agent = await loadProjectAgent(args, cwd)
  const harness = await loadHarness(stringFlag(args, 'harness') ?? record.harness.name, resolve(cwd, stringFlag(args, 'harness-dir') ?? 'harnesses'), agent.format.parse)
  const report = await mineRecord(file, args)
  const wanted = stringFlag(args, 'weakness')
  const weakness = wanted ? report.weaknesses.find((w) => w.id === wanted) : report.weaknesses[0]
  if (!weakness) {
    throw new ConfigurationError('USAGE', wanted ? `No weakness \`${wanted}\` in ${file}; run \`self-harness mine ${file}\` for the list.` : `No recurring weakness in ${file}: nothing to propose.`, { field: 'weakness' })
  }
  const instructions = new Set<string>()
  for (const task of record.tasks) {
    const path = task.trials[0]?.tracePath
    const first = path ? (await readTrace(resolve(dirname(resolve(file)), path)).catch(() => []))[0] : undefined
    if (first?.kind === 'trial-start') instructions.add(first.instruction)
  }
  const client = createModelClient(resolveCommandModelOptions({ model: record.model }, settingsEnv(runSettingsOf(args, MODEL_SETTING_FLAGS))))
  const result = await proposeEdits({ weakness, harness: harness.spec, ...(agent.surface ? { surface: agent.surface } : {}), client, guardContext: { taskIds: record.tasks.map((t) => t.id), instructions: [...instructions] } })
  if (args.flags.json) {
    out(JSON.stringify({ weakness, ...result }))
    return 0
  }
  const lines = [pc.bold(`${result.proposals.length} proposal(s) for "${weakness.pattern}"`) + pc.dim(` (${weakness.category}, ${weakness.id})`)]
  for (const p of result.proposals) {
    lines.push(`${pc.green('kept')} ${p.id} ${p.kind}: ${p.rationale}`)
    for (const line of describeEdit(p.patch, harness.spec)) lines.push(`    ${line}`)
  }
  for (const r of result.refused) lines.push(`${pc.red('refused')} ${r.reason}: ${r.detail}`)
  out(lines.join('\n'))
  return 0
}
