import { hashOf } from '../../src/json.js'
import type { Outcome, RunRecord, TaskRecord, Trial } from '../../src/record/schema.js'

const OUTCOMES: Record<string, Outcome> = { p: 'pass', f: 'fail', e: 'error' }

/** One trial with the given outcome. */
export function trial(index: number, outcome: Outcome): Trial {
  return { index, outcome, durationMs: 1, tokens: { prompt: 0, completion: 0 }, turns: 1, toolCalls: 0 }
}

/** A task from a string of outcomes: `p` pass, `f` fail, `e` error, e.g. `ppf`. */
export function task(id: string, outcomes: string): TaskRecord {
  return {
    id,
    file: `tasks/${id.split(' > ')[0]}.test.ts`,
    name: id,
    trials: [...outcomes].map((ch, i) => trial(i, OUTCOMES[ch] ?? 'error')),
  }
}

/** A run record from `{ taskId: outcomes }`; the task-set hash is the hash of the sorted ids. */
export function run(tasks: Record<string, string>, overrides: Partial<RunRecord> = {}): RunRecord {
  const ids = Object.keys(tasks)
  const trials = Math.max(1, ...Object.values(tasks).map((o) => o.length))
  return {
    schemaVersion: 1,
    kind: 'self-harness/run-record',
    createdAt: '2026-01-01T00:00:00.000Z',
    harness: { name: 'baseline', id: 'h-base' },
    model: 'sim-model',
    taskSetHash: hashOf([...ids].sort()),
    trials,
    tasks: ids.map((id) => task(id, tasks[id]!)),
    ...overrides,
  }
}

/** `count` tasks named `stable-<i>` with the same outcomes, to pad a record. */
export function stable(count: number, outcomes: string): Record<string, string> {
  return Object.fromEntries(Array.from({ length: count }, (_, i) => [`stable-${String(i).padStart(3, '0')}`, outcomes]))
}
