import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TraceEventInput } from '../../src/trace/events.js'
import { traceLine } from '../../src/trace/line.js'
import { parseTrace, readTrace } from '../../src/trace/reader.js'
import { createTraceRecorder } from '../../src/trace/writer.js'

// The trace writer never writes a line its own reader refuses, whatever the endpoint sent.

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'records-traces-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

const hostile: Array<[string, unknown]> = [
  ['tool-call arguments as an object inside a response', { kind: 'model-response', turn: 1, durationMs: 1, content: null, toolCalls: [{ id: 'c', name: 'shell', arguments: { cmd: 'ls' } }], tokens: { prompt: 1, completion: 1 } }],
  ['a tool name that is a number', { kind: 'tool-call', turn: 1, id: 'c', name: 42, arguments: {} }],
  ['a tool call without an id', { kind: 'tool-result', turn: 1, name: 'shell', ok: true, durationMs: 1, output: '', truncated: false }],
  ['content as an object', { kind: 'model-response', turn: 1, durationMs: 1, content: { text: 'hi' }, toolCalls: [], tokens: { prompt: 1, completion: 1 } }],
  ['token counts as strings', { kind: 'trial-end', status: 'finished', turns: 1, toolCalls: 0, tokens: { prompt: '12', completion: 1 }, durationMs: 1 }],
  ['a negative, huge or fractional token count', { kind: 'model-response', turn: 1, durationMs: 1, content: '', toolCalls: [], tokens: { prompt: -1, completion: 1e308 } }],
  ['a value JSON cannot hold', { kind: 'tool-call', turn: 1, id: 'c', name: 'shell', arguments: { n: 10n } }],
  ['an unknown kind', { kind: 'surprise', anything: true }],
  ['a time that is not a number', { kind: 'harness-step', step: 'plan', detail: 'x', ok: true, t: 'soon' }],
]

describe('the trace writer', () => {
  it.each(hostile)('replaces an event with %s by an error event the reader reads', async (_, event) => {
    const file = join(dir, `${Math.random().toString(36).slice(2)}.jsonl`)
    const recorder = createTraceRecorder({ path: file })
    recorder.record({ kind: 'model-request', turn: 1, messages: 1 })
    const stored = recorder.record(event as TraceEventInput)
    recorder.record({ kind: 'model-request', turn: 2, messages: 3 })
    await recorder.close()
    const events = await readTrace(file)
    expect(events.map((e) => e.kind)).toEqual(['model-request', 'error', 'model-request'])
    expect(stored).toEqual(events[1])
    expect(events[1]).toMatchObject({ source: 'harness', code: 'TRACE_EVENT_INVALID' })
  })

  it('keeps valid events as they are', () => {
    const event = { t: 5, kind: 'tool-call', turn: 1, id: 'c', name: 'shell', arguments: { command: 'ls "a b"' } }
    expect(traceLine(event)).toEqual({ line: JSON.stringify(event), event })
  })

  it('never writes a line the reader refuses when redaction breaks the JSON', () => {
    const event = { t: 1, kind: 'tool-result', turn: 1, id: 'c', name: 'shell', ok: true, durationMs: 1, output: 'key: s3"cr\\et', truncated: false }
    const crude = (text: string) => text.replaceAll('s3\\"cr\\\\et', '***').replaceAll('"', '') // a redaction that damages the line
    const { line, event: stored } = traceLine(event, crude)
    expect(parseTrace(line)).toEqual([stored])
    expect(line).not.toContain('s3')
  })
})

describe('the trace reader', () => {
  it('ends a trace whose last line was cut short with an error event saying so', async () => {
    const text = `${JSON.stringify({ t: 3, kind: 'model-request', turn: 1, messages: 1 })}\n{"t":4,"kind":"model-resp`
    const events = parseTrace(text)
    expect(events.map((e) => e.kind)).toEqual(['model-request', 'error'])
    expect(events[1]).toMatchObject({ t: 3, code: 'TRACE_TRUNCATED' })
  })

  it('still refuses a damaged line that is not the last', () => {
    expect(() => parseTrace('{"bad"\n{"t":1,"kind":"model-request","turn":1,"messages":1}\n', 'x.jsonl')).toThrow(/line 1 is not valid JSON/)
  })

  it('reads a trace whose complete last line lacks its newline', async () => {
    const recorder = createTraceRecorder({ path: join(dir, 'plain.jsonl') })
    recorder.record({ kind: 'model-request', turn: 1, messages: 1 })
    await recorder.close()
    const text = (await readFile(join(dir, 'plain.jsonl'), 'utf8')).trimEnd()
    expect(parseTrace(text).map((e) => e.kind)).toEqual(['model-request'])
  })
})
