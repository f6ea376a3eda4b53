import { z } from 'zod'
import { ConfigurationError } from '../../errors.js'
import { fieldName } from '../../json.js'
import { describePatch, PatchOpSchema } from '../../harness/patch.js'
import type { Lineage, LineageStep } from './types.js'

// The report reads only the ledger fields it shows, and ignores the rest, so the evolve side can grow its
// entries freely; the full format (and its JSON Schema) lives with the evolve loop.
const Split = z.object({ passed: z.number().int().min(0), tasks: z.number().int().min(0) })
const Summary = z.object({ train: Split.optional(), validation: Split.optional(), sealed: Split.optional() })
const Line = z.looseObject({ schemaVersion: z.literal(1), kind: z.string() })
const Known = z.discriminatedUnion('kind', [
  z.looseObject({ kind: z.literal('start'), model: z.string(), harnessId: z.string(), harnessName: z.string() }),
  z.looseObject({ kind: z.literal('baseline'), harnessId: z.string(), summary: Summary }),
  z.looseObject({ kind: z.literal('iteration'), iteration: z.number().int() }),
  z.looseObject({ kind: z.literal('proposal'), proposal: z.unknown() }),
  z.looseObject({ kind: z.literal('validation'), accepted: z.boolean() }),
  z.looseObject({
    kind: z.literal('accepted'), iteration: z.number().int(), harnessId: z.string(), parent: z.string(), file: z.string(),
    proposalIds: z.array(z.string()), summary: Summary,
  }),
  z.looseObject({ kind: z.literal('end'), reason: z.string(), harnessId: z.string(), summary: Summary, trialsRun: z.number(), naiveTrials: z.number() }),
])
type Entry = z.infer<typeof Known>
const KNOWN_KINDS = new Set(['start', 'baseline', 'iteration', 'proposal', 'validation', 'accepted', 'end'])

const ProposalShape = z.looseObject({ id: z.string(), kind: z.string(), rationale: z.string(), patch: z.array(PatchOpSchema) })

/**
 * Reads the lineage of accepted harness versions from the text of an evolve ledger. Read-only: a last line cut
 * short by a kill is left out with a note; a damaged line before it is refused with its number.
 */
export function lineageFromLedger(text: string, file: string): { lineage?: Lineage; notes: string[] } {
  const notes: string[] = []
  const entries: Entry[] = []
  const lines = text.split('\n')
  lines.forEach((line, i) => {
    if (!line.trim()) return
    const last = lines.slice(i + 1).every((rest) => !rest.trim())
    let raw: unknown
    try {
      raw = JSON.parse(line)
    } catch (cause) {
      if (last) return void notes.push(`The last line of the ledger ${file} is cut short; it was left out.`)
      throw new ConfigurationError('RECORD_INVALID', `Corrupt ledger ${file}: line ${i + 1} is not valid JSON.`, { cause, file, field: `line ${i + 1}` })
    }
    const head = Line.safeParse(raw)
    const parsed = head.success && KNOWN_KINDS.has(head.data.kind) ? Known.safeParse(raw) : undefined
    if (!head.success || (parsed && !parsed.success)) {
      const issue = (head.success ? parsed!.error! : head.error).issues[0]!
      throw new ConfigurationError('RECORD_INVALID', `Invalid ledger ${file}: line ${i + 1}, field \`${fieldName(issue.path)}\`: ${issue.message}.`, { file, field: `line ${i + 1}` })
    }
    if (parsed?.success) entries.push(parsed.data)
  })
  const lineage = buildLineage(entries)
  if (!lineage) notes.push(`The ledger ${file} has no start entry: no lineage to show.`)
  return lineage ? { lineage, notes } : { notes }
}

function buildLineage(entries: Entry[]): Lineage | undefined {
  const start = entries.find((e) => e.kind === 'start')
  if (!start) return undefined
  const baseline = entries.find((e) => e.kind === 'baseline')
  const proposals = new Map<string, z.infer<typeof ProposalShape>>()
  let iterations = 0
  let refused = 0
  for (const e of entries) {
    if (e.kind === 'iteration') iterations = Math.max(iterations, e.iteration)
    if (e.kind === 'validation' && !e.accepted) refused++
    if (e.kind === 'proposal') {
      const p = ProposalShape.safeParse(e.proposal)
      if (p.success && !proposals.has(p.data.id)) proposals.set(p.data.id, p.data)
    }
  }
  const steps: LineageStep[] = [{ iteration: 0, harnessId: start.harnessId, edits: [], proposals: [], summary: baseline?.summary ?? {} }]
  for (const e of entries) {
    if (e.kind !== 'accepted') continue
    const chosen = e.proposalIds.map((id) => proposals.get(id) ?? { id, kind: 'unknown', rationale: '(not in the ledger)', patch: [] })
    steps.push({
      iteration: e.iteration,
      harnessId: e.harnessId,
      parent: e.parent,
      file: e.file,
      edits: chosen.flatMap((p) => describePatch(p.patch, 200)),
      proposals: chosen.map((p) => ({ id: p.id, kind: p.kind, rationale: p.rationale })),
      summary: e.summary,
    })
  }
  const lineage: Lineage = { model: start.model, harnessName: start.harnessName, steps, iterations, refused }
  const end = entries.findLast((e) => e.kind === 'end')
  if (end) {
    const { reason, harnessId, trialsRun, naiveTrials, summary } = end
    lineage.end = { reason, harnessId, trialsRun, naiveTrials, summary }
  }
  return lineage
}
