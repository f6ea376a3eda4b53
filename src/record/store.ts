import { randomBytes } from 'node:crypto'
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { ConfigurationError, NotComparableError } from '../errors.js'
import { fieldName, hashOf } from '../json.js'
import { recordableTrial } from './sanitize.js'
import { RECORD_SCHEMA_VERSION, RunRecordSchema, type RunRecord, type TaskRecord } from './schema.js'

/** Hash of a task set: the sorted task ids. */
export function taskSetHash(ids: Iterable<string>): string {
  return hashOf([...ids].sort())
}

/**
 * Builds a run record; tasks are sorted by id so equal runs give equal files. A trial the schema would refuse
 * becomes an `error` trial naming the field (see {@link recordableTrial}), so one bad value never costs the run.
 */
export function buildRecord(input: {
  harness: { name: string; id: string }
  model: string
  trials: number
  tasks: TaskRecord[]
  createdAt?: string
  settings?: RunRecord['settings']
}): RunRecord {
  const tasks = [...input.tasks]
    .map((task) => ({ ...task, trials: task.trials.map((trial, i) => recordableTrial(trial, i)) }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  return {
    schemaVersion: RECORD_SCHEMA_VERSION,
    kind: 'self-harness/run-record',
    createdAt: input.createdAt ?? new Date().toISOString(),
    harness: input.harness,
    model: input.model,
    taskSetHash: taskSetHash(tasks.map((t) => t.id)),
    trials: input.trials,
    ...(input.settings ? { settings: input.settings } : {}),
    tasks,
  }
}

/** Writes a file atomically: a temporary file in the same directory, then a rename. */
export async function writeFileAtomic(file: string, content: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true })
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  await writeFile(temp, content)
  await rename(temp, file)
}

/**
 * Writes a run record atomically, after validating it with the schema {@link readRecord} reads it with: a record
 * that could not be read back is never written (the file keeps what it held).
 */
export async function writeRecord(file: string, record: RunRecord): Promise<void> {
  const parsed = RunRecordSchema.safeParse(record)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    const field = fieldName(issue.path)
    throw new ConfigurationError('RECORD_INVALID', `Refusing to write the run record ${file}: field \`${field}\`: ${issue.message}. Nothing was written.`, { file, field })
  }
  await writeFileAtomic(file, `${JSON.stringify(parsed.data, null, 2)}\n`)
}

/** Reads and validates a run record; a missing, truncated, corrupt or foreign file is refused with the file and field. */
export async function readRecord(file: string): Promise<RunRecord> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (cause) {
    throw new ConfigurationError('RECORD_NOT_FOUND', `No run record at ${file}. Run the suite first, or check the path.`, { cause, file })
  }
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (cause) {
    throw new ConfigurationError('RECORD_INVALID', `Corrupt run record ${file}: not valid JSON (truncated or damaged). Re-run the suite to write it again.`, { cause, file })
  }
  const version = (raw as { schemaVersion?: unknown } | null)?.schemaVersion
  if (typeof version === 'number' && version !== RECORD_SCHEMA_VERSION) {
    throw new NotComparableError(
      `Run record ${file} has schemaVersion ${version}; this version of self-harness reads schemaVersion ${RECORD_SCHEMA_VERSION}. Re-run the suite with this version.`,
    )
  }
  const parsed = RunRecordSchema.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    const field = fieldName(issue.path)
    throw new ConfigurationError('RECORD_INVALID', `Invalid run record ${file}: field \`${field}\`: ${issue.message}.`, { file, field })
  }
  return parsed.data
}

/**
 * The earlier record a run builds on: its own (`runs/<harness>@<model>.json`), or the harness's latest record
 * (`runs/<harness>.json`) when that one is newer and of the same model (it was edited, or written by an
 * earlier version, which named records by harness only). Without its own record, the latest one whatever its model
 * (where it is used, a record of another model lends no trials). Undefined when there is neither.
 */
export async function findPreviousRecord(paths: { recordFile: string; latestFile: string }, model: string): Promise<string | undefined> {
  const mtime = (file: string) => stat(file).then((s) => s.mtimeMs, () => undefined)
  const [own, latest] = await Promise.all([mtime(paths.recordFile), mtime(paths.latestFile)])
  if (latest !== undefined && paths.latestFile !== paths.recordFile && (own === undefined || latest > own)) {
    if (own === undefined) return paths.latestFile
    const record = await readRecord(paths.latestFile).catch(() => undefined)
    if (record?.model === model) return paths.latestFile
  }
  return own === undefined ? undefined : paths.recordFile
}
