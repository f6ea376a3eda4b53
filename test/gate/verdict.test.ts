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
