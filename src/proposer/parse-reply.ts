import { fieldName } from '../json.js'
import { unsafeKeyIn } from '../harness/patch.js'
import { ProposalDraftSchema, ProposalReplySchema, type ProposalDraft } from './proposal.js'

/** One proposal of a reply: the draft when it is valid, else what is wrong with it. */
export type ReplyItem =
  | { ok: true; raw: unknown; draft: ProposalDraft }
  | { ok: false; raw: unknown; reason: 'malformed' | 'outside-surface'; detail: string }

/** A reply read as proposals, or why it could not be read at all. */
export type ParsedReply = { ok: true; items: ReplyItem[] } | { ok: false; detail: string }

/** Reads the model's answer to a proposing request: JSON (bare, fenced or amid prose), then each proposal. */
export function parseProposalReply(content: string): ParsedReply {
  const json = extractJson(content)
  if (json === undefined) return { ok: false, detail: 'the answer holds no JSON object' }
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch (error) {
    return { ok: false, detail: `the answer is not valid JSON (${(error as Error).message})` }
  }
  const reply = ProposalReplySchema.safeParse(value)
  if (!reply.success) return { ok: false, detail: 'expected an object {"proposals": [...]} with an array of proposals' }
  return { ok: true, items: reply.data.proposals.map(readItem) }
}

function readItem(raw: unknown, index: number): ReplyItem {
  // Parsing would silently drop such keys; a proposal that carries them is refused, not cleaned.
  const unsafe = unsafeKeyIn(raw)
  if (unsafe) return { ok: false, raw, reason: 'outside-surface', detail: `proposal ${index} carries the key \`${unsafe}\`` }
  const parsed = ProposalDraftSchema.safeParse(raw)
  if (parsed.success) return { ok: true, raw, draft: parsed.data }
  const issue = parsed.error.issues[0]!
  return { ok: false, raw, reason: 'malformed', detail: `proposal ${index}: field \`${fieldName(issue.path)}\`: ${issue.message}` }
}

function extractJson(content: string): string | undefined {
  const trimmed = content.trim()
  if (trimmed.startsWith('{')) return trimmed
  const fenced = /```(?:json)?\s*\n([\s\S]*?)```/.exec(trimmed)
  if (fenced) return fenced[1]!.trim()
  const start = trimmed.indexOf('{')
  const end = trimmed.lastIndexOf('}')
  return start >= 0 && end > start ? trimmed.slice(start, end + 1) : undefined
}
