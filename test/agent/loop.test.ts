import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { runAgent } from '../../src/agent/loop.js'
import { createModelClient, resolveModelOptions, type ModelOptions } from '../../src/agent/model.js'
import { parseHarness } from '../../src/harness/version.js'
import { readTrace } from '../../src/trace/reader.js'
import { createTraceRecorder } from '../../src/trace/writer.js'
import { createWorkspace } from '../../src/workspace/workspace.js'
import baselineSpec from '../fixtures/gate-project/harnesses/baseline.json' with { type: 'json' }
import { call, completion, startScriptedEndpoint, type ScriptedEndpoint } from './scripted-endpoint.js'

// The agent loop against a scripted endpoint over HTTP (the real openai client parses every answer): what reaches
// the history, how server errors caused by the model's output are told apart from the infrastructure's, and that
// nothing waits past the run's time limit.

const harness = parseHarness(baselineSpec, 'baseline.json')
const finish = completion({ toolCalls: [call('f', 'finish', { summary: 'done' })] })
let endpoint: ScriptedEndpoint
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'loop-test-'))
})
afterAll(() => rm(dir, { recursive: true, force: true }))
beforeEach(async () => {
  endpoint = await startScriptedEndpoint()
})
afterEach(async () => {
  expect(endpoint.unexpected, 'requests past the end of the script').toBe(0)
  await endpoint.close()
})

let runs = 0
async function run(options: { model?: ModelOptions; runTimeoutMs?: number; spec?: Record<string, unknown> } = {}) {
  const workspace = await createWorkspace({ exec: { sandbox: 'none' } })
  const client = createModelClient(resolveModelOptions({ baseURL: endpoint.url, apiKey: 'k', model: 'scripted', timeoutMs: 5_000, maxRetries: 2, ...options.model }))
  const path = join(dir, `trace-${runs++}.jsonl`)
  const h = options.spec ? parseHarness({ ...baselineSpec, ...options.spec }, 'h.json') : harness
  try {
    const result = await runAgent({
      instruction: 'Do the task.',
      harness: h,
      client,
      workspace,
      trace: createTraceRecorder({ path }),
      taskId: 'loop',
      trial: 0,
      settings: { runTimeoutMs: options.runTimeoutMs ?? 10_000 },
    })
    // The project's own reader accepts every event the loop wrote.
    const events = await readTrace(path)
    const exists = async (p: string) => workspace.exists(p)
    return { result, events, exists: await exists('out.txt') }
  } finally {
    await workspace.dispose()
  }
}

const assistantCalls = (i: number) =>
  endpoint.requests[i]!.body.messages.flatMap((m) => (m.role === 'assistant' && Array.isArray(m.tool_calls) ? (m.tool_calls as Array<{ id: string; function: { arguments: string } }>) : []))

