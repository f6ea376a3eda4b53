import { z } from 'zod'
import { ConfigurationError } from '../errors.js'
import { fieldName } from '../json.js'
import { HarnessSpecSchema, type HarnessSpec } from './spec.js'

/** A JSON Pointer (RFC 6901) into the harness spec, e.g. `/rules/-` or `/tools/shell/timeoutMs`. */
export const PointerSchema = z.string().regex(/^\//, 'Expected a JSON Pointer starting with "/"')

/** One patch operation on a harness spec: a subset of JSON Patch (RFC 6902). */
export const PatchOpSchema = z.discriminatedUnion('op', [
  /** Adds a value: sets an object key, or inserts into an array at an index or at the end (`-`). */
  z.object({ op: z.literal('add'), path: PointerSchema, value: z.json() }),
  /** Replaces the value at an existing location. */
  z.object({ op: z.literal('replace'), path: PointerSchema, value: z.json() }),
  /** Removes the value at an existing location. */
  z.object({ op: z.literal('remove'), path: PointerSchema }),
])
/** One patch operation. */
export type PatchOp = z.output<typeof PatchOpSchema>

/** A patch that cannot be applied, or that would make an invalid harness. */
export class PatchError extends ConfigurationError {
  /** Index of the operation at fault; absent when the patched harness as a whole is invalid. */
  readonly opIndex: number | undefined
  constructor(message: string, options: { field?: string; opIndex?: number; cause?: unknown } = {}) {
    super('HARNESS_INVALID', message, options)
    this.opIndex = options.opIndex
  }
}

/** Segments no patch may walk through: prototype keys and relative steps. */
const UNSAFE_SEGMENTS = new Set(['__proto__', 'constructor', 'prototype', '..', '.'])

/** Why a pointer segment is not allowed, or undefined when it is. */
export function unsafeSegment(segment: string): string | undefined {
  if (segment === '') return 'an empty segment'
  if (UNSAFE_SEGMENTS.has(segment)) return `the segment \`${segment}\``
  return undefined
}

/** Splits a JSON Pointer into unescaped segments (`~1` is `/`, `~0` is `~`); throws on a malformed pointer. */
export function parsePointer(path: string, opIndex?: number): string[] {
  if (!path.startsWith('/')) {
    throw new PatchError(`Expected a JSON Pointer starting with "/", got \`${path}\`.`, { field: path, opIndex })
  }
  return path
    .slice(1)
    .split('/')
    .map((raw) => {
      if (/~[^01]|~$/.test(raw)) {
        throw new PatchError(`Invalid escape in the pointer \`${path}\`: only ~0 and ~1 are allowed.`, { field: path, opIndex })
      }
      const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~')
      const unsafe = unsafeSegment(segment)
      if (unsafe) throw new PatchError(`Refused the pointer \`${path}\`: it contains ${unsafe}.`, { field: path, opIndex })
      return segment
    })
}

/** The first object key anywhere in a value that no patch may carry (`__proto__`, `constructor`, `prototype`). */
export function unsafeKeyIn(value: unknown): string | undefined {
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = unsafeKeyIn(item)
      if (found) return found
    }
    return undefined
  }
  if (value === null || typeof value !== 'object') return undefined
  for (const key of Object.keys(value)) {
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') return key
    const found = unsafeKeyIn((value as Record<string, unknown>)[key])
    if (found) return found
  }
  return undefined
}

type Container = Record<string, unknown> | unknown[]
const isContainer = (value: unknown): value is Container => value !== null && typeof value === 'object'
const ARRAY_INDEX = /^(0|[1-9]\d*)$/

/**
 * Applies patch operations to a harness spec and returns the new, validated spec (defaults filled). Pure: the
 * input spec and the operations are never mutated. Throws {@link PatchError} naming the pointer or the field when
 * a path is unsafe or missing, or when the result is not a valid harness.
 */
