import { readFile } from 'node:fs/promises'
import type { z } from 'zod'
import { ConfigurationError } from '../errors.js'
import { fieldName } from '../json.js'
import { writeFileAtomic } from './store.js'

/** How a kind of saved JSON file is named in messages and what to tell the user about a damaged one. */
export interface JsonFileKind<T> {
  schema: z.ZodType<T>
  /** Words for the file in messages, e.g. `flake history`. */
  label: string
  /** The file's `kind` and `schemaVersion`, named when a file does not validate. */
  kind: string
  schemaVersion: number
  /** What to do about a file that is not valid JSON, e.g. `Delete it to start a new history.` */
  corruptAdvice: string
}

/**
 * Reads and validates a saved JSON file; a missing file is `undefined`. An unreadable, corrupt or foreign file is
 * refused with a `ConfigurationError` (`RECORD_INVALID`) naming the file and the field.
 */
export async function readJsonFile<T>(file: string, kind: JsonFileKind<T>): Promise<T | undefined> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new ConfigurationError('RECORD_INVALID', `Cannot read the ${kind.label} ${file}: ${String(cause)}.`, { cause, file })
  }
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (cause) {
    throw new ConfigurationError('RECORD_INVALID', `Corrupt ${kind.label} ${file}: ${kind.corruptAdvice}`, { cause, file, field: '(root)' })
  }
  const parsed = kind.schema.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    const field = fieldName(issue.path)
    throw new ConfigurationError(
      'RECORD_INVALID',
      `Invalid ${kind.label} ${file}: field \`${field}\`: ${issue.message}. Expected a ` +
        `\`${kind.kind}\` file of schemaVersion ${kind.schemaVersion}; fix or delete it.`,
      { file, field },
    )
  }
  return parsed.data
}

/** Writes a saved JSON file atomically (a temporary file, then a rename), after checking it against the schema. */
export async function writeJsonFile<T>(file: string, kind: JsonFileKind<T>, value: T): Promise<void> {
  const parsed = kind.schema.safeParse(value)
  if (!parsed.success) {
    const field = fieldName(parsed.error.issues[0]!.path)
    throw new ConfigurationError(
      'RECORD_INVALID',
      `Refusing to write an invalid ${kind.label} to ${file}: field \`${field}\`: ${parsed.error.issues[0]!.message}.`,
      { file, field },
    )
  }
  await writeFileAtomic(file, `${JSON.stringify(parsed.data, null, 2)}\n`)
}
