import { CATEGORY_LABELS, type WeaknessCategory } from './categories.js'
import type { TraceFeatures } from './features.js'
import type { Frequency } from './schema.js'

/** What the rules know about a cluster when they name it. */
export interface ClusterCues {
  category: WeaknessCategory
  /** Distinct heads of the failing commands, most frequent first. */
  heads: string[]
  /** Features of the cluster's representative trace. */
  sample: TraceFeatures
  frequency: Frequency
}

const ENDINGS: Record<string, string> = {
  finish: ' and the agent gives up (calls finish)',
  'max-turns': ' and the agent keeps going until it runs out of turns',
  timeout: ' and the run times out',
}

/** A one-line pattern for a cluster, from its features alone. */
export function rulesPattern(cues: ClusterCues): string {
  const { sample, heads } = cues
  if (sample.noAction) return sample.lastMessage ? `Makes no tool call and stops; the model says: "${sample.lastMessage.slice(0, 120)}"` : 'Makes no tool call at all'
  const shown = heads.slice(0, 3).map((h) => (h === '<script>' ? 'a local script' : `\`${h}\``))
  const commands = shown.length ? capitalize(shown.join(', ') + (heads.length > 3 ? ', ...' : '')) : 'A command'
  const many = shown.length > 1
  const assertion = sample.assertion ? ` (${sample.assertion})` : ''
  if (sample.cause) {
    const ending = ENDINGS[sample.end] ?? ''
    if (sample.cause.errorKey === 'timed out') return `${commands} ${many ? 'time' : 'times'} out${ending}`
    return `${commands} ${many ? 'fail' : 'fails'} with "${sample.cause.errorKey}"${ending}`
  }
  if (sample.runTimedOut) return 'The run passes its time limit'
  if (sample.mismatch) return 'Finishes although the harness read-back reported a MISMATCH'
  if (sample.lostValue && sample.longConversation) return `Uses a wrong value from the instruction late in a long conversation${assertion}`
  if (sample.unverifiedWrite) return `Writes a file and finishes without reading it back; the result is wrong${assertion}`
  if (sample.longConversation && sample.assertionKind === 'value') return `Ends a long conversation with a wrong value${assertion}`
  if (sample.maxTurns) return 'Runs out of turns before finishing'
  if (sample.assertion) return `Finishes cleanly but the result is wrong${assertion}`
  return `Fails with no telling trace (${sample.signature})`
}

const WHY: Record<WeaknessCategory, string> = {
  'no-tool-call': 'The model never acts on the workspace: it answers in text (or calls only finish). Check that the endpoint supports tool calls and that the model knows how to start the task; a harness rule rarely fixes this.',
  'prerequisite-missing': 'A command fails because something it needs was not set up first (configuration, permissions, an installed tool).',
  'context-lost': 'A value given early in the instruction is no longer used correctly once the conversation has grown.',
  'verification-missing': 'The agent declares the task done without checking that its changes landed as intended.',
  'planning-order': 'A step runs before the step that prepares what it uses.',
  'out-of-turns': 'The run uses every turn the harness allows (maxTurns) without finishing: the work takes more turns than allowed, or the agent loops.',
  'error-recovery': 'A failure (a timeout or a failing command) is not handled: the agent stops instead of retrying or fixing it.',
  'capability-gap': 'The run looks clean and the agent believes it is right, yet the result is wrong: possibly beyond the model.',
  other: 'The traces show no single telling cause.',
}

/** A short explanation for a cluster, from its category and frequency. */
export function rulesExplanation(cues: ClusterCues): string {
  const { failures, tasks, ofTasks } = cues.frequency
  return `${WHY[cues.category]} Seen in ${failures} failure${failures === 1 ? '' : 's'} across ${tasks} of ${ofTasks} tasks (${CATEGORY_LABELS[cues.category]}).`
}

const capitalize = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1)
