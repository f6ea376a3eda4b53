import type { HarnessSpec } from '../harness/spec.js'

/** The planning turn's request, and what follows the plan. */
export const PLAN_REQUEST = 'Write your plan now, using the planning template. Do not act yet.'
export const PLAN_FOLLOW_UP = 'Now carry out your plan.'
/** Prefix of the instruction restated by the context policy. */
export const RESTATE_PREFIX = 'Reminder of the task: '

/** The system message a harness sends (see docs/agent-protocol.md). */
export function buildSystemPrompt(spec: HarnessSpec): string {
  let prompt = spec.systemPrompt
  if (spec.rules.length) prompt += `\n\nRules:\n${spec.rules.map((rule) => `- ${rule}`).join('\n')}`
  if (spec.planning.enabled) {
    prompt += `\n\nPlanning: before your first action, write a plan using this template:\n${spec.planning.template}`
  }
  return prompt
}

/** What the model is told when the server refused its last answer (the answer never reached the loop). */
export function rejectedOutputMessage(reason: string): string {
  return `The model server could not read your last answer (${reason.slice(0, 300)}). Answer again: call the tools with arguments that are one JSON object each, with no text after a call, or call finish.`
}

/** What the model is told when its last answer was cut at the token limit. */
export function cutAnswerMessage(): string {
  return 'Your last answer was cut at the token limit before it ended, so none of its tool calls were run. Send a shorter answer: fewer or smaller tool calls.'
}

/** What the model is told when its answer held more tool calls than are run at once. */
export function droppedCallsMessage(dropped: number, max: number): string {
  return `${dropped} more tool call(s) of your last answer were not run: at most ${max} are run per answer. Send the remaining calls again if they are still needed.`
}
