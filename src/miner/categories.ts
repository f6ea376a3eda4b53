import { z } from 'zod'

/** Ids of the kinds of weakness, as the article names them. */
export const WEAKNESS_CATEGORIES = [
  'no-tool-call',
  'prerequisite-missing',
  'context-lost',
  'verification-missing',
  'planning-order',
  'out-of-turns',
  'error-recovery',
  'capability-gap',
  'other',
] as const

/** A kind of weakness. */
export const WeaknessCategorySchema = z.enum(WEAKNESS_CATEGORIES)
export type WeaknessCategory = z.infer<typeof WeaknessCategorySchema>

/** Words for each category, for reports and prompts. */
export const CATEGORY_LABELS: Readonly<Record<WeaknessCategory, string>> = {
  'no-tool-call': 'no tool call',
  'prerequisite-missing': 'prerequisite missing',
  'context-lost': 'context lost',
  'verification-missing': 'verification missing',
  'planning-order': 'planning/order',
  'out-of-turns': 'out of turns',
  'error-recovery': 'error recovery',
  'capability-gap': 'capability gap',
  other: 'other',
}

const ALIASES: Readonly<Record<string, WeaknessCategory>> = {
  'tool-prerequisite-missing': 'prerequisite-missing',
  'missing-prerequisite': 'prerequisite-missing',
  'context-loss': 'context-lost',
  'missing-verification': 'verification-missing',
  planning: 'planning-order',
  order: 'planning-order',
  'planning-failure': 'planning-order',
  'max-turns': 'out-of-turns',
  'turn-limit': 'out-of-turns',
  'ran-out-of-turns': 'out-of-turns',
  'error-handling': 'error-recovery',
  'no-action': 'no-tool-call',
  'no-tool-calls': 'no-tool-call',
}

/** Reads a category as a model may write it (`Planning/Order`, `prerequisite missing`); undefined when unknown. */
export function parseCategory(text: string): WeaknessCategory | undefined {
  const id = text.trim().toLowerCase().replace(/[^a-z]+/g, '-').replace(/^-|-$/g, '')
  return WEAKNESS_CATEGORIES.find((category) => category === id) ?? ALIASES[id]
}
