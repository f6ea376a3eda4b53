import type { ChatMessage } from '../agent/model.js'
import type { EditableField } from '../harness/editable.js'
import type { GuardBounds } from './guard-bounds.js'
import type { DataSurface } from './data-surface.js'
import { dataSurfaceValues } from './data-surface.js'
import { PROPOSE_MARKER, proposeUserMessageWith } from './prompt.js'
import type { WeaknessLike } from './proposal.js'

type JsonSchema = Record<string, unknown>

const MODE_TEXT: Record<EditableField['mode'], string> = {
  edit: 'may be changed',
  'never-remove': 'never remove: may be changed, never removed or emptied (a list never gets shorter)',
  'grow-only': 'grow only: add to it, never take anything away (keep every character of the text, every item of a list; numbers only go up)',
}

/** The part of a JSON Schema a pointer leads to (`*` through `additionalProperties`, `items` or any property). */
export function schemaAt(schema: JsonSchema, segments: readonly string[]): JsonSchema | undefined {
  let at: JsonSchema | undefined = schema
  for (const segment of segments) {
    at = unwrap(at, schema)
    if (!at) return undefined
    const properties = at.properties as Record<string, JsonSchema> | undefined
    if (segment !== '*' && properties && Object.hasOwn(properties, segment)) at = properties[segment]
    else if (segment === '*' && properties && Object.keys(properties).length) at = Object.values(properties)[0]
    else if (at.additionalProperties && typeof at.additionalProperties === 'object') at = at.additionalProperties as JsonSchema
    else if (at.items && typeof at.items === 'object' && !Array.isArray(at.items)) at = at.items as JsonSchema
    else return undefined
  }
  return unwrap(at, schema)
}

/** Follows a local `$ref` and steps into the first alternative of an `anyOf`/`oneOf` that is not `null`. */
function unwrap(node: JsonSchema | undefined, root: JsonSchema): JsonSchema | undefined {
  let at = node
  for (let i = 0; at && i < 8; i++) {
    const ref = typeof at.$ref === 'string' ? at.$ref : undefined
    if (ref?.startsWith('#/')) {
      at = ref.slice(2).split('/').reduce<unknown>((n, key) => (n && typeof n === 'object' ? (n as JsonSchema)[key] : undefined), root) as JsonSchema | undefined
      continue
    }
    const alternatives = (at.anyOf ?? at.oneOf) as JsonSchema[] | undefined
    if (Array.isArray(alternatives) && !at.type) {
      at = { ...alternatives.find((a) => a.type !== 'null'), ...(at.description ? { description: at.description } : {}) }
      continue
    }
    return at
  }
  return at
}

/** One line per editable field: its pointer, its type and bounds, its mode, and the schema's description. */
export function describeEditableFields(surface: DataSurface): string[] {
  const schema = surface.format.jsonSchema()
  return surface.editable.map((field) => {
    const node = schemaAt(schema, field.segments)
    const type = node ? (Array.isArray(node.type) ? node.type.join(' | ') : String(node.type ?? 'value')) : 'value'
    const range = field.min !== undefined || field.max !== undefined ? `, ${field.min ?? '..'}..${field.max ?? ''}` : ''
    const described = node?.description ? `: ${String(node.description)}` : ''
    const list = type === 'array' ? ` (append with ${field.path}/-)` : ''
    return `- ${field.path} (${type}${range}; ${MODE_TEXT[field.mode]})${list}${described}`
  })
}

/** The system message of a proposing request for a team's own harness data. */
export function proposeDataSystemMessage(count: number, bounds: GuardBounds, surface: DataSurface): string {
  return [
    PROPOSE_MARKER,
    `You improve an agent harness: the data around a model that makes it an agent (${surface.agentName ?? 'a custom agent'}: its`,
    'instructions, tool descriptions, limits). You get one recurring weakness found in failed agent runs and the',
    `harness's editable fields. Propose ${count} diverse, minimal edits that would stop this kind of failure on every`,
    'task of its kind. Give each edit a kind: prompt-rule (instructions), tool-wrapper (tools), planning-step,',
    'final-check, context-policy (limits and context).',
    '',
    'Each edit is a patch: a list of JSON Patch operations ("add", "replace", "remove") with JSON Pointer paths.',
    '"add" sets an object field whether or not it is there and inserts into arrays ("-" appends); "replace" and',
    '"remove" need an existing value. `*` below stands for any key.',
    'Editable fields (nothing else can change):',
    ...describeEditableFields(surface),
    '',
    `An edit is refused when it touches anything else, has more than ${bounds.maxOps} operations or ${bounds.maxPatchBytes}`,
    "bytes, names a task or repeats a task's instruction (fix the kind of mistake, not one task), takes anything",
    'away from a grow-only or never-remove field, sets a number out of its range, or changes nothing.',
    '',
    'Answer with one JSON object and nothing else:',
    '{"proposals": [{"kind": "prompt-rule", "rationale": "<why this fixes the weakness>",',
    '  "expectedFlips": ["<task id>"], "patch": [{"op": "replace", "path": "<an editable field>", "value": "<new value>"}]}]}',
  ].join('\n')
}

/** The messages of a first proposing request for a team's own harness data. */
export function proposeDataMessages(weakness: WeaknessLike, data: unknown, count: number, bounds: GuardBounds, surface: DataSurface): ChatMessage[] {
  return [
    { role: 'system', content: proposeDataSystemMessage(count, bounds, surface) },
    { role: 'user', content: proposeUserMessageWith(weakness, dataSurfaceValues(data, surface.editable), count) },
  ]
}
