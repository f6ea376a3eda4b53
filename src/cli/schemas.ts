import { z } from 'zod'
import { LedgerEntrySchema } from '../evolve/ledger.js'
import { CalibrationSchema } from '../gate/calibrate.js'
import { VerdictSchema } from '../gate/verdict.js'
import { HarnessSpecSchema } from '../harness/spec.js'
import { MiningReportSchema } from '../miner/schema.js'
import { ProposalSchema } from '../proposer/proposal.js'
import { BaselineHistorySchema } from '../record/baseline-history.js'
import { FlakeHistorySchema } from '../record/flake-history.js'
import { JournalEntrySchema } from '../record/journal.js'
import { RunRecordSchema } from '../record/schema.js'
import { TraceEventSchema } from '../trace/events.js'

/** Every saved format: its schema, and `io` `input` for files people write (defaults left out), `output` for files self-harness writes. */
export const SAVED_FORMATS: ReadonlyArray<{ name: string; title: string; schema: z.ZodType; io: 'input' | 'output' }> = [
  { name: 'harness', title: 'self-harness harness spec', schema: HarnessSpecSchema, io: 'input' },
  { name: 'run-record', title: 'self-harness run record', schema: RunRecordSchema, io: 'output' },
  { name: 'trace-event', title: 'self-harness trace event (one line of a JSONL trace)', schema: TraceEventSchema, io: 'output' },
  { name: 'journal-entry', title: 'self-harness journal entry (one line of a JSONL journal)', schema: JournalEntrySchema, io: 'output' },
  { name: 'verdict', title: 'self-harness gate verdict', schema: VerdictSchema, io: 'output' },
  { name: 'ledger-entry', title: 'self-harness evolve ledger entry (one line of a JSONL ledger)', schema: LedgerEntrySchema, io: 'output' },
  { name: 'weaknesses', title: 'self-harness mining report', schema: MiningReportSchema, io: 'output' },
  { name: 'proposal', title: 'self-harness harness edit proposal', schema: ProposalSchema, io: 'output' },
  { name: 'calibration', title: 'self-harness gate calibration', schema: CalibrationSchema, io: 'output' },
  { name: 'flake-history', title: 'self-harness flake history', schema: FlakeHistorySchema, io: 'output' },
  { name: 'baseline-history', title: 'self-harness baseline history', schema: BaselineHistorySchema, io: 'output' },
]

/** JSON Schema of every saved format, by name; `<name>.schema.json` is its file name. Pure. */
export function jsonSchemas(): Record<string, object> {
  const out: Record<string, object> = {}
  for (const { name, title, schema, io } of SAVED_FORMATS) {
    const { $schema, ...body } = z.toJSONSchema(schema, { io }) as Record<string, unknown>
    out[name] = { $schema, $id: `self-harness/${name}.schema.json`, title, ...body }
  }
  return out
}

/** The text written for one schema file. */
export function schemaFileText(schema: object): string {
  return `${JSON.stringify(schema, null, 2)}\n`
}
