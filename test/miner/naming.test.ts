import { describe, expect, it } from 'vitest'
import { parseCategory } from '../../src/miner/categories.js'
import { parseNaming } from '../../src/miner/name-clusters.js'

describe('reading the model answer', () => {
  it('reads categories as a model may write them', () => {
    expect(parseCategory('planning/order')).toBe('planning-order')
    expect(parseCategory('Tool prerequisite missing')).toBe('prerequisite-missing')
    expect(parseCategory(' Context Lost ')).toBe('context-lost')
    expect(parseCategory('luck')).toBeUndefined()
  })

  it('accepts the object inside a code fence or text, and says what is wrong otherwise', () => {
    expect(parseNaming('Sure:\n```json\n{"pattern": "forgets git identity", "category": "prerequisite missing", "explanation": "No user.name."}\n```')).toEqual({
      ok: true,
      naming: { pattern: 'forgets git identity', category: 'prerequisite-missing', explanation: 'No user.name.' },
    })
    expect(parseNaming(null)).toEqual({ ok: false, reason: 'the answer holds no JSON object' })
    expect(parseNaming('{"pattern": "x",}')).toEqual({ ok: false, reason: 'the answer is not valid JSON' })
    expect(parseNaming('{"pattern": "a pattern", "category": "other"}')).toMatchObject({ ok: false, reason: expect.stringMatching(/^field `explanation`/) })
  })
})