describe('the history', () => {
  it('carries only JSON-object arguments, while the tool result shows the model what it sent', async () => {
    endpoint.push({ body: completion({ toolCalls: [call('a', 'write_file', '{"path": "out.txt", "content": '), call('b', 'read_file', ''), call('c', 'shell', '[1, 2]')] }) }, { body: finish })
    const { result, events } = await run()
    expect(result.status).toBe('finished')
    for (const c of assistantCalls(1)) expect(JSON.parse(c.function.arguments)).toEqual({})
    const tools = endpoint.requests[1]!.body.messages.filter((m) => m.role === 'tool')
    expect(tools[0]!.content).toMatch(/not valid JSON.*You sent: "\{\\"path\\": \\"out.txt\\", \\"content\\": "/s)
    expect(tools[1]!.content).toMatch(/argument `path` must be a string/)
    expect(tools[2]!.content).toMatch(/expected a JSON object/)
    expect(events.filter((e) => e.kind === 'tool-result')).toHaveLength(4)
  })

  it('answers a malformed tool call (object arguments, numeric name, missing id) as a tool result the model can read', async () => {
    const bad = [
      { id: 'x1', type: 'function', function: { name: 'write_file', arguments: { path: 'out.txt', content: 'hi' } } },
      { type: 'function', function: { name: 7, arguments: '{}' } },
      'not a call',
    ]
    endpoint.push({ body: completion({ toolCalls: bad }) }, { body: finish })
    const { result, events, exists } = await run()
    expect(result.status).toBe('finished')
    expect(exists).toBe(false) // a malformed call is never run
    const ids = assistantCalls(1).map((c) => c.id)
    expect(new Set(ids).size).toBe(3)
    const tools = endpoint.requests[1]!.body.messages.filter((m) => m.role === 'tool')
    expect(tools.map((t) => t.tool_call_id)).toEqual(ids)
    expect(tools[0]!.content).toMatch(/`function.arguments` to be a string, got `\{"path":"out.txt","content":"hi"\}`/)
    expect(tools[1]!.content).toMatch(/`id` to be a non-empty string/)
    expect(tools[2]!.content).toMatch(/tool call 2 is malformed/)
    expect(events.at(-1)).toMatchObject({ kind: 'trial-end', status: 'finished' })
  })

  it('runs at most 32 tool calls of one answer; the rest are dropped, counted in the trace and the model is told', async () => {
    const calls = Array.from({ length: 1_000 }, (_, i) => call(`c${i}`, 'shell', { command: 'true' }))
    endpoint.push({ body: completion({ toolCalls: calls }) }, { body: finish })
    const { result, events } = await run()
    expect(result.status).toBe('finished')
    expect(result.toolCalls).toBe(33)
    expect(events.find((e) => e.kind === 'model-response')).toMatchObject({ toolCallsDropped: 968 })
    expect(assistantCalls(1)).toHaveLength(32)
    expect(endpoint.requests[1]!.body.messages.at(-1)).toMatchObject({ role: 'user', content: expect.stringMatching(/^968 more tool call/) })
  })
})

describe('server errors caused by the model', () => {
  const refused = (message: string, status = 500) => ({ status, body: { error: { code: status, message, type: 'server_error' } } })

  it('a 500 that blames the model output is its turn: told, not retried, and the run goes on', async () => {
    endpoint.push(refused('Failed to parse tool call arguments as JSON: [json.exception.parse_error.101]'), { body: finish })
    const { result, events } = await run()
    expect(result.status).toBe('finished')
    expect(endpoint.requests).toHaveLength(2)
    expect(endpoint.requests[1]!.body.messages.at(-1)).toMatchObject({ role: 'user', content: expect.stringMatching(/could not read your last answer/) })
    expect(events.find((e) => e.kind === 'error')).toMatchObject({ source: 'model', code: 'MODEL_OUTPUT_REJECTED' })
  })

  it('fails the trial (not an error) after three refused answers in a row', async () => {
    for (let i = 0; i < 3; i++) endpoint.push(refused('The model output does not match the expected tool-call format'))
    const { result } = await run()
    expect(result.status).toBe('failed')
    expect(result.error).toMatchObject({ code: 'MODEL_OUTPUT_REJECTED', message: expect.stringMatching(/does not match the expected/) })
    expect(endpoint.requests).toHaveLength(3)
  })

  it.each([
    ['llama.cpp', refused('the request exceeds the available context size, try increasing it', 400)],
    ['OpenAI', { status: 400, body: { error: { message: "This model's maximum context length is 8192 tokens.", code: 'context_length_exceeded', type: 'invalid_request_error' } } }],
  ])('a context overflow (%s) fails the trial with that reason at once', async (_, answer) => {
    endpoint.push(answer)
    const { result, events } = await run()
    expect(result.status).toBe('failed')
    expect(result.error?.code).toBe('CONTEXT_EXCEEDED')
    expect(result.error?.message).not.toMatch(/retries/)
    expect(endpoint.requests).toHaveLength(1)
    expect(events.at(-1)).toMatchObject({ kind: 'trial-end', status: 'failed' })
  })

  it('a genuine 5xx is still retried as the infrastructure', async () => {
    endpoint.push(refused('upstream connect error', 503), { body: finish })
    const { result } = await run()
    expect(result.status).toBe('finished')
    expect(endpoint.requests).toHaveLength(2)
  })
})

