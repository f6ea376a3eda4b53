import { stableStringify } from '../json.js'
import { applyPatch, PatchError, unsafeKeyIn, type PatchOp } from '../harness/patch.js'
import { compilePattern } from '../harness/pattern.js'
import type { HarnessSpec } from '../harness/spec.js'
import { harnessId } from '../harness/version.js'
import { resolveGuardBounds, type GuardBounds } from './guard-bounds.js'
import type { Proposal } from './proposal.js'
import { checkOperation } from './surface.js'
import { findInstructionQuote, findTaskMention, stringsIn } from './text-match.js'

/** Why a proposal was refused. */
export type GuardReason =
  | 'outside-surface'
  | 'too-large'
  | 'names-task'
  | 'quotes-instruction'
  | 'weakens-checks'
  | 'invalid-patch'
  | 'unsafe-pattern'
  | 'no-op'

/** What the guards know besides the proposal: the tasks whose names and instructions an edit must not carry. */
export interface GuardContext {
  taskIds: readonly string[]
  instructions: readonly string[]
  /** Size and value limits; missing ones take {@link DEFAULT_GUARD_BOUNDS}. */
  bounds?: Partial<GuardBounds>
}

/** A guard's answer: the patched harness and its id, or the first reason to refuse and its detail. */
export type GuardResult<S = HarnessSpec> =
  | { ok: true; spec: S; harnessId: string }
  | { ok: false; reason: GuardReason; detail: string }

/**
 * Decides whether a proposed edit may be tried. Pure. Checks, in order: size, the editable surface (paths, values,
 * prototype keys), removal or change of checks, that every pattern it sets compiles for linear-time matching, task
 * names, instruction quotes, that the patch applies and makes a valid harness, that no check is lost in the
 * result, and that the harness changes at all.
 */
export function guardProposal(proposal: Proposal, spec: HarnessSpec, context: GuardContext): GuardResult {
  const bounds = resolveGuardBounds(context.bounds)
  const patch = proposal.patch
  const shape = patchShapeRefusal(patch, bounds)
  if (shape) return refuse(shape.reason, shape.detail)
  for (const op of patch) {
    const refusal = checkOperation(op, spec, bounds)
    if (refusal) return refuse(refusal.reason, refusal.detail)
  }
  const pattern = unsafePatternIn(patch)
  if (pattern) return refuse('unsafe-pattern', pattern)

  const mention = findTaskMention(JSON.stringify(patch), context.taskIds)
  if (mention) return refuse('names-task', `the patch mentions the task \`${mention}\`; edits must help every task of a kind`)
  const added = patch.flatMap((op) => (op.op === 'remove' ? [] : stringsIn(op.value)))
  const quote = findInstructionQuote(added.join('\n'), context.instructions, {
    words: bounds.quoteWords,
    chars: bounds.quoteChars,
    known: stringsIn(spec).join('\n'),
  })
  if (quote) return refuse('quotes-instruction', `the patch repeats a task instruction: "${quote}"`)

  let next: HarnessSpec
  try {
    next = applyPatch(spec, patch)
  } catch (error) {
    if (error instanceof PatchError) return refuse('invalid-patch', error.message)
    throw error
  }
  const lost = lostCheck(spec, next)
  if (lost) return refuse('weakens-checks', lost)
  const id = harnessId(next)
  if (id === harnessId(spec)) return refuse('no-op', 'the patched harness behaves exactly like the current one')
  return { ok: true, spec: next, harnessId: id }
}

/** A check the current harness has and the patched one lacks, described; undefined when none is lost. */
export function lostCheck(before: HarnessSpec, after: HarnessSpec): string | undefined {
  const missing = missingFrom(before.finalChecks, after.finalChecks)
  if (missing !== undefined) return `the final check ${missing} would be removed or changed`
  for (const [name, tool] of Object.entries(before.tools)) {
    const next = after.tools[name as keyof HarnessSpec['tools']]
    const gone = missingFrom(tool.after, next.after)
    if (gone !== undefined) return `the after-check ${gone} of ${name} would be removed or changed`
    if (tool.enabled && !next.enabled) return `the tool ${name} would be disabled`
  }
  if (after.maxFinishRejections < before.maxFinishRejections) return 'maxFinishRejections would be lowered'
  return undefined
}

/** The first item of `before` (as JSON) with fewer copies in `after`; multiset difference. */
function missingFrom(before: readonly unknown[], after: readonly unknown[]): string | undefined {
  const counts = new Map<string, number>()
  for (const item of after) {
    const key = stableStringify(item)
    counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  for (const item of before) {
    const key = stableStringify(item)
    const left = counts.get(key) ?? 0
    if (left === 0) return key
    counts.set(key, left - 1)
  }
  return undefined
}

const refuse = (reason: GuardReason, detail: string): GuardResult => ({ ok: false, reason, detail })

/**
 * The checks every patch meets before its operations are read, whatever surface it edits: at most `maxOps`
 * operations and `maxPatchBytes` bytes, at least one operation, no prototype key.
 */
export function patchShapeRefusal(patch: Proposal['patch'], bounds: GuardBounds): { reason: GuardReason; detail: string } | undefined {
  if (patch.length > bounds.maxOps) return { reason: 'too-large', detail: `${patch.length} operations; at most ${bounds.maxOps} are allowed` }
  const bytes = Buffer.byteLength(JSON.stringify(patch))
  if (bytes > bounds.maxPatchBytes) return { reason: 'too-large', detail: `the patch is ${bytes} bytes; at most ${bounds.maxPatchBytes} are allowed` }
  if (patch.length === 0) return { reason: 'no-op', detail: 'the patch has no operations' }
  const unsafeKey = unsafeKeyIn(patch)
  if (unsafeKey) return { reason: 'outside-surface', detail: `the patch carries the key \`${unsafeKey}\`` }
  return undefined
}

/** The first `match` pattern a patch sets that the linear-time engine refuses, described; undefined when none. */
export function unsafePatternIn(patch: readonly PatchOp[]): string | undefined {
  for (const op of patch) {
    if (op.op === 'remove') continue
    const found = op.path.endsWith('/match') ? [{ at: op.path, value: op.value }] : matchesIn(op.value, op.path)
    for (const { at, value } of found) {
      if (typeof value !== 'string') return `the pattern at \`${at}\` is not a string`
      const result = compilePattern(value)
      if (!result.ok) return `the pattern \`${value.slice(0, 80)}\` at \`${at}\` is refused: ${result.reason}`
    }
  }
  return undefined
}

/** Every `match` field inside a value, with its pointer. */
function matchesIn(value: unknown, at: string): Array<{ at: string; value: unknown }> {
  if (!value || typeof value !== 'object') return []
  return Object.entries(value).flatMap(([key, item]) => {
    const path = `${at}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`
    return key === 'match' ? [{ at: path, value: item }] : matchesIn(item, path)
  })
}
