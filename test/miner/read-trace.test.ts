import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { readTraceLines } from '../../src/miner/read-trace.js'
import { parseTrace } from '../../src/trace/reader.js'
import { craftTrace } from './traces.js'

const dir = mkdtempSync(join(tmpdir(), 'miner-read-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('readTraceLines', () => {
  it('reads lines that cross its buffer, multi-byte characters split between chunks included', () => {
    const big = 'é€😀 line\n'.repeat(20_000) // about 300 KiB in one tool output
    const events = craftTrace('big', 'Print a lot.', [{ shell: 'cat big.txt', stdout: big }, { finish: 'Done.' }], { assertion: 'expected 1 to be 2' })
    const text = events.map((e) => JSON.stringify(e)).join('\r\n') // CRLF, and no newline at the end
    const file = join(dir, 'big.jsonl')
    writeFileSync(file, text)
    const read = readTraceLines(file)
    expect(read.corrupt).toEqual([])
    expect(read.events).toEqual(parseTrace(text.replaceAll('\r\n', '\n')))
  })

  it('skips and reports bad lines by number, keeping the good ones', () => {
    const [start, ...rest] = craftTrace('bad', 'Do it.', [{ shell: 'ls' }])
    const file = join(dir, 'bad.jsonl')
    writeFileSync(file, [JSON.stringify(start), '{oops', '', JSON.stringify({ t: 1, kind: 'tool-call' }), ...rest.map((e) => JSON.stringify(e))].join('\n') + '\n')
    const read = readTraceLines(file)
    expect(read.events).toHaveLength(1 + rest.length)
    expect(read.corrupt).toEqual([
      { line: 2, message: 'not valid JSON' },
      { line: 4, message: expect.stringMatching(/^field `\w+`: /) },
    ])
  })

  it('throws for a file it cannot open', () => {
    expect(() => readTraceLines(join(dir, 'nope.jsonl'))).toThrow(/ENOENT/)
  })
})
