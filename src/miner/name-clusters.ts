import { z } from 'zod'
import type { ChatMessage, ModelClient, ResponseFormat } from '../agent/model.js'
import { parseCompletion } from '../agent/response.js'
import { responseFormatOf } from '../agent/response-format.js'
import { parseCategory, WEAKNESS_CATEGORIES, WeaknessCategorySchema, type WeaknessCategory } from './categories.js'
import type { Cluster } from './cluster.js'
import { miningMessages } from './prompt.js'

/** The model's answer to a mining request, validated. */
export const ClusterNamingSchema = z.object({
  pattern: z.string().trim().min(3).max(300),
  category: z
    .string()
    .refine((text) => parseCategory(text) !== undefined, { message: `expected one of ${WEAKNESS_CATEGORIES.join(', ')}` })
    .transform((text) => parseCategory(text) as WeaknessCategory),
  explanation: z.string().trim().min(1).max(2000),
})
export type ClusterNaming = z.output<typeof ClusterNamingSchema>

/** The structured output a naming request asks for, from the same fields (the category as its exact names). */
export const NAMING_FORMAT: ResponseFormat = responseFormatOf(
  'cluster_naming',
  z.object({ pattern: z.string().min(3).max(300), category: WeaknessCategorySchema, explanation: z.string().min(1).max(2000) }),
)

/** Reads a model answer: the naming, or why it is unusable. Tolerates a code fence or text around the object. */
export function parseNaming(content: string | null): { ok: true; naming: ClusterNaming } | { ok: false; reason: string } {
  const text = (content ?? '').trim()
  const start = text.indexOf('{')
  const end = text.lastIndexOf('}')
  if (start < 0 || end < start) return { ok: false, reason: 'the answer holds no JSON object' }
  let raw: unknown
  try {
    raw = JSON.parse(text.slice(start, end + 1))
  } catch {
    return { ok: false, reason: 'the answer is not valid JSON' }
  }
  const parsed = ClusterNamingSchema.safeParse(raw)
  if (parsed.success) return { ok: true, naming: parsed.data }
  const issue = parsed.error.issues[0]
  return { ok: false, reason: `field \`${issue?.path.join('.') || '(root)'}\`: ${issue?.message ?? 'invalid'}` }
}

/** How naming one cluster went. */
export type NamingResult =
  | { ok: true; naming: ClusterNaming }
  | { ok: false; note: string; endpointFailed: boolean }

/**
 * Asks the model once to name a cluster; a malformed answer gets one retry that says what was wrong. The model
 * endpoint failing is reported, never thrown.
 */
export async function nameCluster(client: ModelClient, cluster: Cluster): Promise<NamingResult> {
  const messages: ChatMessage[] = miningMessages(cluster)
  let reason = ''
  for (let attempt = 0; attempt < 2; attempt++) {
    let content: string | null
    try {
      content = parseCompletion(await client.chat({ messages, responseFormat: NAMING_FORMAT })).content
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      return { ok: false, note: `The model could not be asked (${message}); kept the rules' naming.`, endpointFailed: true }
    }
    const parsed = parseNaming(content)
    if (parsed.ok) return parsed
    reason = parsed.reason
    messages.push(
      { role: 'assistant', content: content ?? '' },
      {
        role: 'user',
        content: `That answer is not usable: ${reason}. Answer again with only the JSON object {"pattern": "...", "category": "<one of the categories>", "explanation": "..."}.`,
      },
    )
  }
  return { ok: false, note: `The model's answer was malformed twice (${reason}); kept the rules' naming.`, endpointFailed: false }
}
