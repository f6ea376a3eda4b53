import { copyFile, mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigurationError, NotComparableError } from '../../src/errors.js'
import { openLedger } from '../../src/evolve/ledger.js'
import { CalibrationSchema } from '../../src/gate/calibrate.js'
import { VerdictSchema } from '../../src/gate/verdict.js'
import { loadHarness } from '../../src/harness/version.js'
import { MiningReportSchema } from '../../src/miner/schema.js'
import { ProposalSchema } from '../../src/proposer/proposal.js'
import { readFlakeHistory } from '../../src/record/flake-history.js'
import { readJournal } from '../../src/record/journal.js'
import { readRecord } from '../../src/record/store.js'
import { readTrace } from '../../src/trace/reader.js'
import { FORMATS_DIR, SAMPLES, sample } from './samples.js'

// The committed samples of every released format, read back through the real readers.

/** The error a reader throws, checked to be a ConfigurationError whose message names the file. */
async function refusal(read: Promise<unknown>, file: string): Promise<ConfigurationError> {
  const error = await read.then(() => undefined, (e: unknown) => e)
  expect(error, `${file} was read without an error`).toBeInstanceOf(ConfigurationError)
  expect((error as Error).message).toContain(file)
  return error as ConfigurationError
}

const json = async (file: string): Promise<unknown> => JSON.parse(await readFile(sample(file), 'utf8'))
const match = { harnessId: 'b30faca3ce3e2356', model: 'sim-steady' }

it('lists every sample file and nothing else', async () => {
  expect((await readdir(FORMATS_DIR)).sort()).toEqual(SAMPLES.map((s) => s.file).sort())
})

describe('harness files', () => {
  it('loads a harness as people write it, with the defaults filled in', async () => {
    const harness = await loadHarness('harness.v1', FORMATS_DIR)
    expect(harness.spec.name).toBe('careful')
    expect(harness.spec.limits).toEqual({ maxTurns: 30, runTimeoutMs: 120_000, commandTimeoutMs: 10_000, toolResultMaxChars: 4_000 })
    expect(harness.spec.tools.shell.before).toHaveLength(1)
    expect(harness.spec.maxFinishRejections).toBe(2)
  })

  it('loads a harness with every field written out', async () => {
    expect((await loadHarness('harness.v1.full', FORMATS_DIR)).spec.finalChecks).toHaveLength(3)
  })

  it('refuses a field out of range, naming the file and the field', async () => {
    const error = await refusal(loadHarness('harness.v1.broken-field', FORMATS_DIR), 'harness.v1.broken-field.json')
    expect(error.code).toBe('HARNESS_INVALID')
    expect(error.field).toBe('tools.shell.retries')
    expect(error.message).toContain('`tools.shell.retries`')
  })
})

describe('run records', () => {
  it('reads a record with its tasks and trials', async () => {
    const record = await readRecord(sample('run-record.v1.json'))
    expect(record.harness).toEqual({ name: 'baseline', id: match.harnessId })
    expect(record.tasks.map((t) => t.trials.map((trial) => trial.outcome))).toEqual([['fail', 'fail'], ['pass', 'pass'], ['pass', 'pass']])
  })

  it('refuses a record cut off midway as a whole, never as a partial record', async () => {
    const error = await refusal(readRecord(sample('run-record.v1.truncated.json')), 'run-record.v1.truncated.json')
    expect(error.code).toBe('RECORD_INVALID')
    expect(error.message).toContain('not valid JSON')
  })

  it('refuses a field of the wrong value, naming it', async () => {
    const error = await refusal(readRecord(sample('run-record.v1.broken-field.json')), 'run-record.v1.broken-field.json')
    expect(error.field).toBe('tasks[1].trials[0].outcome')
    expect(error.message).toContain('`tasks[1].trials[0].outcome`')
  })

  it('refuses a record of another schemaVersion as not comparable', async () => {
    const error = await readRecord(sample('run-record.v2-schema.json')).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(NotComparableError)
    expect((error as Error).message).toContain('run-record.v2-schema.json')
    expect((error as Error).message).toContain('schemaVersion 2')
  })
})

describe('traces', () => {
  it('reads every event of a trace in order', async () => {
    const events = await readTrace(sample('trace.v1.jsonl'))
    expect(events.map((e) => e.kind)).toEqual([
      'trial-start', 'model-request', 'model-response', 'tool-call', 'tool-result',
      'model-request', 'model-response', 'tool-call', 'tool-result', 'trial-end', 'error',
    ])
  })

  it('refuses a line that is not JSON, naming the file and the line', async () => {
    const error = await refusal(readTrace(sample('trace.v1.corrupt-line.jsonl')), 'trace.v1.corrupt-line.jsonl')
    expect(error.message).toContain('line 5 is not valid JSON')
  })

  it('refuses an event with a field of the wrong type, naming the line and the field', async () => {
    const error = await refusal(readTrace(sample('trace.v1.broken-field.jsonl')), 'trace.v1.broken-field.jsonl')
    expect(error.field).toBe('ok')
    expect(error.message).toContain('line 5, field `ok`')
  })
})

