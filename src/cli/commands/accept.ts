import pc from 'picocolors'
import { NotComparableError } from '../../errors.js'
import { ConfigurationError } from '../../errors.js'
import { readRecord, writeRecord } from '../../record/store.js'
import { stringFlag, type ParsedArgs } from '../args.js'

/** Default path of the committed baseline record. */
export const DEFAULT_BASELINE = 'self-harness.baseline.json'

/**
 * `self-harness accept <record> [--to=FILE]`: makes a run record the committed baseline, on purpose. Refuses a
 * record with infrastructure errors left, since its pass set is not known.
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
  const passed = record.tasks.filter((task) => task.trials.some((trial) => trial.outcome === 'pass')).length
  await writeRecord(to, record)
  if (passed === 0 && record.tasks.length > 0) {
    process.stderr.write(
      `${pc.yellow('self-harness accept: warning:')} no task of ${file} passed (${record.tasks.length} task(s), all failing): a gate against this baseline blocks nothing. ` +
        'Check that the model can do the tasks (a run without tool calls, or a simulator without solutions for them, fails everything) before committing it.\n',
    )
  }
  out(`Accepted ${file} (harness ${record.harness.name} ${record.harness.id}, ${record.tasks.length} tasks, ${passed} passing) as the baseline ${to}. Commit it.`)
  return 0
}
