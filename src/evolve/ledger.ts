import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { z } from 'zod'
import { ConfigurationError } from '../errors.js'

const SplitCounts = z.strictObject({ passed: z.number().int(), tasks: z.number().int() })
/** Pass counts per split. */
export const SplitSummarySchema = z.strictObject({ train: SplitCounts, validation: SplitCounts, sealed: SplitCounts.optional() })
export type SplitSummary = z.infer<typeof SplitSummarySchema>

const base = { schemaVersion: z.literal(1), at: z.string() }

/** One line of the evolve ledger: append-only, every proposal with its evidence and verdict. */
export const LedgerEntrySchema = z.discriminatedUnion('kind', [
  z.strictObject({
    ...base,
    kind: z.literal('start'),
    model: z.string(),
    harnessId: z.string(),
    harnessName: z.string(),
    trials: z.number().int(),
    splits: z.record(z.string(), z.enum(['train', 'validation', 'sealed'])),
  }),
  z.strictObject({ ...base, kind: z.literal('baseline'), harnessId: z.string(), record: z.string(), summary: SplitSummarySchema }),
  z.strictObject({ ...base, kind: z.literal('iteration'), iteration: z.number().int(), harnessId: z.string() }),
  z.strictObject({ ...base, kind: z.literal('weaknesses'), iteration: z.number().int(), weaknesses: z.array(z.record(z.string(), z.unknown())) }),
  z.strictObject({
    ...base,
    kind: z.literal('proposal'),
    iteration: z.number().int(),
    weaknessId: z.string(),
    proposal: z.record(z.string(), z.unknown()).nullable(),
    refused: z.strictObject({ reason: z.string(), detail: z.string() }).optional(),
  }),
  z.strictObject({
    ...base,
    kind: z.literal('validation'),
    iteration: z.number().int(),
    proposalIds: z.array(z.string()),
    harnessId: z.string(),
    accepted: z.boolean(),
    reason: z.string(),
    regressions: z.array(z.string()),
    fixes: z.array(z.string()),
    targetFixed: z.array(z.string()),
    trialsRun: z.number().int(),
    trialsReused: z.number().int(),
    stoppedEarly: z.boolean(),
    record: z.string().optional(),
  }),
  z.strictObject({
    ...base,
    kind: z.literal('accepted'),
    iteration: z.number().int(),
    harnessId: z.string(),
    parent: z.string(),
    file: z.string(),
    /** Record of the accepted harness's results on every decision task: the next iteration reuses it. */
    record: z.string(),
    proposalIds: z.array(z.string()),
    summary: SplitSummarySchema,
  }),
  z.strictObject({
    ...base,
    kind: z.literal('end'),
    reason: z.enum(['converged', 'iteration-limit', 'no-weaknesses']),
    harnessId: z.string(),
    summary: SplitSummarySchema,
    trialsRun: z.number().int(),
    naiveTrials: z.number().int(),
  }),
])
export type LedgerEntry = z.infer<typeof LedgerEntrySchema>
/** A ledger entry before it is stamped. */
export type LedgerInput = LedgerEntry extends infer E ? (E extends { at: string } ? Omit<E, 'at' | 'schemaVersion'> : never) : never

/** An append-only JSONL ledger. */
export interface Ledger {
  readonly file: string
  readonly entries: readonly LedgerEntry[]
  append(entry: LedgerInput): LedgerEntry
}

/** Opens a ledger, reading what an interrupted evolve left; a damaged line is refused with its number. */
export async function openLedger(file: string): Promise<Ledger> {
  const entries: LedgerEntry[] = []
  let text = ''
  try {
    text = await readFile(file, 'utf8')
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ConfigurationError('RECORD_INVALID', `Cannot read the ledger ${file}: ${(cause as Error).message}`, { cause, file })
    }
  }
  const lines = text.split('\n')
  let cutShort = false
  lines.forEach((line, i) => {
    if (!line) return
    const last = i === lines.length - 1 // no newline after it: possibly cut short by a kill
    try {
      entries.push(LedgerEntrySchema.parse(JSON.parse(line)))
    } catch (cause) {
      if (last) {
        cutShort = true // dropped: its step runs again
        return
      }
      throw new ConfigurationError('RECORD_INVALID', `Corrupt ledger ${file}: line ${i + 1} is damaged. Move the file away to start over.`, { cause, file, field: `line ${i + 1}` })
    }
  })
  mkdirSync(dirname(file), { recursive: true })
  // What is appended next must start on a line of its own: drop a line cut short by a kill, or end a whole one.
  if (cutShort) writeFileSync(file, text.slice(0, text.lastIndexOf('\n') + 1))
  else if (text && !text.endsWith('\n')) appendFileSync(file, '\n')
  return {
    file,
    entries,
    append(input) {
      const entry = LedgerEntrySchema.parse({ schemaVersion: 1, at: new Date().toISOString(), ...input })
      appendFileSync(file, `${JSON.stringify(entry)}\n`)
      entries.push(entry)
      return entry
    },
  }
}
