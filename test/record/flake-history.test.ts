import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ConfigurationError } from '../../src/errors.js'
import { seededRandom } from '../../src/gate/prng.js'
import {
  FlakeHistorySchema,
  emptyFlakeHistory,
  estimateFlipRate,
  readFlakeHistory,
  tooFlakyToBlock,
  updateFlakeHistory,
  writeFlakeHistory,
  type FlakeHistory,
} from '../../src/record/flake-history.js'
import type { RunRecord } from '../../src/record/schema.js'
import { run } from '../gate/records.js'

const at = (day: number) => `2026-01-${String(day).padStart(2, '0')}T00:00:00.000Z`

function fold(records: RunRecord[]): FlakeHistory {
  return records.reduce(updateFlakeHistory, emptyFlakeHistory())
}

function entry(history: FlakeHistory, id: string) {
  const found = history.tasks.find((t) => t.id === id)
  if (!found) throw new Error(`no task ${id} in the history`)
  return found
}

describe('updateFlakeHistory', () => {
  it('folds several records into per-task runs, valid trials, passes and mixed runs', () => {
    const history = fold([
      run({ a: 'ppf', b: 'ppp', c: 'pe' }, { createdAt: at(1) }),
      run({ a: 'fff', b: 'ppp', c: 'fp' }, { createdAt: at(2) }),
      run({ a: 'pfe', b: 'ppp', c: 'ee' }, { createdAt: at(3) }),
    ])
    expect(FlakeHistorySchema.parse(history)).toEqual(history)
    expect(history.runs).toBe(3)
    expect(history.updatedAt).toBe(at(3))
    expect(entry(history, 'a')).toEqual({ id: 'a', runs: 3, trials: 8, passes: 3, mixedRuns: 2, updatedAt: at(3) })
    expect(entry(history, 'b')).toEqual({ id: 'b', runs: 3, trials: 9, passes: 9, mixedRuns: 0, updatedAt: at(3) })
    // Error trials are left out; a run whose only valid trial passed is not mixed.
    expect(entry(history, 'c')).toEqual({ id: 'c', runs: 3, trials: 3, passes: 2, mixedRuns: 1, updatedAt: at(3) })
  })

  it('does not change its input and ignores a record folded twice', () => {
    const empty = emptyFlakeHistory()
    const record = run({ a: 'pf' }, { createdAt: at(1) })
    const once = updateFlakeHistory(empty, record)
    expect(empty).toEqual(emptyFlakeHistory())
    expect(updateFlakeHistory(once, record)).toBe(once)
    expect(entry(updateFlakeHistory(once, { ...record, createdAt: at(2) }), 'a').runs).toBe(2)
  })

  it('keeps a task id such as __proto__ as an ordinary task', () => {
    const record = run({ x: 'pf' })
    record.tasks[0]!.id = '__proto__'
    const history = updateFlakeHistory(emptyFlakeHistory(), record)
    expect(history.tasks.map((t) => t.id)).toEqual(['__proto__'])
    expect(FlakeHistorySchema.parse(JSON.parse(JSON.stringify(history)))).toEqual(history)
  })
})

describe('tooFlakyToBlock', () => {
  it('marks tasks whose flip rate over all their trials is above the threshold, with enough trials', () => {
    const random = seededRandom(5)
    const outcomes = (rate: number, k: number) =>
      Array.from({ length: k }, () => (random() < rate ? 'p' : 'f')).join('')
    const records = Array.from({ length: 4 }, (_, r) =>
      run(
        { coin: outcomes(0.5, 5), steady: 'ppppp', rare: r === 0 ? 'ppppf' : 'ppppp', short: r === 0 ? 'pf' : '' },
        { createdAt: at(r + 1) },
      ),
    )
    const history = fold(records)
    const coin = entry(history, 'coin')
    expect(estimateFlipRate(coin.passes, coin.trials)).toBeGreaterThan(0.3)
    // rare: 1 fail in 20 trials, flip rate 2 * 19 / (20 * 19) = 0.1; short: 2 trials only.
    expect(estimateFlipRate(entry(history, 'rare').passes, entry(history, 'rare').trials)).toBeCloseTo(0.1, 12)
    expect(tooFlakyToBlock(history)).toEqual(['coin'])
    expect(tooFlakyToBlock(history, { maxFlipRate: 0.05 })).toEqual(['coin', 'rare'])
    expect(tooFlakyToBlock(history, { minTrials: 2 })).toEqual(['coin', 'short'])
    expect(tooFlakyToBlock(history, { minTrials: 21 })).toEqual([])
  })

  it('refuses bad options, naming the field', () => {
    expect(() => tooFlakyToBlock(emptyFlakeHistory(), { maxFlipRate: 2 })).toThrow(/`maxFlipRate`/)
    expect(() => tooFlakyToBlock(emptyFlakeHistory(), { minTrials: 1 })).toThrow(/`minTrials`/)
  })
})

