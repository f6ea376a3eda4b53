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
