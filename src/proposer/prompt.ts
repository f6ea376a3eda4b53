import type { ChatMessage } from '../agent/model.js'
import type { HarnessSpec } from '../harness/spec.js'
import type { GuardBounds } from './guard-bounds.js'
import type { WeaknessLike } from './proposal.js'
import { editableSurface } from './surface.js'

/** Marker that opens the system message of a proposing request, so an endpoint can tell it from an agent turn. */
export const PROPOSE_MARKER = '[self-harness:propose]'
/** Heading of the user message's harness section; what precedes it describes the weakness. */
export const SURFACE_HEADING = 'Current harness (editable surface):'

const EVIDENCE_ITEMS = 8
const EVIDENCE_CHARS = 600

/** The system message of a proposing request: the task, the editable surface, the patch format, the guards. */
export function proposeSystemMessage(count: number, bounds: GuardBounds): string {
  const range = (r: { min: number; max: number }) => `${r.min}..${r.max}`
  return [
    PROPOSE_MARKER,
    'You improve an agent harness: the code around a model that makes it an agent (system prompt, standing rules,',
    'planning, tool wrappers, loop limits, context policy, final checks). You get one recurring weakness found in',
    `failed agent runs and the harness's editable surface. Propose ${count} diverse, minimal edits that would stop`,
    'this kind of failure on every task of its kind. Use a different kind for each edit where you can:',
    'prompt-rule, tool-wrapper, planning-step, final-check, context-policy.',
    '',
    'Each edit is a patch: a list of JSON Patch operations ("add", "replace", "remove") with JSON Pointer paths.',
    '"add" sets an object field whether or not it is there and inserts into arrays ("-" appends); "replace" and',
    '"remove" need an existing value.',
    'Editable paths (nothing else can change):',
    '- /systemPrompt; /rules/- (append a standing rule), /rules/<i>',
    '- /planning/enabled (true asks for a plan before the first action), /planning/template (with {steps})',
    '- /tools/<shell|read_file|write_file|finish>/description, /retries (0..5),',
    `  /timeoutMs (${range(bounds.toolTimeoutMs)} ms),`,
    '  /before/- : {"match": "<regex on the command or path>", "run": "<shell command the harness runs first>"},',
    '  /after/- : {"kind": "read-back"} | {"kind": "exit-code"} | {"kind": "run", "match": "<regex>", "run": "<command>"}',
    `- /limits/maxTurns (${range(bounds.maxTurns)}), /limits/commandTimeoutMs (${range(bounds.commandTimeoutMs)}),`,
    `  /limits/toolResultMaxChars (${range(bounds.toolResultMaxChars)})`,
    '- /context/restateInstructionEvery (repeat the task every N turns, 0 = never), /context/maxMessages',
    '- /finalChecks/- (add only): {"kind": "command", "run": "<command>", "message": "..."} | {"kind": "reflect", "prompt": "..."}',
    '- /maxFinishRejections (raise only)',
    '',
    `An edit is refused when it touches anything else, has more than ${bounds.maxOps} operations or ${bounds.maxPatchBytes}`,
    "bytes, names a task or repeats a task's instruction (fix the kind of mistake, not one task), removes or",
    'changes a final check or an after-check, or changes nothing.',
    '',
    'Answer with one JSON object and nothing else:',
    '{"proposals": [{"kind": "prompt-rule", "rationale": "<why this fixes the weakness>",',
    '  "expectedFlips": ["<task id>"], "patch": [{"op": "add", "path": "/rules/-", "value": "<rule>"}]}]}',
  ].join('\n')
}

/** The user message of a proposing request: the weakness, then the harness's editable surface as JSON. */
export function proposeUserMessage(weakness: WeaknessLike, spec: HarnessSpec, count: number): string {
  return proposeUserMessageWith(weakness, editableSurface(spec), count)
}

/** The user message of a proposing request, with the editable surface given as a value (ours or a team's). */
export function proposeUserMessageWith(weakness: WeaknessLike, surface: Record<string, unknown>, count: number): string {
  const evidence = weakness.evidence.slice(0, EVIDENCE_ITEMS).map((item) => `- ${clip(item).replace(/\n/g, '\n  ')}`)
  const examples = weakness.exampleTasks.map((id) => `- ${id}`)
  return [
    `Weakness ${weakness.id}: ${weakness.pattern}`,
    `Category: ${weakness.category}`,
    ...(weakness.explanation ? [`Explanation: ${weakness.explanation}`] : []),
    'Evidence:',
    ...(evidence.length ? evidence : ['- (none)']),
    'Example tasks:',
    ...(examples.length ? examples : ['- (none)']),
    '',
    SURFACE_HEADING,
    '```json',
    JSON.stringify(surface, null, 2),
    '```',
    '',
    `Propose ${count} edits.`,
  ].join('\n')
}

/** The messages of a first proposing request. */
export function proposeMessages(weakness: WeaknessLike, spec: HarnessSpec, count: number, bounds: GuardBounds): ChatMessage[] {
  return [
    { role: 'system', content: proposeSystemMessage(count, bounds) },
    { role: 'user', content: proposeUserMessage(weakness, spec, count) },
  ]
}

/** The follow-up asking the model to answer again after an unusable reply. */
export function retryMessage(problems: readonly string[]): string {
  return [
    'Your answer could not be used:',
    ...problems.slice(0, 10).map((p) => `- ${p}`),
    'Answer again with one JSON object {"proposals": [...]} and nothing else, every proposal with kind, rationale,',
    'expectedFlips and patch.',
  ].join('\n')
}

const clip = (text: string): string => (text.length > EVIDENCE_CHARS ? `${text.slice(0, EVIDENCE_CHARS - 3)}...` : text)
