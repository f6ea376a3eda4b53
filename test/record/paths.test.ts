import { describe, expect, it } from 'vitest'
import { journalPathFor, latestRecordPathFor, modelSlug, outputDirOf, recordPathFor, runId, runPaths, traceFileFor } from '../../src/record/paths.js'

describe('record paths', () => {
  it('keys a record by harness and model, beside the plain name of the latest record', () => {
    const paths = runPaths('/p/.self-harness', 'baseline', 'gpt-4o-mini', 'r1')
    expect(paths.recordFile).toBe('/p/.self-harness/runs/baseline@gpt-4o-mini.json')
    expect(paths.latestFile).toBe('/p/.self-harness/runs/baseline.json')
    expect(paths.journalFile).toBe('/p/.self-harness/runs/baseline@gpt-4o-mini.journal.jsonl')
    expect(paths.lockFile).toBe('/p/.self-harness/self-harness.lock')
    expect(paths.traceDir).toBe('/p/.self-harness/traces/baseline@gpt-4o-mini/r1')
    expect(outputDirOf(paths.recordFile)).toBe('/p/.self-harness')
    expect(journalPathFor(recordPathFor('/o', 'h', 'm'))).toBe('/o/runs/h@m.journal.jsonl')
    expect(latestRecordPathFor('/o', 'h')).toBe('/o/runs/h.json')
  })

  it('gives every model its own safe file name', () => {
    const models = ['openai/gpt-4o', 'openai_gpt-4o', 'llama3:8b', 'a b', '..', '', 'x'.repeat(200), 'm\u00e9t\u00e9o', 'a@b']
    const slugs = models.map(modelSlug)
    expect(new Set(slugs).size).toBe(models.length)
    for (const slug of slugs) {
      expect(slug).toMatch(/^[\w.-]+$/)
      expect(slug).not.toMatch(/^\.+$/)
      expect(slug.length).toBeLessThanOrEqual(80)
    }
    expect(modelSlug('sim-steady')).toBe('sim-steady')
  })

  it('gives tasks whose names slug alike their own trace files', () => {
    const a = traceFileFor('/t', 'tasks/a.test.ts > b c', 0)
    const b = traceFileFor('/t', 'tasks/a.test.ts > b_c', 0)
    const long = (s: string) => traceFileFor('/t', `${'x'.repeat(300)}${s}`, 0)
    expect(a).not.toBe(b)
    expect(long('1')).not.toBe(long('2'))
    expect(traceFileFor('/t', 'x', 2, 1)).toMatch(/\/trial-2-1\.jsonl$/)
  })

  it('names runs apart by start time and process', () => {
    const at = new Date('2026-01-02T03:04:05.678Z')
    expect(runId(at, 42)).toBe('20260102T030405Z-42')
    expect(runId(at, 43)).not.toBe(runId(at, 42))
  })
})