export function applyPatch(spec: HarnessSpec, ops: readonly PatchOp[]): HarnessSpec {
  return applyPatchWith(HarnessSpecSchema, spec, ops)
}

/**
 * Applies patch operations to any harness data and validates the result with `schema` (a team's own harness
 * schema, or ours). Pure, like {@link applyPatch}; throws {@link PatchError} naming the pointer or the field.
 */
export function applyPatchWith<S extends z.ZodType>(schema: S, data: unknown, ops: readonly PatchOp[]): z.output<S> {
  if (!isContainer(data)) throw new PatchError('Expected the harness data to be a JSON object or array.')
  const doc = structuredClone(data) as Container
  ops.forEach((op, index) => applyOp(doc, op, index))
  const parsed = schema.safeParse(doc)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    const field = fieldName(issue.path)
    throw new PatchError(`The patch makes an invalid harness: field \`${field}\`: ${issue.message}.`, { field })
  }
  return parsed.data
}

function applyOp(doc: Container, op: PatchOp, opIndex: number): void {
  const segments = parsePointer(op.path, opIndex)
  const fail = (why: string): never => {
    throw new PatchError(`Cannot ${op.op} \`${op.path}\`: ${why}.`, { field: op.path, opIndex })
  }
  let parent: unknown = doc
  for (const segment of segments.slice(0, -1)) {
    const next = childOf(parent, segment)
    if (!isContainer(next)) fail(`its parent \`${segment}\` does not exist or is not an object or array`)
    parent = next
  }
  const key = segments.at(-1)!
  const container = parent as Container
  if (op.op !== 'remove') {
    const unsafe = unsafeKeyIn(op.value)
    if (unsafe) fail(`the value contains the key \`${unsafe}\``)
  }
  const value = op.op === 'remove' ? undefined : structuredClone(op.value)

  if (Array.isArray(container)) {
    if (op.op === 'add' && key === '-') return void container.push(value)
    if (!ARRAY_INDEX.test(key)) fail(`\`${key}\` is not an array index`)
    const index = Number(key)
    if (op.op === 'add') {
      if (index > container.length) fail(`index ${index} is past the end of the array (length ${container.length})`)
      return void container.splice(index, 0, value)
    }
    if (index >= container.length) fail(`there is no element ${index} (length ${container.length})`)
    if (op.op === 'replace') container[index] = value
    else container.splice(index, 1)
    return
  }
  if (op.op === 'add') return void (container[key] = value)
  if (!Object.hasOwn(container, key)) fail(`\`${key}\` does not exist`)
  if (op.op === 'replace') container[key] = value
  else delete container[key]
}

function childOf(parent: unknown, segment: string): unknown {
  if (Array.isArray(parent)) return ARRAY_INDEX.test(segment) ? parent[Number(segment)] : undefined
  if (isContainer(parent) && Object.hasOwn(parent, segment)) return (parent as Record<string, unknown>)[segment]
  return undefined
}

/** A pointer as a readable field name: `/tools/shell/before/-` reads `tools.shell.before[end]`. */
export function pointerLabel(path: string): string {
  const segments = path.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
  let out = ''
  for (const segment of segments) {
    if (segment === '-') out += '[end]'
    else if (ARRAY_INDEX.test(segment)) out += `[${segment}]`
    else out += out ? `.${segment}` : segment
  }
  return out || '(root)'
}

const clip = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 3)}...` : text)

/** One line per operation, for the ledger and reports: `add rules[end]: "..."`, `set limits.maxTurns = 30`. */
export function describePatch(ops: readonly PatchOp[], maxValueChars = 120): string[] {
  return ops.map((op) => {
    const label = pointerLabel(op.path)
    if (op.op === 'remove') return `remove ${label}`
    const value = clip(JSON.stringify(op.value) ?? 'null', maxValueChars)
    return op.op === 'add' ? `add ${label}: ${value}` : `set ${label} = ${value}`
  })
}
