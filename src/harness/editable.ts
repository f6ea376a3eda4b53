import { z } from 'zod'
import { ConfigurationError } from '../errors.js'
import { fieldName } from '../json.js'
import { parsePointer, PatchError } from './patch.js'

/**
 * How the proposer may change an editable field of a team's harness data: freely (`edit`), never taking it (or, in
 * a list, any of its items) away (`never-remove`), or only adding to it (`grow-only`: text keeps every character it
 * had, lists keep every item, numbers do not go down, objects keep every key and each key's value only grows).
 */
export const EditModeSchema = z.enum(['edit', 'never-remove', 'grow-only'])
/** How the proposer may change an editable field. */
export type EditMode = z.output<typeof EditModeSchema>

/** A JSON Pointer into the harness data; a `*` segment matches any one key or index. */
const EditablePointerSchema = z.string().regex(/^\//, 'Expected a JSON Pointer starting with "/"')

/** One entry of an agent's `editable` list: a pointer, or a pointer with a mode and, for numbers, bounds. */
export const EditableFieldSchema = z.union([
  EditablePointerSchema,
  z.strictObject({
    path: EditablePointerSchema,
    /** @default 'edit' */
    mode: EditModeSchema.optional(),
    /** Lowest number the field may be set to. */
    min: z.number().optional(),
    /** Highest number the field may be set to. */
    max: z.number().optional(),
  }),
])
/** One entry of an agent's `editable` list, as a team writes it. */
export type EditableFieldInput = z.input<typeof EditableFieldSchema>

/** An editable field with its defaults filled and its pointer split into segments. */
export interface EditableField {
  path: string
  segments: readonly string[]
  mode: EditMode
  min?: number
  max?: number
}

/**
 * Validates an agent's `editable` list and fills defaults. Errors name the entry: a pointer that does not parse, a
 * mode that does not exist, bounds with `min` above `max`, or an empty list.
 */
export function resolveEditable(raw: unknown): EditableField[] {
  const parsed = z.array(EditableFieldSchema).min(1, 'Expected at least one editable field').safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    const field = `editable${issue.path.length ? (typeof issue.path[0] === 'number' ? '' : '.') + fieldName(issue.path) : ''}`
    throw new ConfigurationError('CONFIG_INVALID', `Invalid agent definition: field \`${field}\`: ${issue.message}.`, { field })
  }
  return parsed.data.map((entry, index) => {
    const field = typeof entry === 'string' ? { path: entry } : entry
    let segments: string[]
    try {
      segments = parsePointer(field.path)
    } catch (error) {
      const detail = error instanceof PatchError ? error.message : String(error)
      throw new ConfigurationError('CONFIG_INVALID', `Invalid agent definition: field \`editable[${index}]\`: ${detail}`, { field: `editable[${index}]` })
    }
    if (field.min !== undefined && field.max !== undefined && field.min > field.max) {
      throw new ConfigurationError('CONFIG_INVALID', `Invalid agent definition: field \`editable[${index}]\`: \`min\` ${field.min} is above \`max\` ${field.max}.`, { field: `editable[${index}]` })
    }
    return { path: field.path, segments, mode: field.mode ?? 'edit', ...(field.min !== undefined ? { min: field.min } : {}), ...(field.max !== undefined ? { max: field.max } : {}) }
  })
}

/** Whether a pointer's segments start with a pattern's (`*` matching any one segment): the pointer is at or beneath it. */
export function isAtOrBeneath(segments: readonly string[], pattern: readonly string[]): boolean {
  if (segments.length < pattern.length) return false
  return pattern.every((p, i) => p === '*' || p === segments[i])
}

/** Escapes one segment for a JSON Pointer. */
export const escapeSegment = (segment: string): string => segment.replace(/~/g, '~0').replace(/\//g, '~1')

/** Every concrete location of a pattern in a document, with its value (`*` expanded over the keys that exist). */
export function locate(doc: unknown, pattern: readonly string[]): Array<{ path: string; segments: string[]; value: unknown }> {
  let found: Array<{ segments: string[]; value: unknown }> = [{ segments: [], value: doc }]
  for (const part of pattern) {
    const next: typeof found = []
    for (const { segments, value } of found) {
      if (value === null || typeof value !== 'object') continue
      const keys = part === '*' ? Object.keys(value) : Object.hasOwn(value, part) ? [part] : []
      for (const key of keys) next.push({ segments: [...segments, key], value: (value as Record<string, unknown>)[key] })
    }
    found = next
  }
  return found.map(({ segments, value }) => ({ path: `/${segments.map(escapeSegment).join('/')}`, segments, value }))
}

/** The value at concrete segments of a document; undefined when a step is missing. */
export function valueAt(doc: unknown, segments: readonly string[]): unknown {
  let at: unknown = doc
  for (const segment of segments) {
    if (at === null || typeof at !== 'object' || !Object.hasOwn(at, segment)) return undefined
    at = (at as Record<string, unknown>)[segment]
  }
  return at
}
