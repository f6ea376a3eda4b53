import { readFile } from 'node:fs/promises'
import { dirname, isAbsolute, relative, resolve } from 'node:path'
import type { z } from 'zod'
import { ConfigurationError, NotComparableError } from '../../errors.js'
import { VerdictSchema } from '../../gate/verdict.js'
import { fieldName } from '../../json.js'
import { MiningReportSchema } from '../../miner/schema.js'
import type { RunRecord, TaskRecord } from '../../record/schema.js'
import { readRecord } from '../../record/store.js'
import type { TraceEvent } from '../../trace/events.js'
import { readTrace } from '../../trace/reader.js'
import { lineageFromLedger } from './lineage.js'
import { traceKey, type ReportData, type Side, type TraceSlice } from './types.js'

/** Files the report is made from. */
export interface LoadReportOptions {
  /** The candidate's run record. */
  candidate: string
  /** The baseline's run record. */
  baseline?: string
  /** The gate's verdict on the two records. */
  verdict?: string
  /** A mining report (`self-harness mine --json`). */
  weaknesses?: string
  /** An evolve ledger (JSONL). */
  ledger?: string
  /** Events kept per trace: its start and its end. @default 400 */
  maxTraceEvents?: number
  /** Whose traces to read. @default 'all' up to 600 trials in both records, else 'failed-and-flipped' */
  traceTrials?: 'failed-and-flipped' | 'all'
}

/** Trials in both records up to which every trace is read by default. */
export const ALL_TRACES_UP_TO = 600
const READ_CONCURRENCY = 16

/** Validates the options and fills the defaults that do not depend on the records. */
export function resolveLoadReportOptions(raw: LoadReportOptions): LoadReportOptions & { maxTraceEvents: number } {
  const options = { ...raw, maxTraceEvents: raw.maxTraceEvents ?? 400 }
  if (!options.candidate) throw new ConfigurationError('USAGE', 'Expected `candidate` to be a run record file, got nothing.', { field: 'candidate' })
  if (!Number.isInteger(options.maxTraceEvents) || options.maxTraceEvents < 10) {
    throw new ConfigurationError('CONFIG_INVALID', `Expected \`maxTraceEvents\` to be an integer of at least 10, got \`${String(raw.maxTraceEvents)}\`.`, { field: 'maxTraceEvents' })
  }
  if (options.traceTrials !== undefined && options.traceTrials !== 'all' && options.traceTrials !== 'failed-and-flipped') {
    throw new ConfigurationError('CONFIG_INVALID', `Expected \`traceTrials\` to be 'all' or 'failed-and-flipped', got \`${String(options.traceTrials)}\`.`, { field: 'traceTrials' })
  }
  return options
}

/** Reads the records, verdict, weaknesses, ledger and traces a report shows. Bad input is a {@link ConfigurationError}. */
export async function loadReportData(raw: LoadReportOptions): Promise<ReportData> {
  const options = resolveLoadReportOptions(raw)
  const candidate = await recordAt(options.candidate)
  const baseline = options.baseline ? await recordAt(options.baseline) : undefined
  const notes: string[] = []
  const data: ReportData = { candidate, traces: {}, maxTraceEvents: options.maxTraceEvents, traceTrials: 'all', notes, generatedAt: new Date().toISOString() }
  if (baseline) data.baseline = baseline
  if (options.verdict) {
    const verdict = parseJsonFile(options.verdict, await textOf(options.verdict, 'verdict'), VerdictSchema, 'verdict')
    if (verdict.candidate.harness.id !== candidate.harness.id) {
      throw new ConfigurationError(
        'CONFIG_INVALID',
        `The verdict ${options.verdict} judges harness ${verdict.candidate.harness.id}, but the candidate record ${options.candidate} is of harness ${candidate.harness.id}. Pass the verdict of this record.`,
        { file: options.verdict, field: 'candidate.harness.id' },
      )
    }
    if (baseline && verdict.baseline.harness.id !== baseline.harness.id) notes.push(`The verdict's baseline (${verdict.baseline.harness.id}) is not the baseline record given (${baseline.harness.id}).`)
    data.verdict = verdict
  }
  if (options.weaknesses) data.weaknesses = parseJsonFile(options.weaknesses, await textOf(options.weaknesses, 'weaknesses'), MiningReportSchema, 'mining report')
  if (options.ledger) {
    const { lineage, notes: ledgerNotes } = lineageFromLedger(await textOf(options.ledger, 'ledger'), options.ledger)
    if (lineage) data.lineage = lineage
    notes.push(...ledgerNotes)
  }
  const trials = candidate.tasks.concat(baseline?.tasks ?? []).reduce((sum, task) => sum + task.trials.length, 0)
  data.traceTrials = options.traceTrials ?? (trials <= ALL_TRACES_UP_TO ? 'all' : 'failed-and-flipped')
  const wanted = tracesWanted(data, options.candidate, options.baseline)
  const slices = await mapLimit(wanted, READ_CONCURRENCY, (want) => sliceOf(want.file, options.maxTraceEvents))
  wanted.forEach((want, i) => (data.traces[want.key] = slices[i]!.slice))
  const note = unreadableNote(wanted, slices)
  if (note) notes.push(note)
  return data
}

