import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigurationError } from '../../src/errors.js'
import { LedgerEntrySchema, openLedger, type LedgerInput } from '../../src/evolve/ledger.js'

let dir: string
let n = 0
const fresh = () => join(dir, `ledger-${n++}`, 'ledger.jsonl')

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'evolve-ledger-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

const summary = { train: { passed: 1, tasks: 2 }, validation: { passed: 0, tasks: 1 } }
const entries: LedgerInput[] = [
  { kind: 'start', model: 'sim-steady', harnessId: 'h-base', harnessName: 'baseline', trials: 1, splits: { a: 'train', b: 'train', c: 'validation' } },
  { kind: 'baseline', harnessId: 'h-base', record: 'runs/baseline.json', summary },
  { kind: 'iteration', iteration: 1, harnessId: 'h-base' },
  {
    kind: 'validation', iteration: 1, proposalIds: ['p-1'], harnessId: 'h-cand', accepted: false, reason: 'no task showing the target weakness passes now (1 tried)',
    regressions: [], fixes: [], targetFixed: [], trialsRun: 1, trialsReused: 3, stoppedEarly: true,
  },
]

const linesOf = async (file: string) => (await readFile(file, 'utf8')).split('\n')

describe('openLedger', () => {
  it('starts empty, creating the directory, when no ledger exists', async () => {
    const file = fresh()
    const ledger = await openLedger(file)
    expect(ledger.entries).toEqual([])
    ledger.append(entries[0]!)
    expect(await linesOf(file)).toHaveLength(2) // one line and the newline after it
  })

  it('appends stamped entries, one JSON line each, and reads them back on reopening', async () => {
    const file = fresh()
    const ledger = await openLedger(file)
    const written = entries.map((e) => ledger.append(e))
    for (const [i, entry] of written.entries()) {
      expect(entry).toMatchObject({ ...entries[i], schemaVersion: 1 })
      expect(Number.isNaN(Date.parse(entry.at))).toBe(false)
    }
    const text = await readFile(file, 'utf8')
    expect(text.endsWith('\n')).toBe(true)
    expect(text.trimEnd().split('\n').map((line) => LedgerEntrySchema.parse(JSON.parse(line)))).toEqual(written)

    const reopened = await openLedger(file)
    expect(reopened.entries).toEqual(written)
    reopened.append({ kind: 'iteration', iteration: 2, harnessId: 'h-cand' })
    expect((await openLedger(file)).entries.map((e) => e.kind)).toEqual(['start', 'baseline', 'iteration', 'validation', 'iteration'])
  })

  it('refuses to append an entry that does not fit the schema, leaving the file as it was', async () => {
    const file = fresh()
    const ledger = await openLedger(file)
    ledger.append(entries[0]!)
    const before = await readFile(file, 'utf8')
    expect(() => ledger.append({ kind: 'iteration', iteration: 1.5, harnessId: 'h' })).toThrow()
    expect(await readFile(file, 'utf8')).toBe(before)
    expect(ledger.entries).toHaveLength(1)
  })

  it('drops a last line cut short by a kill, and the next append starts on a line of its own', async () => {
    const file = fresh()
    const ledger = await openLedger(file)
    ledger.append(entries[0]!)
    ledger.append(entries[1]!)
    const whole = await readFile(file, 'utf8')
    const third = JSON.stringify({ schemaVersion: 1, at: new Date().toISOString(), ...entries[2] })
    await writeFile(file, whole + third.slice(0, 25)) // the kill came mid-write: no newline

    const reopened = await openLedger(file)
    expect(reopened.entries.map((e) => e.kind)).toEqual(['start', 'baseline'])
    expect(await readFile(file, 'utf8')).toBe(whole) // the fragment is gone from the file too
    reopened.append(entries[2]!)
    const lines = (await linesOf(file)).filter(Boolean)
    expect(lines).toHaveLength(3)
    for (const line of lines) LedgerEntrySchema.parse(JSON.parse(line))
    expect((await openLedger(file)).entries.map((e) => e.kind)).toEqual(['start', 'baseline', 'iteration'])
  })

  it('keeps the entries in memory and on disk in agreement when the last line is whole but lacks its newline', async () => {
    const file = fresh()
    const ledger = await openLedger(file)
    ledger.append(entries[0]!)
    ledger.append(entries[1]!)
    const text = await readFile(file, 'utf8')
    await writeFile(file, text.slice(0, -1)) // the newline after the last entry never reached the disk

    const reopened = await openLedger(file)
    reopened.append(entries[2]!)
    // Whatever the ledger decides about that last line, what it holds must be what the file holds.
    expect((await openLedger(file)).entries).toEqual(reopened.entries)
  })

  it.each([
    ['not JSON', '{"schemaVersion":1,"at":"x","kind":"itera'],
    ['JSON of the wrong shape', JSON.stringify({ schemaVersion: 1, at: 'x', kind: 'iteration', iteration: 'one', harnessId: 'h' })],
    ['an unknown kind', JSON.stringify({ schemaVersion: 1, at: 'x', kind: 'retry', iteration: 1 })],
    ['a newer format', JSON.stringify({ schemaVersion: 2, at: 'x', kind: 'iteration', iteration: 1, harnessId: 'h' })],
  ])('refuses a damaged line in the middle (%s) with its line number', async (_what, damaged) => {
    const file = fresh()
    const ledger = await openLedger(file)
    for (const entry of entries) ledger.append(entry)
    const lines = await linesOf(file)
    lines.splice(2, 1, damaged) // line 3 of 4
    await writeFile(file, lines.join('\n'))
    const error = await openLedger(file).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConfigurationError)
    expect(error).toMatchObject({ code: 'RECORD_INVALID', file, field: 'line 3', message: expect.stringContaining('line 3') })
    expect(await readFile(file, 'utf8')).toBe(lines.join('\n')) // nothing is repaired behind the user's back
  })

  it('refuses a damaged last line that ends with a newline: a kill cannot leave one', async () => {
    const file = fresh()
    const ledger = await openLedger(file)
    ledger.append(entries[0]!)
    await writeFile(file, `${await readFile(file, 'utf8')}{"kind":"start"}\n`)
    await expect(openLedger(file)).rejects.toMatchObject({ code: 'RECORD_INVALID', field: 'line 2' })
  })
})
