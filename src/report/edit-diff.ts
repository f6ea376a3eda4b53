import { parsePointer, pointerLabel, type PatchOp } from '../harness/patch.js'

const clip = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text)
const show = (value: unknown, max: number): string => clip(JSON.stringify(value) ?? 'null', max)

/** The value at a pointer, or undefined when there is none. */
function valueAt(doc: unknown, path: string): unknown {
  let node = doc
  let segments: string[]
  try {
    segments = parsePointer(path)
  } catch {
    return undefined
  }
  for (const segment of segments) {
    if (node === null || typeof node !== 'object') return undefined
    node = Array.isArray(node) ? node[segment === '-' ? node.length : Number(segment)] : (node as Record<string, unknown>)[segment]
  }
  return node
}

/** The field an operation on an array element belongs to: `/rules/-` -> `rules`, `/tools/shell/before/0` -> `tools.shell.before`. */
function fieldOf(path: string, before: unknown): { label: string; inArray: boolean } {
  const cut = path.lastIndexOf('/')
  const parent = path.slice(0, cut)
  const last = path.slice(cut + 1)
  const inArray = parent !== '' && (last === '-' || (/^\d+$/.test(last) && Array.isArray(valueAt(before, parent))))
  return { label: inArray ? pointerLabel(parent) : pointerLabel(path), inArray }
}

/**
 * An edit as a readable diff of the harness, one line per operation: `rules: + "Before any git commit ..."`,
 * `limits.maxTurns: 20 -> 30`, `planning.enabled: false -> true`, `tools.shell.before: - "..."`. `before` is the
 * harness the edit applies to; without it, replaced values show only their new value. Pure.
 */
export function describeEdit(ops: readonly PatchOp[], before?: unknown, maxValueChars = 120): string[] {
  return ops.map((op) => {
    const { label, inArray } = fieldOf(op.path, before)
    const old = before === undefined ? undefined : valueAt(before, op.path)
    if (op.op === 'remove') return `${label}: - ${old === undefined ? '(removed)' : show(old, maxValueChars)}`
    if (op.op === 'add' && (inArray || old === undefined)) return `${label}: + ${show(op.value, maxValueChars)}`
    return old === undefined ? `${label}: -> ${show(op.value, maxValueChars)}` : `${label}: ${show(old, maxValueChars)} -> ${show(op.value, maxValueChars)}`
  })
}
