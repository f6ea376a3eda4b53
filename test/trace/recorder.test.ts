import { describe, expect, it } from 'vitest'
import { TraceEventSchema } from '../../src/trace/events.js'
import { createAgentRecorder, MAX_TEXT } from '../../src/trace/recorder.js'

describe('the agent recorder', () => {
  it('writes a whole trial from model calls, tool calls and notes, with the totals at its end', () => {
    const rec = createAgentRecorder()
    rec.start({ taskId: 't', trial: 2, harnessId: 'h', model: 'm', instruction: 'do it' })
    rec.modelCall({ messages: 3, toolCalls: [{ id: 'a', name: 'shell', arguments: '{"command":"ls"}' }, { name: 'read_file', arguments: { path: 'x' } }], tokens: { prompt: 10, completion: 2 }, finishReason: 'tool_calls', durationMs: 5 })
    rec.toolCall({ name: 'read_file', arguments: { path: 'x' }, output: 'hello' }) // no id: the model's call of that name
    rec.toolCall({ id: 'a', name: 'shell', arguments: '{"command":"ls"}', error: 'exit code: 2' })
    rec.toolCall({ name: 'shell', arguments: 'not json', output: { files: 2 } }) // no call of that name is left: a made-up id
    rec.note('switching plans')
    rec.error({ code: 'bad code!', message: 'odd' })
    rec.modelCall({ content: 'Done.', tokens: { prompt: 20, completion: 1 } })
    rec.end('finished', 42)
    const events = rec.trace.events
    const ids = events.filter((e) => e.kind === 'model-response').flatMap((e) => e.toolCalls.map((c) => c.id))
    expect(ids).toEqual(['a', 'call-1'])
    expect(events.filter((e) => e.kind === 'tool-result').map((e) => [e.id, e.ok, e.output])).toEqual([
      ['call-1', true, 'hello'],
      ['a', false, 'exit code: 2'],
      ['call-2', true, '{"files":2}'],
    ])
    expect(events.filter((e) => e.kind === 'tool-call').map((e) => e.arguments)).toEqual([{ path: 'x' }, { command: 'ls' }, 'not json'])
    expect(events.find((e) => e.kind === 'harness-step')).toMatchObject({ step: 'plan', detail: 'switching plans', ok: true })
    expect(events.find((e) => e.kind === 'error')).toMatchObject({ source: 'harness', code: 'bad_code_', message: 'odd' })
    expect(events.at(-1)).toMatchObject({ kind: 'trial-end', status: 'finished', turns: 2, toolCalls: 3, tokens: { prompt: 30, completion: 3 }, durationMs: 42 })
    expect([rec.turns, rec.toolCalls, rec.tokens]).toEqual([2, 3, { prompt: 30, completion: 3 }])
    for (const event of events) expect(TraceEventSchema.safeParse(event).success).toBe(true)
  })

  it('matches results without ids to calls by name and arguments, so tools that ran in parallel keep their ids', () => {
    const rec = createAgentRecorder()
    rec.modelCall({ toolCalls: [{ id: 'first', name: 'shell', arguments: '{"command":"sleep 2","timeout":5}' }, { id: 'second', name: 'shell', arguments: '{"command":"ls"}' }] })
    rec.toolCall({ name: 'shell', arguments: { command: 'ls' }, output: 'a' }) // the second call ended first
    rec.toolCall({ name: 'shell', arguments: '{"timeout": 5, "command": "sleep 2"}', output: 'b' })
    expect(rec.trace.events.filter((e) => e.kind === 'tool-result').map((e) => [e.id, e.output])).toEqual([['second', 'a'], ['first', 'b']])
  })

  it('never throws: a value whose getter throws becomes an error event, and texts are cut', () => {
    const rec = createAgentRecorder()
    const hostile = { get name(): string { throw new Error('no name for you') } }
    expect(() => rec.toolCall(hostile as never)).not.toThrow()
    expect(() => rec.modelCall(null as never)).not.toThrow()
    expect(rec.trace.events.filter((e) => e.kind === 'error').map((e) => e.kind === 'error' && e.code)).toEqual(['TRACE_INPUT_INVALID', 'TRACE_INPUT_INVALID'])
    expect([rec.turns, rec.toolCalls]).toEqual([0, 0]) // nothing was recorded, so nothing was counted
    rec.toolCall({ name: 'shell', output: 'y'.repeat(MAX_TEXT + 10), durationMs: -3 })
    expect(rec.trace.events.at(-1)).toMatchObject({ kind: 'tool-result', truncated: true, durationMs: 0 })
    expect((rec.trace.events.at(-1) as { output: string }).output).toHaveLength(MAX_TEXT)
    rec.end('no-such-status' as never)
    expect(rec.trace.events.at(-1)).toMatchObject({ kind: 'trial-end', status: 'error' })
  })
})