describe('max_tokens and finish_reason', () => {
  it('sends max_tokens, records finish_reason, and does not run the tool calls of an answer cut at the limit', async () => {
    endpoint.push({ body: completion({ toolCalls: [call('w', 'write_file', { path: 'out.txt', content: 'x' })], finishReason: 'length' }) }, { body: finish })
    const { result, events, exists } = await run({ model: { maxTokens: 64 } })
    expect(endpoint.requests[0]!.body.max_tokens).toBe(64)
    expect(result.status).toBe('finished')
    expect(exists).toBe(false)
    expect(events.filter((e) => e.kind === 'model-response').map((e) => e.kind === 'model-response' && e.finishReason)).toEqual(['length', 'tool_calls'])
    expect(endpoint.requests[1]!.body.messages.at(-1)).toMatchObject({ role: 'user', content: expect.stringMatching(/cut at the token limit/) })
  })

  it('fails the trial when three answers in a row are cut', async () => {
    for (let i = 0; i < 3; i++) endpoint.push({ body: completion({ content: 'and then', finishReason: 'length' }) })
    const { result } = await run()
    expect(result).toMatchObject({ status: 'failed', error: { code: 'MODEL_OUTPUT_CUT' } })
  })
})

describe('time limits', () => {
  it('a Retry-After beyond the time left ends the run as error at once', async () => {
    endpoint.push({ status: 429, headers: { 'retry-after': '100000' }, body: { error: { message: 'Rate limit reached' } } })
    const { result } = await run({ runTimeoutMs: 5_000 })
    expect(result).toMatchObject({ status: 'error', error: { code: 'MODEL_RATE_LIMITED', message: expect.stringMatching(/100000000 ms/) } })
    expect(result.durationMs).toBeLessThan(5_000)
    expect(endpoint.requests).toHaveLength(1)
  })

  it('a hung endpoint ends the run as timeout at its limit, with the tokens and trace so far', async () => {
    endpoint.push({ body: completion({ toolCalls: [call('s', 'shell', { command: 'true' })], usage: { prompt_tokens: 11, completion_tokens: 7 } }) }, { hang: true })
    const { result, events } = await run({ runTimeoutMs: 1_500 })
    expect(result.status).toBe('timeout')
    expect(result.tokens).toEqual({ prompt: 11, completion: 7 })
    expect(events.at(-1)).toMatchObject({ kind: 'trial-end', status: 'timeout', tokens: { prompt: 11, completion: 7 } })
  })

  it('tool execution stops at the run limit: no tool call starts after it', async () => {
    const calls = Array.from({ length: 20 }, (_, i) => call(`s${i}`, 'shell', { command: 'sleep 1' }))
    endpoint.push({ body: completion({ toolCalls: calls }) })
    const { result } = await run({ runTimeoutMs: 2_500 })
    expect(result.status).toBe('timeout')
    expect(result.toolCalls).toBeLessThanOrEqual(4)
    expect(result.durationMs).toBeLessThan(2_500 + 1_500)
  })

  it('runs more than ten turns without a MaxListenersExceededWarning', async () => {
    const warnings: Error[] = []
    const onWarning = (w: Error) => warnings.push(w)
    process.on('warning', onWarning)
    try {
      for (let i = 0; i < 14; i++) endpoint.push({ body: completion({ toolCalls: [call(`t${i}`, 'shell', { command: 'true' })] }) })
      endpoint.push({ body: finish })
      const { result } = await run()
      expect(result).toMatchObject({ status: 'finished', turns: 15 })
      await new Promise((r) => setImmediate(r))
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([])
    } finally {
      process.off('warning', onWarning)
    }
  })
})
