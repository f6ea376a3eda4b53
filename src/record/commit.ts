import { ConfigurationError } from '../errors.js'
import { readJournal, removeJournal, rewriteJournal, type JournalEntry } from './journal.js'
import type { RunRecord } from './schema.js'
import { readRecord, writeRecord } from './store.js'

/** What {@link commitRecord} did. */
export interface CommitResult {
  /** The record as it reads back from disk. */
  record: RunRecord
  /** Journal entries the record does not hold, kept in the journal for the next run. */
  keptInJournal: number
}

/**
 * Saves a run's record so that no finished trial can be lost: the record is validated and written atomically, read
 * back, and only then does the journal let go of the trials the record holds (the journal is removed when it holds
 * nothing else). A record that does not read back leaves the journal as it was. `copies` get the same record (the
 * harness's latest record beside it).
 */
export async function commitRecord(input: {
  record: RunRecord
  recordFile: string
  journalFile: string
  copies?: string[]
}): Promise<CommitResult> {
  await writeRecord(input.recordFile, input.record)
  const record = await readRecord(input.recordFile).catch((cause: unknown) => {
    throw new ConfigurationError('RECORD_INVALID', `The record ${input.recordFile} did not read back after it was written (${(cause as Error).message}); the journal ${input.journalFile} keeps every finished trial.`, { cause, file: input.recordFile })
  })
  const held = new Map(record.tasks.map((task) => [task.id, new Map(task.trials.map((t) => [t.index, t.outcome]))]))
  const journal = await readJournal(input.journalFile, { harnessId: record.harness.id, model: record.model })
  const missing: JournalEntry[] = journal.entries.filter((entry) => held.get(entry.taskId)?.get(entry.trial.index) !== entry.trial.outcome)
  for (const copy of input.copies ?? []) if (copy !== input.recordFile) await writeRecord(copy, record)
  if (missing.length) await rewriteJournal(input.journalFile, missing)
  else await removeJournal(input.journalFile)
  return { record, keptInJournal: missing.length }
}
