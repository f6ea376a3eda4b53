import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createTraceRecorder } from '../../src/trace/writer.js'

const dir = mkdtempSync(join(tmpdir(), 'trace-writer-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const lines = (path: string): string[] => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : [])

describe('trace recorder', () => {
  it('writes events in batches: on the disk shortly after they happen, all of them on close', async () => {
    const path = join(dir, 'nested', 'trial-0.jsonl')
    const trace = createTraceRecorder({ path })
    trace.record({ kind: 'model-request', turn: 1, messages: 2 })
    trace.record({ kind: 'model-request', turn: 2, messages: 4 })
    expect(lines(path)).toEqual([]) // still in memory
    await new Promise((resolve) => setTimeout(resolve, 250))
    expect(lines(path).map((line) => JSON.parse(line).turn)).toEqual([1, 2]) // a killed run keeps these
    trace.record({ kind: 'model-request', turn: 3, messages: 6 })
    await trace.close()
    const events = lines(path).map((line) => JSON.parse(line))
    expect(events.map((event) => event.turn)).toEqual([1, 2, 3])
    expect(events).toEqual(trace.events)
  })

  it('keeps order and every line across batches cut by size', async () => {
    const path = join(dir, 'burst.jsonl')
    const trace = createTraceRecorder({ path })
    const big = 'x'.repeat(1000)
    for (let turn = 1; turn <= 200; turn++) {
      trace.record({ kind: 'tool-result', turn, id: `c${turn}`, name: 'shell', ok: true, durationMs: 1, output: big, truncated: false })
    }
    await trace.close()
    expect(lines(path).map((line) => JSON.parse(line).turn)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1))
  })

  it('redacts what it writes and what it keeps', async () => {
    const path = join(dir, 'redacted.jsonl')
    const trace = createTraceRecorder({ path, redact: (text) => text.replaceAll('hunter2', '[REDACTED]') })
    trace.record({ kind: 'tool-call', turn: 1, id: 'c1', name: 'shell', arguments: { command: 'echo hunter2' } })
    await trace.close()
    expect(readFileSync(path, 'utf8')).not.toContain('hunter2')
    expect(JSON.stringify(trace.events)).not.toContain('hunter2')
  })
})
