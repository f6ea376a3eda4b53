import { parsePointer, PatchError, type PatchOp } from '../harness/patch.js'
import type { HarnessSpec } from '../harness/spec.js'
import type { GuardBounds, Range } from './guard-bounds.js'

/** Why one operation is refused before the patch is even applied. */
export interface OpRefusal {
  reason: 'outside-surface' | 'weakens-checks'
  detail: string
}

/** Fields of a tool an edit may change (never `enabled`). */
export const EDITABLE_TOOL_FIELDS: ReadonlySet<string> = new Set(['description', 'before', 'after', 'retries', 'timeoutMs'])
/** Limits an edit may change, within bounds (never `runTimeoutMs`). */
export const EDITABLE_LIMITS = ['maxTurns', 'commandTimeoutMs', 'toolResultMaxChars'] as const
const PLANNING_FIELDS = new Set(['enabled', 'template'])
const CONTEXT_FIELDS = new Set(['maxMessages', 'restateInstructionEvery'])

/** The part of a harness an edit may change, as the proposer shows it to the model. */
export function editableSurface(spec: HarnessSpec): Record<string, unknown> {
  const tools = Object.fromEntries(
    Object.entries(spec.tools).map(([name, tool]) => [
      name,
      { description: tool.description, before: tool.before, after: tool.after, retries: tool.retries, timeoutMs: tool.timeoutMs },
    ]),
  )
  return {
    systemPrompt: spec.systemPrompt,
    rules: spec.rules,
    planning: spec.planning,
    tools,
    limits: Object.fromEntries(EDITABLE_LIMITS.map((name) => [name, spec.limits[name]])),
    context: spec.context,
    finalChecks: spec.finalChecks,
    maxFinishRejections: spec.maxFinishRejections,
  }
}

/**
 * Checks one operation against the editable surface: where it may write, which values are in bounds, and that it
 * does not remove or alter a check. Returns undefined when the operation may go ahead.
 */
export function checkOperation(op: PatchOp, spec: HarnessSpec, bounds: GuardBounds): OpRefusal | undefined {
  let segments: string[]
  try {
    segments = parsePointer(op.path)
  } catch (error) {
    return outside(error instanceof PatchError ? error.message : `Refused the pointer \`${op.path}\`.`)
  }
  const [head, second] = segments
  const depth = segments.length
  switch (head) {
    case 'systemPrompt':
      return depth === 1 ? undefined : outside(`\`${op.path}\` is inside a string`)
    case 'rules':
      return depth <= 2 ? undefined : outside(`\`${op.path}\` is inside a rule; add, replace or remove whole rules`)
    case 'planning':
      return depth === 1 || (depth === 2 && PLANNING_FIELDS.has(second!)) ? undefined : outside(notEditable(op.path))
    case 'context':
      return depth === 1 || (depth === 2 && CONTEXT_FIELDS.has(second!)) ? undefined : outside(notEditable(op.path))
    case 'tools':
      return checkTool(op, segments, spec, bounds)
    case 'limits': {
      const name = EDITABLE_LIMITS.find((limit) => limit === second)
      if (depth !== 2 || !name) return outside(`${notEditable(op.path)}; only ${EDITABLE_LIMITS.map((l) => `/limits/${l}`).join(', ')} are`)
      if (op.op === 'remove') return outside(`\`${op.path}\` can be set, not removed`)
      return checkRange(op, `limits.${name}`, bounds[name])
    }
    case 'finalChecks':
      if (op.op !== 'add') return weakens(`final checks can only be added; \`${op.op} ${op.path}\` would remove or change one`)
      if (depth > 2) return weakens(`\`${op.path}\` would change an existing final check`)
      return undefined
    case 'maxFinishRejections': {
      if (depth !== 1 || op.op === 'remove') return weakens(`\`${op.path}\` can only be raised`)
      const value = op.value
      if (typeof value === 'number' && value < spec.maxFinishRejections) {
        return weakens(`lowering maxFinishRejections from ${spec.maxFinishRejections} to ${value} lets unchecked work through`)
      }
      return undefined
    }
    default:
      return outside(notEditable(op.path))
  }
}

function checkTool(op: PatchOp, segments: string[], spec: HarnessSpec, bounds: GuardBounds): OpRefusal | undefined {
  const [, name, field] = segments
  if (name === undefined || !Object.hasOwn(spec.tools, name)) {
    return outside(`\`${op.path}\` names no tool of the harness (${Object.keys(spec.tools).join(', ')})`)
  }
  if (field === undefined) return outside(`a whole tool cannot be replaced or removed; edit its fields instead`)
  if (field === 'enabled') return outside(`tools cannot be switched on or off by an edit (\`${op.path}\`)`)
  if (!EDITABLE_TOOL_FIELDS.has(field)) return outside(notEditable(op.path))
  if (field === 'after' && op.op === 'remove') return weakens(`\`remove ${op.path}\` would take away an after-check`)
  if ((field === 'retries' || field === 'timeoutMs' || field === 'description') && segments.length > 3) {
    return outside(notEditable(op.path))
  }
  if (field === 'timeoutMs' && op.op !== 'remove') return checkRange(op, `tools.${name}.timeoutMs`, bounds.toolTimeoutMs)
  return undefined
}

function checkRange(op: Exclude<PatchOp, { op: 'remove' }>, field: string, range: Range): OpRefusal | undefined {
  const value = op.value
  if (typeof value !== 'number' || !Number.isInteger(value) || value < range.min || value > range.max) {
    return outside(`\`${field}\` may be set to an integer within [${range.min}, ${range.max}], got \`${JSON.stringify(value)}\``)
  }
  return undefined
}

const notEditable = (path: string): string => `\`${path}\` is not part of the editable surface`
const outside = (detail: string): OpRefusal => ({ reason: 'outside-surface', detail })
const weakens = (detail: string): OpRefusal => ({ reason: 'weakens-checks', detail })
