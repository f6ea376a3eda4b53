import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SpanStatusCode, type Attributes } from '@opentelemetry/api'
import { BasicTracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace-base'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { processTrace } from '../../src/miner/process-trace.js'
import { buildRecord } from '../../src/record/store.js'
import { loadReportData } from '../../src/report/html/load.js'
import { renderHtmlReport } from '../../src/report/html/render.js'
import { alignTraces, traceSteps } from '../../src/report/html/align.js'
import { TraceEventSchema, type TraceEvent } from '../../src/trace/events.js'
import { createTraceSpanProcessor, genAiStepOfSpan } from '../../src/trace/otel.js'
import { readTrace } from '../../src/trace/reader.js'
import { createAgentRecorder, MAX_TEXT } from '../../src/trace/recorder.js'
import { createTraceRecorder } from '../../src/trace/writer.js'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'otel-spans-'))
})
afterAll(() => rm(dir, { recursive: true, force: true }))

const IDENTITY_ERROR = 'exit code: 128\nAuthor identity unknown\n*** Please tell me who you are.\nfatal: unable to auto-detect email address'

/** Emits the spans an instrumented agent would: invoke_agent > chat, execute_tool, chat; tool results as given. */
function emitAgentRun(processor: SpanProcessor, commands: Array<{ command: string; output: string; ok: boolean }>): void {
  const provider = new BasicTracerProvider({ spanProcessors: [processor] })
  const tracer = provider.getTracer('agent-under-test')
  tracer.startActiveSpan('invoke_agent coder', { attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'coder' } }, (agent) => {
    commands.forEach((step, i) => {
      const chat = tracer.startSpan('chat qwen', {
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.request.model': 'qwen',
          'gen_ai.usage.input_tokens': 100 + i,
          'gen_ai.usage.output_tokens': 20,
          'gen_ai.response.finish_reasons': ['tool_calls'],
          'gen_ai.input.messages': JSON.stringify(Array.from({ length: 2 + 2 * i }, () => ({ role: 'user', parts: [] }))),
          'gen_ai.output.messages': JSON.stringify([
            { role: 'assistant', parts: [{ type: 'tool_call', id: `call_${i}`, name: 'shell', arguments: { command: step.command } }], finish_reason: 'tool_calls' },
          ]),
        },
      })
      chat.end()
      const tool = tracer.startSpan('execute_tool shell', {
        attributes: {
          'gen_ai.operation.name': 'execute_tool',
          'gen_ai.tool.name': 'shell',
          'gen_ai.tool.call.id': `call_${i}`,
          'gen_ai.tool.call.arguments': JSON.stringify({ command: step.command }),
          'gen_ai.tool.call.result': step.output,
        },
      })
      if (!step.ok) tool.setStatus({ code: SpanStatusCode.ERROR, message: step.output })
      tool.end()
    })
    const last = tracer.startSpan('chat qwen', {
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'qwen',
        'gen_ai.usage.input_tokens': 300,
        'gen_ai.usage.output_tokens': 5,
        'gen_ai.response.finish_reasons': ['stop'],
        'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: 'Done.' }], finish_reason: 'stop' }]),
      },
    })
    last.end()
    // An HTTP span under the agent: not a GenAI span, ignored.
    tracer.startSpan('POST /v1/chat/completions', { attributes: { 'http.request.method': 'POST' } }).end()
    agent.end()
  })
}

async function traceOfRun(name: string, commands: Array<{ command: string; output: string; ok: boolean }>): Promise<{ path: string; events: TraceEvent[] }> {
  const path = join(dir, `${name}.jsonl`)
  const agent = createAgentRecorder(createTraceRecorder({ path }))
  agent.start({ taskId: 'git-commit', trial: 0, harnessId: 'h1', model: 'qwen', instruction: 'Commit README.md with the message "docs: readme".' })
  emitAgentRun(createTraceSpanProcessor(agent), commands)
  agent.end('finished')
  await agent.trace.close()
  return { path, events: await readTrace(path) }
}

