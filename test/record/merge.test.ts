import { describe, expect, it } from 'vitest'
import { completeTasks, foreignRecordReason, rebaseRecord, tasksNotRun } from '../../src/record/merge.js'
import type { Trial } from '../../src/record/schema.js'
import { buildRecord } from '../../src/record/store.js'

const trial = (index: number, extra: Partial<Trial> = {}): Trial => ({ index, outcome: 'pass', durationMs: 1, tokens: { prompt: 0, completion: 0 }, turns: 1, toolCalls: 0, ...extra })

describe('completeTasks', () => {
  it('joins the finished trials known from the journal and records every unfinished trial as an error with the reason', () => {
    const tasks = completeTasks({
      tasks: [{ id: 'a', file: 'a.test.ts', name: 'a', trials: [trial(1)] }],
      unfinished: [{ id: 'b', file: 'b.test.ts', name: 'b', trials: [] }],
      known: [new Map([['a', [trial(0, { tracePath: '/out/traces/x.jsonl' })]], ['b', [trial(1)]]])],
      trials: 3,
      recordDir: '/out/runs',
      reason: 'the worker died',
    })
    expect(tasks[0]!.trials.map((t) => t.index)).toEqual([0, 1])
    expect(tasks[0]!.trials[0]!.tracePath).toBe('../traces/x.jsonl')
    expect(tasks[1]!.trials.map((t) => [t.index, t.outcome, t.reason])).toEqual([
      [0, 'error', 'the worker died'],
      [1, 'pass', undefined],
      [2, 'error', 'the worker died'],
    ])
  })

  it('keeps only the finished trials of an interrupted run', () => {
    const tasks = completeTasks({ tasks: [], unfinished: [{ id: 'b', file: 'b', name: 'b', trials: [] }, { id: 'c', file: 'c', name: 'c', trials: [trial(0)] }], known: [], trials: 2, recordDir: '/', reason: undefined })
    expect(tasks.map((t) => [t.id, t.trials.length])).toEqual([['c', 1]])
  })
})

describe('tasks kept from an earlier record', () => {
  const previous = buildRecord({
    harness: { name: 'h', id: 'id1' },
    model: 'm',
    trials: 1,
    tasks: ['a', 'b', 'gone'].map((id) => ({ id, file: `${id}.test.ts`, name: id, trials: [trial(0, { tracePath: `../traces/${id}.jsonl` })] })),
  })

  it('are those that did not run and still belong to the suite, their trace paths rebased', () => {
    const kept = tasksNotRun(new Set(['a']), previous, (task) => task.id !== 'gone', '/out/runs', '/elsewhere')
    expect(kept.map((t) => t.id)).toEqual(['b'])
    expect(kept[0]!.trials[0]!.tracePath).toBe('../out/traces/b.jsonl')
  })

  it('come only from a record of the same harness version and model', () => {
    expect(foreignRecordReason(previous, { harnessId: 'id1', model: 'm' })).toBeUndefined()
    expect(foreignRecordReason(previous, { harnessId: 'id2', model: 'm' })).toBe('harness id1, not id2')
    expect(foreignRecordReason(previous, { harnessId: 'id1', model: 'n' })).toBe('model m, not n')
  })

  it('keep pointing at the same traces when the record is copied to another folder', () => {
    const copied = rebaseRecord(previous, '/repo/.self-harness/runs', '/repo')
    expect(copied.tasks[0]!.trials[0]!.tracePath).toBe('.self-harness/traces/a.jsonl')
  })
})
