import type { ChatMessage, ModelClient, ResponseFormat } from '../agent/model.js'
import { parseCompletion } from '../agent/response.js'
import { responseFormatOf } from '../agent/response-format.js'
import { ConfigurationError } from '../errors.js'
import { hashOf } from '../json.js'
import type { HarnessSpec } from '../harness/spec.js'
import { resolveGuardBounds } from './guard-bounds.js'
import { guardProposal, type GuardContext, type GuardReason } from './guard.js'
import { parseProposalReply, type ReplyItem } from './parse-reply.js'
import { proposeMessages, retryMessage } from './prompt.js'
import { proposeDataMessages } from './data-prompt.js'
import { guardDataProposal, type DataSurface } from './data-surface.js'
import { ProposalReplyFormatSchema, type Proposal, type ProposalDraft, type WeaknessLike } from './proposal.js'

/** The structured output a proposing request asks for, where the endpoint has it (plain text parsing otherwise). */
export const PROPOSAL_FORMAT: ResponseFormat = responseFormatOf('harness_edit_proposals', ProposalReplyFormatSchema)

/** Why a proposal was dropped: a guard's reason, an unusable answer, or a duplicate of a kept edit. */
export type RefusalReason = GuardReason | 'malformed' | 'duplicate' | 'over-count'

/** A dropped proposal, kept for the log: what the model sent and why it was dropped. */
export interface Refusal {
  raw: unknown
  reason: RefusalReason
  detail: string
}

/** What proposing edits for one weakness needs. */
export interface ProposeInput {
  weakness: WeaknessLike
  /** The harness in force; edits are patches on it (the built-in spec, or a team's data when `surface` is given). */
  harness: HarnessSpec | unknown
  /** A team's own editable surface (its agent's `editable` and format); absent for the built-in harness spec. */
  surface?: DataSurface
  /** The model under test: the same model proposes. */
  client: ModelClient
  /** Edits to ask for, clamped to 3..5. @default 4 */
  count?: number
  /** Extra requests when the answer is unusable, each with the problems fed back. @default 2 */
  retries?: number
  guardContext: GuardContext
  signal?: AbortSignal
}

/** The edits that passed the guards, and every dropped one with its reason. */
export interface ProposeResult {
  proposals: Proposal[]
  refused: Refusal[]
  /** Requests made to the model. */
  attempts: number
}

/**
 * Asks the model for diverse, minimal harness edits for one weakness; validates the answer (retrying with the
 * problems fed back), runs every edit through the guards and drops duplicates. Model failures after the client's
 * own retries propagate as `ModelError`.
 */
export async function proposeEdits(input: ProposeInput): Promise<ProposeResult> {
  const { count, retries } = resolveProposeOptions(input)
  const bounds = resolveGuardBounds(input.guardContext.bounds)
  const surface = input.surface
  let messages: ChatMessage[] = surface
    ? proposeDataMessages(input.weakness, input.harness, count, bounds, surface)
    : proposeMessages(input.weakness, input.harness as HarnessSpec, count, bounds)
  const refused: Refusal[] = []
  let items: ReplyItem[] = []
  let attempts = 0
  for (;;) {
    attempts++
    const completion = await input.client.chat({ messages, signal: input.signal, responseFormat: PROPOSAL_FORMAT })
    const content = parseCompletion(completion).content ?? ''
    const parsed = parseProposalReply(content)
    const problems = parsed.ok ? itemProblems(parsed.items) : [parsed.detail]
    if (problems.length === 0 || attempts > retries) {
      if (!parsed.ok) refused.push({ raw: content, reason: 'malformed', detail: `${parsed.detail} (after ${attempts} attempts)` })
      else if (parsed.items.length === 0) {
        refused.push({ raw: content, reason: 'malformed', detail: `the proposals array is empty (after ${attempts} attempts)` })
      }
      items = parsed.ok ? parsed.items : []
      break
    }
    messages = [...messages, { role: 'assistant', content }, { role: 'user', content: retryMessage(problems) }]
  }

  const proposals: Proposal[] = []
  const seen = new Map<string, string>()
  for (const [index, item] of items.entries()) {
    if (index >= count) {
      refused.push({ raw: item.raw, reason: 'over-count', detail: `only ${count} proposals were asked for` })
      continue
    }
    if (!item.ok) {
      refused.push({ raw: item.raw, reason: item.reason, detail: item.detail })
      continue
    }
    const proposal = toProposal(item.draft, input.weakness.id)
    const context = { ...input.guardContext, bounds }
    const verdict = surface ? guardDataProposal(proposal, input.harness, surface, context) : guardProposal(proposal, input.harness as HarnessSpec, context)
    if (!verdict.ok) {
      refused.push({ raw: proposal, reason: verdict.reason, detail: verdict.detail })
      continue
    }
    const twin = seen.get(verdict.harnessId)
    if (twin) {
      refused.push({ raw: proposal, reason: 'duplicate', detail: `makes the same harness (${verdict.harnessId}) as ${twin}` })
      continue
    }
    seen.set(verdict.harnessId, proposal.id)
    proposals.push(proposal)
  }
  return { proposals, refused, attempts }
}

/** Fills and validates the proposer's counts. */
export function resolveProposeOptions(raw: { count?: number; retries?: number }): { count: number; retries: number } {
  const count = raw.count ?? 4
  const retries = raw.retries ?? 2
  if (!Number.isInteger(count)) {
    throw new ConfigurationError('CONFIG_INVALID', `Expected \`count\` to be an integer, got \`${String(count)}\`.`, { field: 'count' })
  }
  if (!Number.isInteger(retries) || retries < 0) {
    throw new ConfigurationError('CONFIG_INVALID', `Expected \`retries\` to be a non-negative integer, got \`${String(retries)}\`.`, {
      field: 'retries',
    })
  }
  return { count: Math.min(5, Math.max(3, count)), retries }
}

function itemProblems(items: readonly ReplyItem[]): string[] {
  if (items.length === 0) return ['the proposals array is empty']
  return items.flatMap((item) => (!item.ok && item.reason === 'malformed' ? [item.detail] : []))
}

function toProposal(draft: ProposalDraft, weaknessId: string): Proposal {
  return {
    id: `p-${hashOf({ weaknessId, patch: draft.patch }).slice(0, 10)}`,
    weaknessId,
    kind: draft.kind,
    rationale: draft.rationale,
    expectedFlips: [...new Set(draft.expectedFlips)],
    patch: draft.patch,
  }
}