describe('journals', () => {
  it('reads every finished trial of the harness and model', async () => {
    const journal = await readJournal(sample('journal.v1.jsonl'), match)
    expect(journal.truncatedTail).toBe(false)
    expect(journal.foreign).toBe(0)
    expect([...journal.trials.values()].map((list) => list.map((t) => t.index))).toEqual([[0, 1], [0, 1], [0, 1]])
  })

  it('counts entries of another harness as foreign and keeps none of them', async () => {
    const journal = await readJournal(sample('journal.v1.jsonl'), { ...match, harnessId: 'another' })
    expect(journal).toEqual({ trials: new Map(), truncatedTail: false, foreign: 6, entries: [] })
  })

  it('drops a last line cut short and reports it as truncatedTail', async () => {
    const journal = await readJournal(sample('journal.v1.truncated-tail.jsonl'), match)
    expect(journal.truncatedTail).toBe(true)
    expect([...journal.trials.values()].map((list) => list.length)).toEqual([2, 2, 1])
  })

  it('refuses a damaged line in the middle, naming the file and the line', async () => {
    const error = await refusal(readJournal(sample('journal.v1.corrupt-middle.jsonl'), match), 'journal.v1.corrupt-middle.jsonl')
    expect(error.field).toBe('line 3')
    expect(error.message).toContain('line 3 is damaged')
  })
})

describe('evolve ledgers', () => {
  // openLedger rewrites a cut-off last line, so it only ever sees copies.
  let dir: string
  const copy = async (file: string) => {
    await copyFile(sample(file), join(dir, file))
    return join(dir, file)
  }
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'formats-ledger-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('reads every entry of a ledger and leaves the file as it was', async () => {
    const file = await copy('ledger.v1.jsonl')
    const ledger = await openLedger(file)
    expect(ledger.entries).toHaveLength(23)
    expect(ledger.entries[0]!.kind).toBe('start')
    expect(ledger.entries.at(-1)).toMatchObject({ kind: 'end', reason: 'iteration-limit' })
    expect(await readFile(file, 'utf8')).toBe(await readFile(sample('ledger.v1.jsonl'), 'utf8'))
  })

  it('refuses a damaged line in the middle, naming the file and the line', async () => {
    const file = await copy('ledger.v1.corrupt-middle.jsonl')
    const error = await refusal(openLedger(file), 'ledger.v1.corrupt-middle.jsonl')
    expect(error.field).toBe('line 4')
    expect(error.message).toContain('line 4 is damaged')
  })

  it('drops a last line cut short, on disk too, so the next entry starts a line of its own', async () => {
    const file = await copy('ledger.v1.truncated-tail.jsonl')
    const ledger = await openLedger(file)
    expect(ledger.entries).toHaveLength(22)
    const whole = (await readFile(sample('ledger.v1.jsonl'), 'utf8')).split('\n').slice(0, 22).join('\n') + '\n'
    expect(await readFile(file, 'utf8')).toBe(whole)
  })
})

describe('flake histories', () => {
  it('reads a history', async () => {
    const history = await readFlakeHistory(sample('flake-history.v1.json'))
    expect(history.runs).toBe(2)
    expect(history.tasks.map((t) => t.trials)).toEqual([4, 4, 4])
  })

  it('refuses a history whose counts contradict each other, naming the file and the field', async () => {
    const error = await refusal(readFlakeHistory(sample('flake-history.v1.broken.json')), 'flake-history.v1.broken.json')
    expect(error.field).toBe('tasks[1].passes')
    expect(error.message).toContain('`tasks[1].passes`')
  })
})

describe('formats read with their zod schema', () => {
  const cases = [
    { schema: VerdictSchema, valid: 'verdict.v1.json', broken: 'verdict.v1.broken-field.json', path: ['exitCode'] },
    { schema: MiningReportSchema, valid: 'weaknesses.v1.json', broken: 'weaknesses.v1.broken-field.json', path: ['weaknesses', 0, 'id'] },
    { schema: ProposalSchema, valid: 'proposal.v1.json', broken: 'proposal.v1.broken-op.json', path: ['patch', 0, 'op'] },
    { schema: CalibrationSchema, valid: 'calibration.v1.json', broken: 'calibration.v1.broken-field.json', path: ['records'] },
  ]
  it.each(cases)('accepts $valid and refuses $broken at the field', async ({ schema, valid, broken, path }) => {
    expect(schema.safeParse(await json(valid)).error?.issues).toBeUndefined()
    const parsed = schema.safeParse(await json(broken))
    expect(parsed.success).toBe(false)
    expect(parsed.error!.issues.map((issue) => issue.path)).toEqual([path])
  })
})
