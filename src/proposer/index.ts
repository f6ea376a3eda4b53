export { DEFAULT_GUARD_BOUNDS, resolveGuardBounds, type GuardBounds, type Range } from './guard-bounds.js'
export { guardProposal, lostCheck, type GuardContext, type GuardReason, type GuardResult } from './guard.js'
export { parseProposalReply, type ParsedReply, type ReplyItem } from './parse-reply.js'
export { PROPOSE_MARKER, SURFACE_HEADING, proposeMessages, proposeSystemMessage, proposeUserMessage, retryMessage } from './prompt.js'
export {
  ProposalDraftSchema,
  ProposalKindSchema,
  ProposalReplySchema,
  ProposalSchema,
  type Proposal,
  type ProposalDraft,
  type ProposalKind,
  type WeaknessLike,
} from './proposal.js'
export { proposeEdits, resolveProposeOptions, type ProposeInput, type ProposeResult, type Refusal, type RefusalReason } from './propose.js'
export { EDITABLE_LIMITS, EDITABLE_TOOL_FIELDS, checkOperation, editableSurface, type OpRefusal } from './surface.js'
export { findInstructionQuote, findTaskMention, normalizeText, stringsIn, taskNames, type QuoteOptions } from './text-match.js'
export { agentSurface, changedPaths, dataSurfaceValues, grows, guardDataProposal, type DataSurface } from './data-surface.js'
export { describeEditableFields, proposeDataMessages, proposeDataSystemMessage, schemaAt } from './data-prompt.js'
