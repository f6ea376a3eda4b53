import { readFile, stat } from 'node:fs/promises'
import { dirname, relative, resolve } from 'node:path'
import { ConfigurationError } from '../../errors.js'
import { readRecord, writeFileAtomic } from '../../record/store.js'
import type { TraceEvent } from '../../trace/events.js'
import { tracesToOtlp, type OtlpOptions, type OtlpTrial } from '../../trace/otlp.js'
import { parseTrace, readTrace } from '../../trace/reader.js'
import { stringFlag, type ParsedArgs } from '../args.js'
import { packageVersion } from '../package-root.js'

const USAGE = 'self-harness export <record-or-trace> [--out=FILE] [--format=otlp-json]'
/** Formats `self-harness export` writes. */
export const EXPORT_FORMATS = ['otlp-json'] as const

/** The trials of a run record's traces, or of one trace file, ready to export; traces that cannot be read are named in `notes`. */
export async function exportInputs(file: string): Promise<{ trials: OtlpTrial[]; options: OtlpOptions; notes: string[] }> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (cause) {
    throw new ConfigurationError('RECORD_NOT_FOUND', `Cannot read ${file}: ${(cause as Error).message}`, { cause, file })
  }
  const version = packageVersion()
  if (!isRecordText(text)) {
    const events = parseTrace(text, file)
    if (!events.length) throw new ConfigurationError('RECORD_INVALID', `${file} holds no trace event: expected a run record or a JSONL trace.`, { file })
    const start = events.find((e) => e.kind === 'trial-start')
    return { trials: [{ events, startTimeMs: await startTimeOf(file, events) }], options: { scopeVersion: version, resource: { 'self_harness.model': start?.kind === 'trial-start' ? start.model : undefined } }, notes: [] }
  }
  const record = await readRecord(file)
  const base = dirname(resolve(file))
  const trials: OtlpTrial[] = []
  const notes: string[] = []
  for (const task of record.tasks) {
    for (const trial of task.trials) {
      if (!trial.tracePath) continue
      const path = resolve(base, trial.tracePath)
      try {
        const events = await readTrace(path)
        trials.push({ events, startTimeMs: await startTimeOf(path, events), taskId: task.id, trial: trial.index, outcome: trial.outcome, ...(trial.reason ? { reason: trial.reason } : {}) })
      } catch (error) {
        notes.push(`${task.id} trial ${trial.index}: ${(error as Error).message} Left out.`)
      }
    }
  }
  if (!trials.length) throw new ConfigurationError('RECORD_INVALID', `The record ${file} names no trace that could be read${notes.length ? ` (${notes[0]})` : ''}.`, { file })
  const options: OtlpOptions = {
    scopeVersion: version,
    resource: { 'self_harness.harness.name': record.harness.name, 'self_harness.harness.id': record.harness.id, 'self_harness.model': record.model, 'self_harness.task_set': record.taskSetHash },
  }
  return { trials, options, notes }
}

/** `self-harness export <record-or-trace> [--out=FILE] [--format=otlp-json]`: traces as OTLP/JSON, to a file or stdout. */
export async function exportCommand(args: ParsedArgs, cwd: string, out: (text: string) => void): Promise<number> {
  const [file] = args.positional
  if (!file) throw new ConfigurationError('USAGE', `Expected a run record or a trace file: ${USAGE}`, { field: 'record' })
  const format = stringFlag(args, 'format') ?? 'otlp-json'
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) {
    throw new ConfigurationError('USAGE', `Expected \`--format\` to be ${EXPORT_FORMATS.join(' or ')}, got \`${format}\`.`, { field: 'format' })
  }
  const { trials, options, notes } = await exportInputs(resolve(cwd, file))
  const request = tracesToOtlp(trials, options)
  const spans = request.resourceSpans.reduce((n, r) => n + r.scopeSpans.reduce((m, s) => m + s.spans.length, 0), 0)
  for (const note of notes) process.stderr.write(`self-harness export: note: ${note}\n`)
  const target = stringFlag(args, 'out')
  if (target === undefined) {
    out(JSON.stringify(request))
    return 0
  }
  const path = resolve(cwd, target)
  await writeFileAtomic(path, `${JSON.stringify(request)}\n`)
  out(`Wrote ${relative(cwd, path) || path}: ${trials.length} trace(s), ${spans} span(s) as OTLP/JSON.`)
  return 0
}

/** A run record's text (one JSON object of its kind), as against a JSONL trace. */
function isRecordText(text: string): boolean {
  try {
    const value = JSON.parse(text) as { kind?: unknown } | null
    return !!value && typeof value === 'object' && !Array.isArray(value) && value.kind === 'self-harness/run-record'
  } catch {
    return false
  }
}

/** When a trial started: its trace file was last written at its end, so the file's time less the trace's length. */
async function startTimeOf(file: string, events: readonly TraceEvent[]): Promise<number> {
  const { mtimeMs } = await stat(file)
  const last = Math.max(0, ...events.map((e) => e.t))
  return Math.max(0, Math.round(mtimeMs - last))
}
