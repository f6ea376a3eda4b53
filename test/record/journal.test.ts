import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { appendJournal, dropTruncatedTail, endLastLine, readJournal, type JournalEntry } from '../../src/record/journal.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'record-journal-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

const match = { harnessId: 'id1', model: 'm' }
const entry = (taskId: string, index: number): JournalEntry => ({
  schemaVersion: 1,
  ...{ harnessId: 'id1', model: 'm' },
  taskId,
  trial: { index, outcome: 'pass', durationMs: 3, tokens: { prompt: 1, completion: 1 }, turns: 1, toolCalls: 0 },
})
const line = (e: JournalEntry) => JSON.stringify(e)

it('accepts a complete last line without its newline, and the next entry lands on a line of its own', async () => {
  const file = join(dir, 'j.jsonl')
  await writeFile(file, `${line(entry('a', 0))}\n${line(entry('b', 0))}`) // an editor removed the final newline
  const first = await readJournal(file, match)
  expect(first.truncatedTail).toBe(false)
  expect([...first.trials.keys()]).toEqual(['a', 'b'])
  await endLastLine(file)
  appendJournal(file, entry('c', 0))
  const second = await readJournal(file, match)
  expect([...second.trials.keys()]).toEqual(['a', 'b', 'c'])
})

it('drops a last line cut short, and nothing else', async () => {
  const file = join(dir, 'j.jsonl')
  const cut = line(entry('b', 0)).slice(0, 30)
  await writeFile(file, `${line(entry('a', 0))}\n${cut}`)
  const journal = await readJournal(file, match)
  expect(journal.truncatedTail).toBe(true)
  expect([...journal.trials.keys()]).toEqual(['a'])
  await dropTruncatedTail(file)
  expect(await readFile(file, 'utf8')).toBe(`${line(entry('a', 0))}\n`)
})

it('reads blank lines and CRLF line ends as an editor may leave them', async () => {
  const file = join(dir, 'j.jsonl')
  await writeFile(file, `${line(entry('a', 0))}\r\n\r\n${line(entry('a', 1))}\r\n\n`)
  const journal = await readJournal(file, match)
  expect(journal.trials.get('a')!.map((t) => t.index)).toEqual([0, 1])
})

it('refuses a damaged line before the last one, naming the line', async () => {
  const file = join(dir, 'j.jsonl')
  await writeFile(file, `${line(entry('a', 0))}\n{"oops"\n${line(entry('a', 1))}\n`)
  await expect(readJournal(file, match)).rejects.toThrow(/line 2 is damaged/)
})

it('lists the entries of this harness and model only, and counts the others', async () => {
  const file = join(dir, 'j.jsonl')
  appendJournal(file, entry('a', 0))
  appendJournal(file, { ...entry('a', 1), harnessId: 'old' })
  appendJournal(file, { ...entry('a', 2), model: 'other' })
  const journal = await readJournal(file, match)
  expect(journal.entries.map((e) => e.trial.index)).toEqual([0])
  expect(journal.foreign).toBe(2)
})
