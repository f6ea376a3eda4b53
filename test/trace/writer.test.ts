import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { TraceEventSchema } from '../../src/trace/events.js'
import { readTrace } from '../../src/trace/reader.js'
import { createRedactor } from '../../src/trace/redact.js'
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
    const trace = createTraceRecorder({ path, redact: createRedactor({ values: ['hunter2hunter2'] }) })
    trace.record({ kind: 'tool-call', turn: 1, id: 'c1', name: 'shell', arguments: { command: 'echo hunter2hunter2' } })
    await trace.close()
    expect(readFileSync(path, 'utf8')).not.toContain('hunter2')
    expect(JSON.stringify(trace.events)).not.toContain('hunter2')
  })

  it.each([
    ['a secret with quotes and backslashes', 'sk-"q\\uo\\"te-0123456789'],
    ['a numeric secret', '4815162342'],
    ['a secret equal to a word of the format', 'finished'],
    ['a secret equal to a field name', 'arguments'],
    ['a secret equal to a protocol word', 'function'],
  ])('writes a trace its reader accepts with %s, the secret in no line', async (_name, secret) => {
    const path = join(dir, `odd-${Buffer.from(secret).toString('hex')}.jsonl`)
    const trace = createTraceRecorder({ path, redact: createRedactor({ values: [secret] }) })
    const args = JSON.stringify({ command: `echo ${secret}`, [secret]: secret })
    trace.record({ kind: 'trial-start', taskId: 't', trial: 0, harnessId: 'h', model: 'm', instruction: `use ${secret} here` })
    trace.record({ kind: 'model-response', turn: 1, durationMs: 4815162342, content: `${secret}!`, toolCalls: [{ id: 'c1', name: 'shell', arguments: args }], tokens: { prompt: 4815162342, completion: 1 } })
    trace.record({ kind: 'tool-call', turn: 1, id: 'c1', name: 'shell', arguments: JSON.parse(args) })
    trace.record({ kind: 'error', source: 'model', code: 'MODEL_FAILED', message: `400 {"error":{"message":${JSON.stringify(`bad key ${secret}`)}}}` })
    trace.record({ kind: 'trial-end', status: 'finished', turns: 1, toolCalls: 1, tokens: { prompt: 1, completion: 1 }, durationMs: 1 })
    await trace.close()
    const events = await readTrace(path)
    expect(events.map((e) => e.kind)).toEqual(['trial-start', 'model-response', 'tool-call', 'error', 'trial-end'])
    for (const event of events) expect(TraceEventSchema.safeParse(event).success).toBe(true)
    const text = readFileSync(path, 'utf8')
    const free = events.flatMap((e) => ('instruction' in e ? [e.instruction] : 'content' in e ? [e.content ?? ''] : 'message' in e ? [e.message] : []))
    for (const field of free) expect(field).not.toContain(secret)
    expect(text).not.toContain(JSON.stringify(secret).slice(1, -1) + '!')
    expect(text).toContain('[REDACTED]')
  })
})
