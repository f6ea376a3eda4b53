import { z } from 'zod'
import { PatchOpSchema } from '../harness/patch.js'

/** Which part of the harness stack an edit works through. */
export const ProposalKindSchema = z.enum(['prompt-rule', 'tool-wrapper', 'planning-step', 'final-check', 'context-policy'])
/** Which part of the harness stack an edit works through. */
export type ProposalKind = z.output<typeof ProposalKindSchema>

/** A proposed harness edit: patch operations on the spec, why, and which tasks it should make pass. */
export const ProposalSchema = z.strictObject({
  id: z.string().min(1),
  /** The weakness this edit addresses. */
  weaknessId: z.string().min(1),
  kind: ProposalKindSchema,
  rationale: z.string().min(1),
  /** Task ids the edit is expected to flip from fail to pass. */
  expectedFlips: z.array(z.string()),
  patch: z.array(PatchOpSchema),
})
/** A proposed harness edit. */
export type Proposal = z.output<typeof ProposalSchema>

/** One edit as the model writes it (the id and the weakness are filled in by the proposer). */
export const ProposalDraftSchema = z.object({
  kind: ProposalKindSchema,
  rationale: z.string().min(1),
  expectedFlips: z.array(z.string()).default([]),
  patch: z.array(PatchOpSchema),
})
/** One edit as the model writes it. */
export type ProposalDraft = z.output<typeof ProposalDraftSchema>

/** The model's whole answer to a proposing request. */
export const ProposalReplySchema = z.object({ proposals: z.array(z.unknown()) })

/** The shape a proposing request asks the endpoint to follow (structured output): drafts, any JSON as patch values. */
export const ProposalReplyFormatSchema = z.object({
  proposals: z.array(
    z.object({
      kind: ProposalKindSchema,
      rationale: z.string().min(1),
      expectedFlips: z.array(z.string()),
      patch: z.array(z.object({ op: z.enum(['add', 'replace', 'remove']), path: z.string().regex(/^\//), value: z.unknown().optional() })),
    }),
  ),
})

/** What the proposer needs to know about a weakness (the miner's `Weakness` satisfies it). */
export interface WeaknessLike {
  id: string
  /** A short name of the recurring pattern. */
  pattern: string
  category: string
  explanation?: string
  /** Excerpts of failing traces (train split only). */
  evidence: string[]
  /** Ids of tasks that failed this way. */
  exampleTasks: string[]
}
