import { resolve } from 'node:path'

/** Directory of the sample files of every released format. */
export const FORMATS_DIR = resolve(import.meta.dirname, '../../fixtures/formats')

/** One sample file: the format it is a sample of (a key of `jsonSchemas()`), and whether it is valid. */
export interface Sample {
  file: string
  format: string
  valid: boolean
}

/** Formats stored as JSONL: one value of the format per line. */
export const JSONL_FORMATS = new Set(['trace-event', 'journal-entry', 'ledger-entry'])

/** Every file under `fixtures/formats/`. */
export const SAMPLES: readonly Sample[] = [
  { file: 'harness.v1.json', format: 'harness', valid: true },
  { file: 'harness.v1.full.json', format: 'harness', valid: true },
  { file: 'harness.v1.broken-field.json', format: 'harness', valid: false },
  { file: 'run-record.v1.json', format: 'run-record', valid: true },
  { file: 'run-record.v1.truncated.json', format: 'run-record', valid: false },
  { file: 'run-record.v1.broken-field.json', format: 'run-record', valid: false },
  { file: 'run-record.v2-schema.json', format: 'run-record', valid: false },
  { file: 'trace.v1.jsonl', format: 'trace-event', valid: true },
  { file: 'trace.v1.corrupt-line.jsonl', format: 'trace-event', valid: false },
  { file: 'trace.v1.broken-field.jsonl', format: 'trace-event', valid: false },
  { file: 'journal.v1.jsonl', format: 'journal-entry', valid: true },
  { file: 'journal.v1.truncated-tail.jsonl', format: 'journal-entry', valid: false },
  { file: 'journal.v1.corrupt-middle.jsonl', format: 'journal-entry', valid: false },
  { file: 'verdict.v1.json', format: 'verdict', valid: true },
  { file: 'verdict.v1.broken-field.json', format: 'verdict', valid: false },
  { file: 'ledger.v1.jsonl', format: 'ledger-entry', valid: true },
  { file: 'ledger.v1.corrupt-middle.jsonl', format: 'ledger-entry', valid: false },
  { file: 'ledger.v1.truncated-tail.jsonl', format: 'ledger-entry', valid: false },
  { file: 'weaknesses.v1.json', format: 'weaknesses', valid: true },
  { file: 'weaknesses.v1.broken-field.json', format: 'weaknesses', valid: false },
  { file: 'proposal.v1.json', format: 'proposal', valid: true },
  { file: 'proposal.v1.broken-op.json', format: 'proposal', valid: false },
  { file: 'calibration.v1.json', format: 'calibration', valid: true },
  { file: 'calibration.v1.broken-field.json', format: 'calibration', valid: false },
  { file: 'flake-history.v1.json', format: 'flake-history', valid: true },
  { file: 'flake-history.v1.broken.json', format: 'flake-history', valid: false },
  { file: 'baseline-history.v1.json', format: 'baseline-history', valid: true },
  { file: 'baseline-history.v1.broken-field.json', format: 'baseline-history', valid: false },
]

/** Path of a sample file. */
export const sample = (file: string): string => resolve(FORMATS_DIR, file)
