import type { ChatMessage } from '../agent/model.js'
import { CATEGORY_LABELS, WEAKNESS_CATEGORIES } from './categories.js'
import type { Cluster } from './cluster.js'

/** Marker that opens the system message of a mining request. */
export const MINE_MARKER = '[self-harness:mine]'

const MEANINGS: Record<(typeof WEAKNESS_CATEGORIES)[number], string> = {
  'no-tool-call': 'the agent made no tool call at all: it answered in text and stopped',
  'prerequisite-missing': 'a step needs something never set up first (configuration, identity, permissions, a tool)',
  'context-lost': 'a value or constraint given early is lost or changed later in a long conversation',
  'verification-missing': 'the agent declares done without checking that its work landed',
  'planning-order': 'steps done in the wrong order, or work not planned',
  'out-of-turns': 'the run used every turn allowed (maxTurns) before finishing',
  'error-recovery': 'a timeout or failing command is not handled: the agent gives up or loops',
  'capability-gap': 'the run looks right to the agent but the result is wrong; no harness change would help',
  other: 'none of the above',
}

/** The system message of a mining request. */
export function miningSystemPrompt(): string {
  return [
    `${MINE_MARKER} You analyse the failures of an AI agent that runs under a harness (system prompt, tools, loop limits, checks).`,
    'You get one cluster of failed trials that share a failure signature, with features and excerpts from their traces.',
    'Name the recurring weakness in one short sentence (the pattern), choose its category, and explain in one or two',
    'sentences why the agent fails this way. Describe the behaviour, not a task: no task names.',
    '',
    'Categories:',
    ...WEAKNESS_CATEGORIES.map((c) => `- ${c} (${CATEGORY_LABELS[c]}): ${MEANINGS[c]}`),
    '',
    'Answer with only a JSON object: {"pattern": "...", "category": "<one of the categories>", "explanation": "..."}',
  ].join('\n')
}

/** The cluster as the model is shown it: signature, features, evidence excerpts and example task ids. */
export function clusterBrief(cluster: Cluster): Record<string, unknown> {
  const { sample } = cluster
  return {
    signature: cluster.key,
    traceSignatures: cluster.signatures.slice(0, 5),
    frequency: cluster.frequency,
    impact: cluster.impact,
    features: {
      failingCommands: cluster.heads.slice(0, 5),
      command: sample.cause?.command ?? null,
      error: sample.cause?.errorKey ?? null,
      errors: sample.errors,
      lastSteps: sample.lastSteps,
      ended: sample.end,
      assertion: sample.assertion,
      toolTimedOut: sample.toolTimedOut,
      runTimedOut: sample.runTimedOut,
      maxTurns: sample.maxTurns,
      readBackMismatch: sample.mismatch,
      unverifiedWrite: sample.unverifiedWrite,
      longConversation: sample.longConversation,
      conversationLength: sample.conversationLength,
      valueFromInstructionUnused: sample.lostValue,
      finishRejected: sample.finishRejected,
    },
    evidence: cluster.evidence,
    exampleTasks: cluster.exampleTasks,
  }
}

/** The messages of the request that asks the model to name one cluster. */
export function miningMessages(cluster: Cluster): ChatMessage[] {
  return [
    { role: 'system', content: miningSystemPrompt() },
    {
      role: 'user',
      content: `Name and explain this cluster of failed trials.\n\n\`\`\`json\n${JSON.stringify(clusterBrief(cluster), null, 2)}\n\`\`\``,
    },
  ]
}