describe('estimateFlipRate', () => {
  it('is the share of disagreeing pairs: 2p(1-p)n/(n-1)', () => {
    expect(estimateFlipRate(1, 2)).toBe(1)
    expect(estimateFlipRate(3, 8)).toBeCloseTo(15 / 28, 12)
    expect(estimateFlipRate(5, 5)).toBe(0)
    expect(estimateFlipRate(1, 1)).toBeNull()
  })
})

describe('reading and writing the history file', () => {
  let dir = ''
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flake-history-'))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('reads a missing file as an empty history', async () => {
    expect(await readFlakeHistory(join(dir, 'none.json'))).toEqual(emptyFlakeHistory())
  })

  it('writes atomically and reads back what it wrote', async () => {
    const file = join(dir, 'nested', 'flake-history.json')
    const history = fold([run({ a: 'pf', b: 'pp' }, { createdAt: at(1) })])
    await writeFlakeHistory(file, history)
    await writeFlakeHistory(file, updateFlakeHistory(history, run({ a: 'ff', b: 'pp' }, { createdAt: at(2) })))
    const back = await readFlakeHistory(file)
    expect(back.runs).toBe(2)
    expect(entry(back, 'a')).toMatchObject({ runs: 2, trials: 4, passes: 1, mixedRuns: 1 })
    expect(await readdir(join(dir, 'nested'))).toEqual(['flake-history.json'])
  })

  it('refuses to write an invalid history and keeps the file as it was', async () => {
    const file = join(dir, 'flake-history.json')
    const history = fold([run({ a: 'pf' }, { createdAt: at(1) })])
    await writeFlakeHistory(file, history)
    const before = await readFile(file, 'utf8')
    const broken = { ...history, tasks: [{ ...entry(history, 'a'), passes: -1 }] }
    await expect(writeFlakeHistory(file, broken)).rejects.toMatchObject({ field: 'tasks[0].passes' })
    expect(await readFile(file, 'utf8')).toBe(before)
  })

  it('refuses a corrupt file, naming the file', async () => {
    const file = join(dir, 'flake-history.json')
    await writeFile(file, '{"schemaVersion": 1, "kind": "self-harness/fla')
    const error = await readFlakeHistory(file).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConfigurationError)
    expect(error).toMatchObject({ code: 'RECORD_INVALID', file, field: '(root)' })
    expect((error as Error).message).toContain(file)
  })

  it('refuses a file of the wrong schema, naming the field', async () => {
    const file = join(dir, 'flake-history.json')
    const history = fold([run({ a: 'pf' }, { createdAt: at(1) })])
    const cases: Array<[unknown, string]> = [
      [{ ...history, kind: 'self-harness/run-record' }, 'kind'],
      [{ ...history, schemaVersion: 2 }, 'schemaVersion'],
      [{ ...history, tasks: [{ ...entry(history, 'a'), trials: 'two' }] }, 'tasks[0].trials'],
      [{ ...history, tasks: [{ ...entry(history, 'a'), passes: 9 }] }, 'tasks[0].passes'],
      [{ ...history, tasks: [entry(history, 'a'), entry(history, 'a')] }, 'tasks[1].id'],
      [{ ...history, extra: true }, '(root)'],
    ]
    for (const [content, field] of cases) {
      await writeFile(file, JSON.stringify(content))
      const error = await readFlakeHistory(file).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(ConfigurationError)
      expect(error).toMatchObject({ file, field })
      expect((error as Error).message).toContain(`\`${field}\``)
    }
  })
})
