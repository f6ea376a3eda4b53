import type { HarnessSpec } from '../harness/spec.js'
import type { ChatMessage } from './model.js'

/**
 * Applies the harness's context policy: the system message and the first user message always stay; of the rest,
 * only the last `maxMessages` are sent, never starting on a tool result cut off from its assistant turn.
 */
export function selectContext(messages: ChatMessage[], policy: HarnessSpec['context']): ChatMessage[] {
  const max = policy.maxMessages
  if (!max || messages.length <= max + 2) return messages
  const head = messages.slice(0, 2)
  let start = messages.length - max
  while (start < messages.length && messages[start]!.role === 'tool') start++
  return [...head, ...messages.slice(start)]
}

/** Cuts a tool result to the harness's limit, saying so. */
export function capText(text: string, maxChars: number): { text: string; truncated: boolean } {
  if (text.length <= maxChars) return { text, truncated: false }
  return { text: `${text.slice(0, maxChars)}\n[... truncated ${text.length - maxChars} chars]`, truncated: true }
}
