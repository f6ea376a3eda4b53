import { describe, expect, it } from 'vitest'
import { exitCodeFor, verdictJsonSchema } from '../../src/gate/verdict.js'

describe('verdict format', () => {
  it('maps each status to its exit code', () => {
    expect(exitCodeFor('accepted')).toBe(0)
    expect(exitCodeFor('regression')).toBe(1)
    expect(exitCodeFor('no-gain')).toBe(1)
    expect(exitCodeFor('not-comparable')).toBe(3)
    expect(exitCodeFor('insufficient-evidence')).toBe(3)
  })

  it('exports a JSON Schema with the versioned header and every status', () => {
    const schema = verdictJsonSchema() as {
      type: string
      properties: Record<string, { const?: unknown; enum?: unknown[] }>
      required: string[]
    }
    expect(schema.type).toBe('object')
    expect(schema.properties.schemaVersion?.const).toBe(1)
    expect(schema.properties.kind?.const).toBe('self-harness/verdict')
    expect(schema.properties.status?.enum).toEqual([
      'accepted',
      'regression',
      'no-gain',
      'not-comparable',
      'insufficient-evidence',
    ])
    expect(schema.required).toContain('tasks')
  })
})

describe('pass@k and pass^k', () => {
  it('uses the unbiased estimators over the trials kept', async () => {
    const { passK } = await import('../../src/gate/pass-k.js')
    // n = 5, c = 3, k = 2: pass@2 = 1 - C(2,2)/C(5,2) = 0.9; pass^2 = C(3,2)/C(5,2) = 0.3.
    expect(passK(5, 3, 2).passAtK).toBeCloseTo(0.9, 12)
    expect(passK(5, 3, 2).passHatK).toBeCloseTo(0.3, 12)
    expect(passK(3, 3, 3)).toEqual({ passAtK: 1, passHatK: 1 })
    expect(passK(2, 1, 3)).toEqual({ passAtK: null, passHatK: null })
  })
})
