import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  baselineHistoryPathFor,
  foldBaselineHistory,
  readBaselineHistory,
  writeBaselineHistory,
} from '../../src/record/baseline-history.js'
import { run } from '../gate/records.js'

const sample = (name: string) => resolve(import.meta.dirname, '../../fixtures/formats', name)

describe('baseline history', () => {
  it('accumulates valid trials of one harness and model, and ignores a record folded twice', () => {
    const first = run({ a: 'ppe', b: 'fff' })
    const once = foldBaselineHistory(undefined, first)
    const twice = foldBaselineHistory(foldBaselineHistory(once, first), { ...first, createdAt: '2026-02-01T00:00:00.000Z' })
    expect(once.tasks).toEqual([
      { id: 'a', runs: 1, trials: 2, passes: 2 },
      { id: 'b', runs: 1, trials: 3, passes: 0 },
    ])
    expect(twice.runs).toBe(2)
    expect(twice.tasks[0]).toEqual({ id: 'a', runs: 2, trials: 4, passes: 4 })
  })

  it('starts afresh for another harness version or model: their trials say nothing about this one', () => {
    const history = foldBaselineHistory(undefined, run({ a: 'ppp' }))
    const other = foldBaselineHistory(history, run({ a: 'f' }, { harness: { name: 'baseline', id: 'h-new' } }))
    expect(other).toMatchObject({ runs: 1, harness: { id: 'h-new' }, tasks: [{ id: 'a', trials: 1, passes: 0 }] })
    expect(foldBaselineHistory(history, run({ a: 'f' }, { model: 'other' })).runs).toBe(1)
  })

  it('lives beside the baseline file', () => {
    expect(baselineHistoryPathFor('ci/self-harness.baseline.json')).toBe('ci/self-harness.baseline.history.json')
  })

  it('reads the sample format, refuses a broken one naming the file and the field, and writes atomically', async () => {
    const history = await readBaselineHistory(sample('baseline-history.v1.json'))
    expect(history?.tasks).toHaveLength(2)
    await expect(readBaselineHistory(sample('baseline-history.v1.broken-field.json'))).rejects.toThrow(
      /baseline-history\.v1\.broken-field\.json: field `tasks\[1\]\.passes`/,
    )
    const dir = await mkdtemp(join(tmpdir(), 'history-'))
    try {
      expect(await readBaselineHistory(join(dir, 'missing.json'))).toBeUndefined()
      await writeBaselineHistory(join(dir, 'h.json'), history!)
      expect(await readBaselineHistory(join(dir, 'h.json'))).toEqual(history)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