/** One line naming the traces that could not be read: those not found (moved, deleted, never copied) and those damaged. */
function unreadableNote(wanted: ReadonlyArray<{ label: string; file: string }>, slices: ReadonlyArray<{ slice: TraceSlice; missing: boolean }>): string | undefined {
  const shown = (file: string) => {
    const rel = relative(process.cwd(), file)
    return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file
  }
  const list = (missing: boolean) => {
    const items = wanted.filter((_, i) => slices[i]!.slice.error && slices[i]!.missing === missing).map((w) => `${w.label} (${shown(w.file)})`)
    return { count: items.length, text: items.slice(0, 3).join(', ') + (items.length > 3 ? `, and ${items.length - 3} more` : '') }
  }
  const notFound = list(true)
  const damaged = list(false)
  const total = notFound.count + damaged.count
  if (!total) return undefined
  const parts = [notFound.count ? `${notFound.count} not found: ${notFound.text}` : '', damaged.count ? `${damaged.count} damaged: ${damaged.text}` : ''].filter(Boolean)
  return `${total} trace(s) could not be read; ${parts.join('; ')}. Their trials show without steps.`
}

async function recordAt(file: string): Promise<RunRecord> {
  try {
    return await readRecord(file)
  } catch (error) {
    // A record of another format version is bad input here: the report compares nothing.
    if (error instanceof NotComparableError) throw new ConfigurationError('RECORD_INVALID', error.message, { cause: error, file })
    throw error
  }
}

async function textOf(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8')
  } catch (cause) {
    throw new ConfigurationError('RECORD_NOT_FOUND', `Cannot read the ${what} file ${file}: ${(cause as Error).message}`, { cause, file })
  }
}

function parseJsonFile<S extends z.ZodType>(file: string, text: string, schema: S, what: string): z.output<S> {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (cause) {
    throw new ConfigurationError('RECORD_INVALID', `Corrupt ${what} ${file}: not valid JSON (truncated or damaged).`, { cause, file })
  }
  const parsed = schema.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    const field = fieldName(issue.path)
    throw new ConfigurationError('RECORD_INVALID', `Invalid ${what} ${file}: field \`${field}\`: ${issue.message}.`, { file, field })
  }
  return parsed.data
}

/** The traces to read: every trial, or the candidate's failed and errored trials and both sides of flipped tasks. */
function tracesWanted(data: ReportData, candidateFile: string, baselineFile: string | undefined): Array<{ key: string; file: string; label: string }> {
  const passes = (task: TaskRecord | undefined) => !!task?.trials.some((t) => t.outcome === 'pass')
  const baselineTasks = new Map((data.baseline?.tasks ?? []).map((t) => [t.id, t]))
  const flippedByVerdict = new Set([...(data.verdict?.regressions ?? []), ...(data.verdict?.fixes ?? [])])
  const wanted: Array<{ key: string; file: string; label: string }> = []
  const add = (side: Side, recordFile: string, task: TaskRecord, keep: (outcome: string) => boolean) => {
    for (const trial of task.trials) {
      if (trial.tracePath && keep(trial.outcome)) {
        wanted.push({ key: traceKey(side, task.id, trial.index), file: resolve(dirname(resolve(recordFile)), trial.tracePath), label: `${side} ${task.id} trial ${trial.index}` })
      }
    }
  }
  const all = data.traceTrials === 'all'
  for (const task of data.candidate.tasks) {
    const base = baselineTasks.get(task.id)
    const flipped = !!base && (passes(base) !== passes(task) || flippedByVerdict.has(task.id))
    add('candidate', candidateFile, task, (outcome) => all || flipped || outcome !== 'pass')
    if (base && baselineFile && (all || flipped)) add('baseline', baselineFile, base, () => true)
  }
  return wanted
}

/** Reads one trace, keeping its start and its end when it is longer than `max` events; `missing` when there is no such file. */
async function sliceOf(file: string, max: number): Promise<{ slice: TraceSlice; missing: boolean }> {
  let events: TraceEvent[]
  try {
    events = await readTrace(file)
  } catch (error) {
    return { slice: { events: [], total: 0, error: (error as Error).message }, missing: (error as { cause?: NodeJS.ErrnoException }).cause?.code === 'ENOENT' }
  }
  return { slice: capTrace(events, max), missing: false }
}

/** Keeps the first and last events of a trace, `max` in all, and says where the rest was left out. */
export function capTrace(events: readonly TraceEvent[], max: number): TraceSlice {
  if (events.length <= max) return { events: [...events], total: events.length }
  const tail = Math.min(50, Math.floor(max / 4))
  const head = max - tail
  return { events: [...events.slice(0, head), ...events.slice(events.length - tail)], total: events.length, omittedAt: head, omitted: events.length - max }
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      results[i] = await fn(items[i]!)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}
