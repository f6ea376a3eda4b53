import { dirname, join, resolve } from 'node:path'
import { hashOf } from '../json.js'

// Every file a run keeps under its output directory, in one place:
//
//   <out>/self-harness.lock                          held by the run using <out> (pid, start time)
//   <out>/runs/<harness>@<model>.json                the record of one harness and model
//   <out>/runs/<harness>@<model>.journal.jsonl       its finished trials while a run is in progress
//   <out>/runs/<harness>.json                        a copy of the harness's latest record, whatever its model
//   <out>/runs/<harness>.verdict.json | .report.html | .weaknesses.json   outputs of the harness's latest run
//   <out>/traces/<harness>@<model>/<run>/<task>/trial-<i>.jsonl          traces, one folder per run
//   <out>/flakes/<harness id>.json                   flake history of a harness version

/** A file-system safe name of a model: itself when already safe and short, else a readable part and a hash. */
export function modelSlug(model: string): string {
  if (/^[\w.-]{1,80}$/.test(model) && !/^\.+$/.test(model)) return model
  const readable = model.replace(/[^\w.-]+/g, '_').replace(/^[._]+/, '').slice(0, 60)
  return `${readable || 'model'}-${hashOf(model).slice(0, 8)}`
}

/** Key of a record: the harness name and the model, `<harness>@<model slug>`. */
export function recordKey(harnessName: string, model: string): string {
  return `${harnessName}@${modelSlug(model)}`
}

/** Absolute path of the record of a harness and model under an output directory. */
export function recordPathFor(outputDir: string, harnessName: string, model: string): string {
  return resolve(outputDir, 'runs', `${recordKey(harnessName, model)}.json`)
}

/** Absolute path of the copy of a harness's latest record (any model): `runs/<harness>.json`. */
export function latestRecordPathFor(outputDir: string, harnessName: string): string {
  return resolve(outputDir, 'runs', `${harnessName}.json`)
}

/** Journal path beside a record. */
export function journalPathFor(recordFile: string): string {
  return recordFile.replace(/\.json$/, '') + '.journal.jsonl'
}

/** The lock file of an output directory. */
export function lockPathFor(outputDir: string): string {
  return resolve(outputDir, 'self-harness.lock')
}

/** The output directory a record under `<out>/runs/` belongs to. */
export function outputDirOf(recordFile: string): string {
  return dirname(dirname(resolve(recordFile)))
}

/** Every path one run of a harness and model uses. */
export interface RunPaths {
  outputDir: string
  /** The record of this harness and model. */
  recordFile: string
  /** The copy of the harness's latest record, `runs/<harness>.json`. */
  latestFile: string
  journalFile: string
  lockFile: string
  /** This run's own trace folder: no other run writes there. */
  traceDir: string
  verdictFile: string
  reportFile: string
  weaknessesFile: string
  flakeDir: string
}

/** A name for one run that no other run shares: its start time and process id. */
export function runId(now = new Date(), pid = process.pid): string {
  return `${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${pid}`
}

/** The paths of one run of `harnessName` on `model` under `outputDir`. */
export function runPaths(outputDir: string, harnessName: string, model: string, run = runId()): RunPaths {
  const out = resolve(outputDir)
  const recordFile = recordPathFor(out, harnessName, model)
  const runs = join(out, 'runs')
  return {
    outputDir: out,
    recordFile,
    latestFile: latestRecordPathFor(out, harnessName),
    journalFile: journalPathFor(recordFile),
    lockFile: lockPathFor(out),
    traceDir: join(out, 'traces', recordKey(harnessName, model), run),
    verdictFile: join(runs, `${harnessName}.verdict.json`),
    reportFile: join(runs, `${harnessName}.report.html`),
    weaknessesFile: join(runs, `${harnessName}.weaknesses.json`),
    flakeDir: join(out, 'flakes'),
  }
}

/** Trace file of one trial: a folder per task (a readable slug and a hash of the id, so no two tasks share one). */
export function traceFileFor(traceDir: string, taskId: string, trial: number, run = 0): string {
  const slug = taskId.replace(/[^\w.-]+/g, '_').replace(/^\.+/, '_').slice(0, 120)
  return join(traceDir, `${slug}-${hashOf(taskId).slice(0, 8)}`, `trial-${trial}${run ? `-${run}` : ''}.jsonl`)
}
