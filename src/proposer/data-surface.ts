import type { AgentDefinition } from '../agent/define.js'
import { stableStringify } from '../json.js'
import { escapeSegment, isAtOrBeneath, locate, valueAt, type EditableField } from '../harness/editable.js'
import type { HarnessFormat } from '../harness/format.js'
import { parsePointer, PatchError } from '../harness/patch.js'
import { resolveGuardBounds } from './guard-bounds.js'
import { patchShapeRefusal, type GuardContext, type GuardResult } from './guard.js'
import type { Proposal } from './proposal.js'
import { findInstructionQuote, findTaskMention, stringsIn } from './text-match.js'

/** The editable surface of a team's own harness data: what the proposer may change, and how the data is handled. */
export interface DataSurface {
  /** Parses, patches and hashes the data (the agent's `format`). */
  format: HarnessFormat<unknown>
  /** The agent's `editable` list. */
  editable: readonly EditableField[]
  /** A short name of the agent, for the proposer's prompt. */
  agentName?: string
}

const refuse = (reason: Extract<GuardResult, { ok: false }>['reason'], detail: string): GuardResult<unknown> => ({ ok: false, reason, detail })
const listOf = (editable: readonly EditableField[]) => editable.map((f) => f.path).join(', ')

/**
 * Decides whether a proposed edit of a team's harness data may be tried, with the guards ours has. Pure. In order:
 * size; every operation inside an editable field (a parent of one is refused too: it would change what is not
 * editable); no removal in a `never-remove` or `grow-only` field; task names and instruction quotes; the patch
 * applies and the agent's schema accepts the result; nothing outside the editable fields changed; `never-remove`
 * fields are all still there (and lists no shorter); `grow-only` fields only grew; numbers within their bounds; and
 * the data changes at all.
 */
export function guardDataProposal(proposal: Proposal, data: unknown, surface: DataSurface, context: GuardContext): GuardResult<unknown> {
  const bounds = resolveGuardBounds(context.bounds)
  const patch = proposal.patch
  const shape = patchShapeRefusal(patch, bounds)
  if (shape) return refuse(shape.reason, shape.detail)

  for (const op of patch) {
    let segments: string[]
    try {
      segments = parsePointer(op.path)
    } catch (error) {
      return refuse('outside-surface', error instanceof PatchError ? error.message : `Refused the pointer \`${op.path}\`.`)
    }
    const field = surface.editable.find((f) => isAtOrBeneath(segments, f.segments))
    if (!field) {
      const inside = surface.editable.some((f) => isAtOrBeneath(f.segments, segments))
      return refuse('outside-surface', inside
        ? `\`${op.op} ${op.path}\` would change more than its editable fields (${listOf(surface.editable)}); edit those instead`
        : `\`${op.path}\` is not part of the editable surface (${listOf(surface.editable)})`)
    }
    if (op.op === 'remove' && field.mode !== 'edit') {
      return refuse('weakens-checks', `\`remove ${op.path}\` would take away from \`${field.path}\`, which is ${field.mode === 'grow-only' ? 'grow-only' : 'never-remove'}`)
    }
  }

  const mention = findTaskMention(JSON.stringify(patch), context.taskIds)
  if (mention) return refuse('names-task', `the patch mentions the task \`${mention}\`; edits must help every task of a kind`)
  const added = patch.flatMap((op) => (op.op === 'remove' ? [] : stringsIn(op.value)))
  const quote = findInstructionQuote(added.join('\n'), context.instructions, { words: bounds.quoteWords, chars: bounds.quoteChars, known: stringsIn(data).join('\n') })
  if (quote) return refuse('quotes-instruction', `the patch repeats a task instruction: "${quote}"`)

  let next: unknown
  try {
    next = surface.format.apply(data, patch)
  } catch (error) {
    if (error instanceof PatchError) return refuse('invalid-patch', error.message)
    throw error
  }
  // What the agent's schema made of the patch counts, not only what the patch says.
  const stray = changedPaths(data, next).find((segments) => !surface.editable.some((f) => isAtOrBeneath(segments, f.segments)))
  if (stray) return refuse('outside-surface', `the edit changes \`/${stray.map(escapeSegment).join('/')}\`, which is not part of the editable surface`)
  for (const field of surface.editable) {
    const weakened = weakening(field, data, next)
    if (weakened) return refuse('weakens-checks', weakened)
    const out = outOfBounds(field, data, next)
    if (out) return refuse('outside-surface', out)
  }
  const id = surface.format.id(next)
  if (id === surface.format.id(data)) return refuse('no-op', 'the patched harness is exactly the current one')
  return { ok: true, spec: next, harnessId: id }
}

