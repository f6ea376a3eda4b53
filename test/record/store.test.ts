import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { commitRecord } from '../../src/record/commit.js'
import { appendJournal, readJournal, type JournalEntry } from '../../src/record/journal.js'
import { recordableTrial } from '../../src/record/sanitize.js'
import type { RunRecord, Trial } from '../../src/record/schema.js'
import { buildRecord, findPreviousRecord, readRecord, writeRecord } from '../../src/record/store.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'record-store-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

const trial = (index: number, outcome: Trial['outcome'] = 'pass'): Trial => ({ index, outcome, durationMs: 10 + index, tokens: { prompt: 5, completion: 1 }, turns: 1, toolCalls: 1 })
const record = (trials: Trial[][], model = 'm'): RunRecord =>
  buildRecord({ harness: { name: 'h', id: 'id1' }, model, trials: 2, tasks: trials.map((list, i) => ({ id: `t${i}`, file: 'f.test.ts', name: `t${i}`, trials: list })) })
const entry = (taskId: string, t: Trial): JournalEntry => ({ schemaVersion: 1, harnessId: 'id1', model: 'm', taskId, trial: t })

describe('a trial the schema refuses', () => {
  const bad: Array<[string, unknown, string]> = [
    ['a token count that is a string', { ...trial(0), tokens: { prompt: '12', completion: 1 } }, 'tokens.prompt'],
    ['a negative token count', { ...trial(0), tokens: { prompt: -3, completion: 1 } }, 'tokens.prompt'],
    ['a fractional token count', { ...trial(0), tokens: { prompt: 1.5, completion: 1 } }, 'tokens.prompt'],
    ['a token count past the safe integers', { ...trial(0), tokens: { prompt: 1e308, completion: 1 } }, 'tokens.prompt'],
    ['a turn count that is not a number', { ...trial(0), turns: Number.NaN }, 'turns'],
    ['an unknown outcome', { ...trial(0), outcome: 'maybe' }, 'outcome'],
    ['a reason that is an object', { ...trial(0), reason: { text: 'x' } }, 'reason'],
    ['a field it does not know', { ...trial(0), extra: 1 }, '(root)'],
  ]
  it.each(bad)('with %s becomes an error naming the field', (_, raw, field) => {
    const out = recordableTrial(raw, 4)
    expect(out.outcome).toBe('error')
    expect(out.index).toBe(0)
    expect(out.reason).toContain(`field \`${field}\``)
    expect(out.tokens).toEqual({ prompt: 0, completion: 0 })
  })

  it('keeps its place when even the index is broken', () => {
    expect(recordableTrial({ index: -1 }, 4).index).toBe(4)
    expect(recordableTrial(null, 2)).toMatchObject({ index: 2, outcome: 'error' })
  })

  it('never makes a record unreadable: buildRecord keeps the others, and the record reads back', async () => {
    const built = buildRecord({
      harness: { name: 'h', id: 'id1' },
      model: 'm',
      trials: 2,
      tasks: [{ id: 't0', file: 'f', name: 't0', trials: [trial(0), { ...trial(1), tokens: { prompt: '7' as unknown as number, completion: 0 } }] }],
    })
    const file = join(dir, 'r.json')
    await writeRecord(file, built)
    const back = await readRecord(file)
    expect(back.tasks[0]!.trials.map((t) => t.outcome)).toEqual(['pass', 'error'])
    expect(back.tasks[0]!.trials[1]!.reason).toContain('tokens.prompt')
  })

  it('is journaled as an error, so the journal stays readable', async () => {
    const file = join(dir, 'j.jsonl')
    appendJournal(file, entry('t0', trial(0)))
    appendJournal(file, entry('t0', { ...trial(1), durationMs: -5 }))
    const journal = await readJournal(file, { harnessId: 'id1', model: 'm' })
    expect(journal.trials.get('t0')!.map((t) => t.outcome)).toEqual(['pass', 'error'])
  })
})

describe('writeRecord', () => {
  it('refuses a record its reader would refuse, naming the field, and leaves the file as it was', async () => {
    const file = join(dir, 'r.json')
    await writeRecord(file, record([[trial(0)]]))
    const before = await readFile(file, 'utf8')
    const broken = { ...record([[trial(0)]]), tasks: [{ id: '', file: 'f', name: '', trials: [] }] }
    await expect(writeRecord(file, broken)).rejects.toThrow(/Refusing to write the run record .*r\.json: field `tasks\[0\]\.id`/)
    expect(await readFile(file, 'utf8')).toBe(before)
  })
})

describe('commitRecord', () => {
  it('removes the journal once the record that reads back holds all its trials, and writes the copies', async () => {
    const recordFile = join(dir, 'runs', 'h@m.json')
    const journalFile = join(dir, 'runs', 'h@m.journal.jsonl')
    const copy = join(dir, 'runs', 'h.json')
    await mkdir(join(dir, 'runs'))
    appendJournal(journalFile, entry('t0', trial(0)))
    const result = await commitRecord({ record: record([[trial(0)]]), recordFile, journalFile, copies: [copy] })
    expect(result.keptInJournal).toBe(0)
    await expect(readFile(journalFile)).rejects.toThrow()
    expect((await readRecord(copy)).tasks).toEqual((await readRecord(recordFile)).tasks)
  })

  it('keeps in the journal the trials the record does not hold', async () => {
    const recordFile = join(dir, 'h@m.json')
    const journalFile = join(dir, 'h@m.journal.jsonl')
    for (const e of [entry('t0', trial(0)), entry('t9', trial(0)), entry('t0', trial(1, 'fail'))]) appendJournal(journalFile, e)
    const result = await commitRecord({ record: record([[trial(0), trial(1, 'pass')]]), recordFile, journalFile })
    expect(result.keptInJournal).toBe(2)
    const left = await readJournal(journalFile, { harnessId: 'id1', model: 'm' })
    expect([...left.trials.keys()].sort()).toEqual(['t0', 't9'])
    expect(left.trials.get('t0')!.map((t) => t.outcome)).toEqual(['fail'])
  })

  it('leaves the journal untouched when the record cannot be written', async () => {
    const journalFile = join(dir, 'h@m.journal.jsonl')
    appendJournal(journalFile, entry('t0', trial(0)))
    const before = await readFile(journalFile, 'utf8')
    const broken = { ...record([[trial(0)]]), createdAt: 7 } as unknown as RunRecord
    await expect(commitRecord({ record: broken, recordFile: join(dir, 'h@m.json'), journalFile })).rejects.toThrow(/createdAt/)
    expect(await readFile(journalFile, 'utf8')).toBe(before)
  })
})

describe('findPreviousRecord', () => {
  it('prefers the own record, takes a newer latest copy of the same model, and the plain name when there is nothing else', async () => {
    const paths = { recordFile: join(dir, 'h@m.json'), latestFile: join(dir, 'h.json') }
    expect(await findPreviousRecord(paths, 'm')).toBeUndefined()
    await writeRecord(paths.latestFile, record([[trial(0)]], 'other'))
    expect(await findPreviousRecord(paths, 'm')).toBe(paths.latestFile) // an earlier layout, or another model: checked where used
    await writeRecord(paths.recordFile, record([[trial(0)]]))
    const past = new Date(Date.now() - 60_000)
    await utimes(paths.recordFile, past, past)
    expect(await findPreviousRecord(paths, 'm')).toBe(paths.recordFile) // the newer copy is of another model
    await writeFile(paths.latestFile, JSON.stringify(record([[trial(0, 'error')]])))
    expect(await findPreviousRecord(paths, 'm')).toBe(paths.latestFile) // edited by hand, same model
  })
})