describe('the OpenTelemetry span processor', () => {
  it('maps GenAI spans of a real tracer into trace events that the reader, the miner and the report read', async () => {
    const failing = await traceOfRun('failing', [
      { command: 'git add README.md', output: 'exit code: 0', ok: true },
      { command: 'git commit -m "docs: readme"', output: IDENTITY_ERROR, ok: false },
    ])
    const events = failing.events
    expect(events.map((e) => e.kind)).toEqual([
      'trial-start',
      'model-request', 'model-response', 'tool-call', 'tool-result',
      'model-request', 'model-response', 'tool-call', 'tool-result',
      'model-request', 'model-response',
      'trial-end',
    ])
    expect(events[1]).toMatchObject({ kind: 'model-request', turn: 1, messages: 2 })
    expect(events[2]).toMatchObject({ kind: 'model-response', turn: 1, tokens: { prompt: 100, completion: 20 }, finishReason: 'tool_calls', toolCalls: [{ id: 'call_0', name: 'shell', arguments: '{"command":"git add README.md"}' }] })
    expect(events[7]).toMatchObject({ kind: 'tool-call', turn: 2, id: 'call_1', name: 'shell', arguments: { command: 'git commit -m "docs: readme"' } })
    expect(events[8]).toMatchObject({ kind: 'tool-result', id: 'call_1', ok: false, output: IDENTITY_ERROR })
    expect(events[10]).toMatchObject({ kind: 'model-response', turn: 3, content: 'Done.', finishReason: 'stop' })
    expect(events.at(-1)).toMatchObject({ kind: 'trial-end', status: 'finished', turns: 3, toolCalls: 2, tokens: { prompt: 501, completion: 45 } })

    // The miner's own trace processing, on the file the project's writer wrote.
    const outcome = processTrace({ taskId: 'git-commit', trial: 0, tracePath: failing.path })
    expect(outcome.warnings).toEqual([])
    expect(outcome.features).toMatchObject({ end: 'finish', toolCalls: 2, cause: { tool: 'shell', head: 'git commit' } })
    expect(outcome.features!.failingCommands).toEqual(['git commit -m <str>'])
    expect(outcome.features!.signature).toContain('git commit')

    // The report's timeline steps and its side-by-side view.
    const passing = await traceOfRun('passing', [
      { command: 'git add README.md', output: 'exit code: 0', ok: true },
      { command: 'git config user.name Agent', output: 'exit code: 0', ok: true },
      { command: 'git commit -m "docs: readme"', output: 'exit code: 0', ok: true },
    ])
    expect(traceSteps(events).steps.map((s) => [s.tool, s.argument, s.ok])).toEqual([
      ['shell', 'git add README.md', true],
      ['shell', 'git commit -m "docs: readme"', false],
    ])
    const aligned = alignTraces(events, passing.events)
    expect(aligned.divergeAt).toBe(1)

    // The whole HTML report, with both traces loaded from records as `self-harness report` loads them.
    const task = (outcome: 'pass' | 'fail', tracePath: string) => ({
      id: 'tasks/git-commit.test.ts > commits', file: 'tasks/git-commit.test.ts', name: 'commits',
      trials: [{ index: 0, outcome, durationMs: 10, tokens: { prompt: 1, completion: 1 }, turns: 3, toolCalls: 2, tracePath, status: 'finished' }],
    })
    await writeFile(join(dir, 'baseline.json'), JSON.stringify(buildRecord({ harness: { name: 'baseline', id: 'b' }, model: 'qwen', trials: 1, tasks: [task('pass', 'passing.jsonl')] })))
    await writeFile(join(dir, 'candidate.json'), JSON.stringify(buildRecord({ harness: { name: 'candidate', id: 'c' }, model: 'qwen', trials: 1, tasks: [task('fail', 'failing.jsonl')] })))
    const data = await loadReportData({ candidate: join(dir, 'candidate.json'), baseline: join(dir, 'baseline.json') })
    expect(data.notes).toEqual([])
    expect(Object.values(data.traces).map((slice) => [slice.error, slice.total])).toEqual(expect.arrayContaining([[undefined, events.length], [undefined, passing.events.length]]))
    expect(renderHtmlReport(data)).toContain('Author identity unknown')
  })

  it('reads the Vercel AI SDK attributes that carry the same meaning', () => {
    const model = genAiStepOfSpan({
      name: 'ai.generateText.doGenerate',
      attributes: {
        'ai.operationId': 'ai.generateText.doGenerate',
        'ai.model.id': 'sim-oracle',
        'ai.usage.inputTokens': 12,
        'ai.usage.outputTokens': 3,
        'ai.response.finishReason': 'tool-calls',
        'ai.response.toolCalls': JSON.stringify([{ toolCallType: 'function', toolCallId: 'c1', toolName: 'shell', input: '{"command":"ls"}' }]),
        'ai.prompt.messages': JSON.stringify([{ role: 'system' }, { role: 'user' }]),
      },
      duration: [0, 5_000_000],
      status: { code: 0 },
    })
    expect(model).toEqual({
      kind: 'model',
      call: { model: 'sim-oracle', messages: 2, durationMs: 5, content: null, finishReason: 'tool-calls', tokens: { prompt: 12, completion: 3 }, toolCalls: [{ id: 'c1', name: 'shell', arguments: '{"command":"ls"}' }] },
    })
    const tool = genAiStepOfSpan({
      name: 'ai.toolCall',
      attributes: { 'ai.operationId': 'ai.toolCall', 'ai.toolCall.name': 'shell', 'ai.toolCall.id': 'c1', 'ai.toolCall.args': '{"command":"ls"}', 'ai.toolCall.result': '"a.txt"' },
      status: { code: 2, message: 'boom' },
    })
    expect(tool).toEqual({ kind: 'tool', call: { name: 'shell', id: 'c1', arguments: '{"command":"ls"}', output: '"a.txt"', error: 'boom' } })
    expect(genAiStepOfSpan({ name: 'ai.generateText', attributes: { 'ai.operationId': 'ai.generateText' } })).toEqual({ kind: 'agent', name: undefined, error: undefined })
    expect(genAiStepOfSpan({ name: 'GET /', attributes: { 'http.method': 'GET' } })).toBeNull()
  })

  it('records a failed model span as an error and takes the error type from the span', () => {
    const agent = createAgentRecorder()
    const processor = createTraceSpanProcessor(agent)
    const provider = new BasicTracerProvider({ spanProcessors: [processor] })
    const span = provider.getTracer('t').startSpan('chat m', { attributes: { 'gen_ai.operation.name': 'chat', 'error.type': 'RateLimitError' } })
    span.setStatus({ code: SpanStatusCode.ERROR, message: '429 Too Many Requests' })
    span.end()
    expect(agent.trace.events.at(-1)).toMatchObject({ kind: 'error', source: 'model', code: 'RateLimitError', message: '429 Too Many Requests' })
  })

  it('treats span contents as untrusted: never throws from onEnd, bounds every text, keeps every line valid', () => {
    const agent = createAgentRecorder()
    const processor = createTraceSpanProcessor(agent)
    const huge = 'x'.repeat(MAX_TEXT * 3)
    const hostile = {} as Record<string, unknown>
    Object.defineProperty(hostile, 'gen_ai.operation.name', { enumerable: true, get: () => { throw new Error('getter') } })
    const deep = JSON.stringify(JSON.parse('['.repeat(500) + ']'.repeat(500)))
    const spans: unknown[] = [
      null,
      undefined,
      42,
      { name: 'chat', attributes: hostile },
      { get name(): string { throw new Error('name') }, attributes: { 'gen_ai.operation.name': 'chat' } },
      { name: 'chat', attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.usage.input_tokens': -5, 'gen_ai.usage.output_tokens': Number.NaN, 'gen_ai.response.finish_reasons': ['f'.repeat(500)], 'gen_ai.output.messages': '{not json' } },
      { name: 'chat', attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.output.messages': JSON.stringify([{ parts: [{ type: 'text', content: huge }, { type: 'tool_call', name: 'n'.repeat(1000), id: 5, arguments: huge }] }]) } },
      { name: 'tool', attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 7, 'gen_ai.tool.call.arguments': deep, 'gen_ai.tool.call.result': huge }, duration: [Number.POSITIVE_INFINITY, 0] },
      { name: 'tool', attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'shell', 'gen_ai.tool.call.arguments': '{"__proto__":{"polluted":true},"command":"ls"}' } },
    ]
    for (const span of spans) expect(() => processor.onEnd(span as never)).not.toThrow()
    const events = agent.trace.events
    expect(events.length).toBeGreaterThan(4)
    for (const event of events) {
      expect(TraceEventSchema.safeParse(JSON.parse(JSON.stringify(event))).success).toBe(true)
      expect(JSON.stringify(event).length).toBeLessThan(MAX_TEXT * 2 + 2_000)
    }
    const response = events.find((e) => e.kind === 'model-response' && e.content)!
    expect(response).toMatchObject({ content: 'x'.repeat(MAX_TEXT) })
    expect(events.find((e) => e.kind === 'model-response' && e.finishReason)).toMatchObject({ finishReason: 'f'.repeat(64), tokens: { prompt: 0, completion: 0 } })
    const result = events.find((e) => e.kind === 'tool-result')!
    expect(result).toMatchObject({ name: 'tool', truncated: true, durationMs: 0 }) // a tool name that is not a string: the span's name
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    // The processor is a real SpanProcessor for the SDK.
    const typed: SpanProcessor = processor
    expect(typed).toBe(processor)
  })

  it('hands mapped steps to a recorder that counts through calls of its own (the shape of an adapter run context trace)', () => {
    const seen: { models: unknown[]; tools: unknown[]; errors: string[] } = { models: [], tools: [], errors: [] }
    const sink = {
      recordModelCall: (call: unknown) => void seen.models.push(call),
      recordToolCall: (call: unknown) => void seen.tools.push(call),
      recordError: (code: string) => void seen.errors.push(code),
    }
    const processor = createTraceSpanProcessor(sink)
    processor.onEnd({ name: 'chat', attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.input.messages': '[{},{}]', 'gen_ai.usage.input_tokens': 7, 'gen_ai.output.messages': JSON.stringify([{ parts: [{ type: 'tool_call', id: 'c9', name: 'shell', arguments: '{"command":"ls"}' }] }]) } })
    processor.onEnd({ name: 'execute_tool shell', attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'shell', 'gen_ai.tool.call.arguments': '{"command":"ls"}', 'gen_ai.tool.call.result': 'a.txt' } })
    processor.onEnd({ name: 'invoke_agent', attributes: { 'gen_ai.operation.name': 'invoke_agent' }, status: { code: 2, message: 'gave up' } })
    expect(seen.models).toEqual([{ content: null, toolCalls: [{ id: 'c9', name: 'shell', arguments: '{"command":"ls"}' }], tokens: { prompt: 7, completion: 0 }, durationMs: 0, finishReason: null, messages: 2 }])
    expect(seen.tools).toEqual([{ id: 'c9', name: 'shell', arguments: { command: 'ls' }, output: 'a.txt', ok: true, durationMs: 0 }])
    expect(seen.errors).toEqual(['AGENT_ERROR'])
  })

  it('routes spans to the recorder a function picks, and drops spans it has none for', () => {
    const a = createTraceRecorder()
    const b = createTraceRecorder()
    const processor = createTraceSpanProcessor((span) => ((span.attributes['trial'] as string) === 'a' ? a : (span.attributes['trial'] as string) === 'b' ? b : undefined))
    const chat = (trial: string): Attributes => ({ 'gen_ai.operation.name': 'chat', trial })
    for (const trial of ['a', 'b', 'a', 'c']) processor.onEnd({ name: 'chat', attributes: chat(trial) })
    expect(a.events.filter((e) => e.kind === 'model-request').map((e) => (e as { turn: number }).turn)).toEqual([1, 2])
    expect(b.events.filter((e) => e.kind === 'model-request')).toHaveLength(1)
  })
})