/** Why an edit takes something away from a `never-remove` or `grow-only` field; undefined when it does not. */
function weakening(field: EditableField, before: unknown, after: unknown): string | undefined {
  if (field.mode === 'edit') return undefined
  for (const { path, segments, value } of locate(before, field.segments)) {
    const now = valueAt(after, segments)
    if (now === undefined) return `\`${path}\` would be removed; it is ${field.mode}`
    if (field.mode === 'never-remove') {
      if (typeof value === 'string' && value.trim() && !String(now).trim()) return `\`${path}\` would be emptied; it is never-remove`
      if (Array.isArray(value) && (!Array.isArray(now) || now.length < value.length)) return `\`${path}\` would lose items; it is never-remove`
      if (isObject(value) && (!isObject(now) || Object.keys(value).some((k) => !Object.hasOwn(now, k)))) return `\`${path}\` would lose keys; it is never-remove`
    } else if (!grows(value, now)) {
      return `\`${path}\` may only grow, and the edit takes something away from it (${describeLoss(value, now)})`
    }
  }
  return undefined
}

/** Why an edit sets a bounded number out of its range; undefined when every value is in bounds or unchanged. */
function outOfBounds(field: EditableField, before: unknown, after: unknown): string | undefined {
  if (field.min === undefined && field.max === undefined) return undefined
  for (const { path, segments, value } of locate(after, field.segments)) {
    if (stableStringify(valueAt(before, segments)) === stableStringify(value)) continue
    const min = field.min ?? -Infinity
    const max = field.max ?? Infinity
    if (typeof value !== 'number' || value < min || value > max) {
      return `\`${path}\` may be set to a number within [${field.min ?? '-inf'}, ${field.max ?? 'inf'}], got \`${JSON.stringify(value)}\``
    }
  }
  return undefined
}

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value)

/** Whether `after` keeps all of `before`: text keeps every character in order, lists every item, numbers do not drop. */
export function grows(before: unknown, after: unknown): boolean {
  if (before === null || before === undefined) return true
  if (typeof before === 'string') return typeof after === 'string' && isSubsequence(before, after)
  if (typeof before === 'number') return typeof after === 'number' && after >= before
  if (typeof before === 'boolean') return typeof after === 'boolean' && (after || !before)
  if (Array.isArray(before)) {
    if (!Array.isArray(after)) return false
    const left = new Map<string, number>()
    for (const item of after) left.set(stableStringify(item), (left.get(stableStringify(item)) ?? 0) + 1)
    return before.every((item) => {
      const key = stableStringify(item)
      const n = left.get(key) ?? 0
      left.set(key, n - 1)
      return n > 0
    })
  }
  if (isObject(before)) return isObject(after) && Object.keys(before).every((key) => Object.hasOwn(after, key) && grows(before[key], after[key]))
  return stableStringify(before) === stableStringify(after)
}

function isSubsequence(small: string, big: string): boolean {
  let i = 0
  for (let j = 0; i < small.length && j < big.length; j++) if (small[i] === big[j]) i++
  return i === small.length
}

function describeLoss(before: unknown, after: unknown): string {
  if (typeof before === 'string' && typeof after === 'string') return `${before.length} characters before, ${after.length} after, not all of the old text kept`
  if (typeof before === 'number') return `${before} -> ${JSON.stringify(after)}`
  if (Array.isArray(before)) return `${before.length} items before, ${Array.isArray(after) ? after.length : 'none'} after, not all kept`
  return 'a value it had is gone'
}

/** Segments of every leaf that differs between two documents (a whole subtree when its type changed). */
export function changedPaths(before: unknown, after: unknown, at: string[] = []): string[][] {
  if (stableStringify(before) === stableStringify(after)) return []
  const bothArrays = Array.isArray(before) && Array.isArray(after)
  const bothObjects = isObject(before) && isObject(after)
  if (!bothArrays && !bothObjects) return [at]
  const keys = new Set([...Object.keys(before as object), ...Object.keys(after as object)])
  // A list that changed length changed as a whole (items moved): the list itself is the change.
  if (bothArrays && (before as unknown[]).length !== (after as unknown[]).length) return [at]
  return [...keys].flatMap((key) => changedPaths((before as Record<string, unknown>)[key], (after as Record<string, unknown>)[key], [...at, key]))
}

/** The editable part of the data, as the proposer shows it to the model: only the editable fields, in place. */
export function dataSurfaceValues(data: unknown, editable: readonly EditableField[]): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const field of editable) {
    for (const { segments, value } of locate(data, field.segments)) {
      let at = out
      segments.slice(0, -1).forEach((segment) => {
        at[segment] = isObject(at[segment]) ? at[segment] : {}
        at = at[segment] as Record<string, unknown>
      })
      at[segments.at(-1) ?? ''] = value
    }
  }
  return out
}

/** The proposer's surface of a team's agent: its harness format and its `editable` list. */
export function agentSurface(agent: AgentDefinition<unknown>): DataSurface {
  return { format: agent.format, editable: agent.editable, agentName: agent.name }
}
