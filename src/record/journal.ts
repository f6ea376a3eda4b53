import { appendFileSync } from 'node:fs'
import { appendFile, readFile, rm, truncate } from 'node:fs/promises'
import { z } from 'zod'
import { ConfigurationError } from '../errors.js'
import { recordableTrial } from './sanitize.js'
import { TrialSchema, type Trial } from './schema.js'
import { writeFileAtomic } from './store.js'

/** One finished trial, appended to the journal before anything else happens. */
export const JournalEntrySchema = z.strictObject({
  schemaVersion: z.literal(1),
  harnessId: z.string(),
  model: z.string(),
  taskId: z.string(),
  trial: TrialSchema,
})
export type JournalEntry = z.infer<typeof JournalEntrySchema>

/**
 * Appends one entry as one line. A single `write` with O_APPEND keeps lines from parallel workers whole. The entry
 * is validated first: a trial the schema refuses is journaled as an `error` naming the field, never as a line that
 * would make the whole journal unreadable.
 */
export function appendJournal(file: string, entry: JournalEntry): void {
  const valid = JournalEntrySchema.parse({ ...entry, trial: recordableTrial(entry.trial, entry.trial?.index ?? 0) })
  appendFileSync(file, `${JSON.stringify(valid)}\n`)
}

/** What a journal holds for one harness and model. */
export interface JournalContents {
  /** Finished trials by task id, in trial order. */
  trials: Map<string, Trial[]>
  /** A last line cut short by a kill; its trial runs again. */
  truncatedTail: boolean
  /** Entries of another harness version or model, ignored. */
  foreign: number
  /** The entries of this harness and model, in file order. */
  entries: JournalEntry[]
}

/**
 * Reads a journal. A last line cut short (the run was killed while writing it) is dropped and reported; a complete
 * last line without its newline (an editor removed it) and blank lines are fine; a damaged line anywhere else is
 * refused, never half-read.
 */
export async function readJournal(file: string, match: { harnessId: string; model: string }): Promise<JournalContents> {
  const trials = new Map<string, Trial[]>()
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return { trials, truncatedTail: false, foreign: 0, entries: [] }
    throw new ConfigurationError('RECORD_INVALID', `Cannot read the journal ${file}: ${(cause as Error).message}`, { cause, file })
  }
  const lines = text.split('\n')
  const endsClean = text.endsWith('\n') || text === ''
  let truncatedTail = false
  let foreign = 0
  const entries: JournalEntry[] = []
  const count = endsClean ? lines.length - 1 : lines.length
  for (let i = 0; i < count; i++) {
    const line = lines[i]!
    const last = i === count - 1
    if (!line.trim()) continue
    let entry: JournalEntry
    try {
      entry = JournalEntrySchema.parse(JSON.parse(line))
    } catch (cause) {
      if (last && !endsClean) {
        truncatedTail = true
        break
      }
      throw new ConfigurationError(
        'RECORD_INVALID',
        `Corrupt journal ${file}: line ${i + 1} is damaged. Delete the file (its finished trials will run again) or run with --fresh.`,
        { cause, file, field: `line ${i + 1}` },
      )
    }
    if (entry.harnessId !== match.harnessId || entry.model !== match.model) {
      foreign++
      continue
    }
    entries.push(entry)
    const list = trials.get(entry.taskId) ?? []
    if (!list.some((t) => t.index === entry.trial.index)) list.push(entry.trial)
    trials.set(entry.taskId, list)
  }
  for (const list of trials.values()) list.sort((a, b) => a.index - b.index)
  return { trials, truncatedTail, foreign, entries }
}

/** Cuts a line left unfinished by a kill off the end of a journal, so the next entry starts on a line of its own. */
export async function dropTruncatedTail(file: string): Promise<void> {
  const text = await readFile(file, 'utf8')
  if (!text.endsWith('\n')) await truncate(file, Buffer.byteLength(text.slice(0, text.lastIndexOf('\n') + 1)))
}

/** Ends a journal whose last line is complete but lacks its newline, so the next entry starts on a line of its own. */
export async function endLastLine(file: string): Promise<void> {
  const text = await readFile(file, 'utf8').catch(() => '')
  if (text && !text.endsWith('\n')) await appendFile(file, '\n')
}

/** Replaces a journal's content by these entries (the ones a record does not hold yet), atomically. */
export async function rewriteJournal(file: string, entries: readonly JournalEntry[]): Promise<void> {
  await writeFileAtomic(file, entries.map((entry) => `${JSON.stringify(entry)}\n`).join(''))
}

/** Removes a journal once its trials are safe in a record. */
export async function removeJournal(file: string): Promise<void> {
  await rm(file, { force: true })
}

export type { Trial }
