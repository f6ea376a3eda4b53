import { existsSync } from 'node:fs'
import pc from 'picocolors'
import { NotComparableError } from '../../errors.js'
import { ConfigurationError } from '../../errors.js'
import { compareRuns } from '../../gate/compare.js'
import { baselineHistoryPathFor, foldBaselineHistory, historyMatches, readBaselineHistory, writeBaselineHistory } from '../../record/baseline-history.js'
import { dirname, resolve } from 'node:path'
import { rebaseRecord } from '../../record/merge.js'
import { readRecord, writeRecord } from '../../record/store.js'
import { renderVerdict } from '../../report/terminal.js'
import { stringFlag, type ParsedArgs } from '../args.js'
import { resolveCommandPolicy } from './compare.js'

/** Default path of the committed baseline record. */
export const DEFAULT_BASELINE = 'self-harness.baseline.json'

/**
 * `self-harness accept <record> [--to=FILE] [--allow-errors] [--force] [--policy-file=FILE]`: makes a run record the
 * committed baseline, on purpose, and adds its trials to the baseline history beside it (`<to>.history.json`;
 * a record of another harness version or model starts the history afresh). Accepting a new harness version over
 * an existing baseline is a promotion: the gate runs in mode `promote` (no regression and a net gain, under the
 * policy the record's run recorded) and a verdict other than accepted refuses, unless `--force`. Refuses a record
 * with infrastructure errors left, since its pass set is not known.
 */
export async function acceptCommand(args: ParsedArgs, out: (text: string) => void): Promise<number> {
  const [file] = args.positional
  if (!file) throw new ConfigurationError('USAGE', 'Expected a record file: self-harness accept <record> [--to=FILE]', { field: 'record' })
  const to = stringFlag(args, 'to') ?? DEFAULT_BASELINE
  const record = await readRecord(file)
  const errored = record.tasks.filter((task) => task.trials.some((trial) => trial.outcome === 'error'))
  if (errored.length && !args.flags['allow-errors']) {
    throw new NotComparableError(
      `Refusing to accept ${file}: ${errored.length} task(s) have infrastructure errors (${errored.slice(0, 5).map((t) => t.id).join(', ')}${errored.length > 5 ? ', ...' : ''}). Re-run them first, or pass --allow-errors.`,
    )
  }
  const historyFile = baselineHistoryPathFor(to)
  const history = await readBaselineHistory(historyFile)
  if (existsSync(to)) {
    const current = await readRecord(to)
    if (current.harness.id !== record.harness.id && !args.flags.force) {
      const { policy } = await resolveCommandPolicy(args, file)
      const verdict = compareRuns(current, record, { ...policy, mode: 'promote', requireGain: true }, { history })
      if (verdict.status !== 'accepted') {
        out(renderVerdict(verdict, { color: pc.isColorSupported }))
        out(`Not accepted: promoting ${record.harness.name} over ${current.harness.name} needs no regression and a net gain (mode promote). Pass --force to accept anyway.`)
        return verdict.exitCode
      }
    }
  }
  // Trace paths are relative to a record's folder: the copy's point at the same traces from its own folder.
  await writeRecord(to, rebaseRecord(record, dirname(resolve(file)), dirname(resolve(to))))
  const next = foldBaselineHistory(history, record)
  await writeBaselineHistory(historyFile, next)
  const passed = record.tasks.filter((task) => task.trials.some((trial) => trial.outcome === 'pass')).length
  const kept = historyMatches(history, record) ? `added to the history (${next.runs} run(s))` : 'starting a new history'
  if (passed === 0 && record.tasks.length > 0) {
    process.stderr.write(
      `${pc.yellow('self-harness accept: warning:')} no task of ${file} passed (${record.tasks.length} task(s), all failing): a gate against this baseline blocks nothing. ` +
        'Check that the model can do the tasks (a run without tool calls, or a simulator without solutions for them, fails everything) before committing it.\n',
    )
  }
  out(`Accepted ${file} (harness ${record.harness.name} ${record.harness.id}, ${record.tasks.length} tasks, ${passed} passing) as the baseline ${to}, ${kept} in ${historyFile}. Commit both.`)
  return 0
}
