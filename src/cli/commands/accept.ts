import { NotComparableError } from '../../errors.js'
import { ConfigurationError } from '../../errors.js'
import { dirname, resolve } from 'node:path'
import { rebaseRecord } from '../../record/merge.js'
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
  // Trace paths are relative to a record's folder: the copy's point at the same traces from its own folder.
  await writeRecord(to, rebaseRecord(record, dirname(resolve(file)), dirname(resolve(to))))
  const passed = record.tasks.filter((task) => task.trials.some((trial) => trial.outcome === 'pass')).length
  out(`Accepted ${file} (harness ${record.harness.name} ${record.harness.id}, ${record.tasks.length} tasks, ${passed} passing) as the baseline ${to}. Commit it.`)
  return 0
}
