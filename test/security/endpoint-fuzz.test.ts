import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { runAgent, type AgentRun } from '../../src/agent/loop.js'
import { createModelClient, resolveModelOptions } from '../../src/agent/model.js'
import { parseHarness } from '../../src/harness/version.js'
import { RunRecordSchema, type Trial } from '../../src/record/schema.js'
import { buildRecord, readRecord, writeRecord } from '../../src/record/store.js'
import { readTrace } from '../../src/trace/reader.js'
import { createTraceRecorder } from '../../src/trace/writer.js'
import { createWorkspace, type Workspace } from '../../src/workspace/workspace.js'
import baselineSpec from '../fixtures/gate-project/harnesses/baseline.json' with { type: 'json' }

// Property-based fuzzing of the endpoint boundary: generated chat-completions answers (wrong types, missing fields,
// huge numbers, malformed tool calls, odd statuses and content types, HTML and event-stream bodies) are served by a
// real HTTP server on localhost, so the real openai client parses them, and go through the agent loop. Every run
// must resolve with the run shape, every trace must read back with the project's own reader, and every trial
// must fit in a record that reads back.

/** Generated endpoint answers run through the loop (stated in docs/agent-protocol.md). */
const CASES = 2_000

interface Answer {
  status: number
  contentType: string
  headers: Record<string, string>
  body: string
}

// Shell and write_file are off: generated tool calls must not act on the host, only reach the loop's parsing.
const harness = parseHarness(
  {
    ...baselineSpec,
    limits: { ...baselineSpec.limits, maxTurns: 3 },
    tools: { ...baselineSpec.tools, shell: { ...baselineSpec.tools.shell, enabled: false }, write_file: { ...baselineSpec.tools.write_file, enabled: false } },
  },
  'fuzz.json',
)
const FINISH = JSON.stringify({ choices: [{ message: { content: null, tool_calls: [{ id: 'end', type: 'function', function: { name: 'finish', arguments: '{"summary":"end"}' } }] }, finish_reason: 'tool_calls' }] })

const weird = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.integer(),
  fc.double(),
  fc.constantFrom(1e308, -1, 1.5, 2 ** 60, Number.MAX_SAFE_INTEGER, 0, '12', '', true, false, null),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
  fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }),
)
const count = fc.oneof({ weight: 3, arbitrary: fc.nat(100_000) }, { weight: 1, arbitrary: weird })
const argumentsText = fc.oneof(
  fc.constantFrom('{}', '', '{"path": "README.md"}', '{"summary": "done"}', '{"path": ', '[1,2]', 'null', '"text"', '{"path": 5}'),
  fc.json({ maxDepth: 2 }),
  fc.string({ maxLength: 30 }),
)
const toolCall = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record(
      {
        id: fc.oneof(fc.constantFrom('call_1', 'call_2', 'call_1'), fc.string({ maxLength: 8 }), weird),
        type: fc.oneof(fc.constant('function'), weird),
        function: fc.oneof(
          { weight: 4, arbitrary: fc.record({ name: fc.oneof(fc.constantFrom('finish', 'read_file', 'shell', 'write_file', 'nope'), weird), arguments: fc.oneof({ weight: 4, arbitrary: argumentsText }, { weight: 1, arbitrary: weird }) }, { requiredKeys: [] }) },
          { weight: 1, arbitrary: weird },
        ),
      },
      { requiredKeys: [] },
    ),
  },
  { weight: 1, arbitrary: weird },
)
const message = fc.record(
  {
    role: fc.constant('assistant'),
    content: fc.oneof({ weight: 3, arbitrary: fc.option(fc.string({ maxLength: 40 })) }, { weight: 1, arbitrary: weird }),
    tool_calls: fc.oneof({ weight: 4, arbitrary: fc.array(toolCall, { maxLength: 40 }) }, { weight: 1, arbitrary: weird }),
  },
  { requiredKeys: [] },
)
const choice = fc.record(
  { index: fc.constant(0), message: fc.oneof({ weight: 6, arbitrary: message }, { weight: 1, arbitrary: weird }), finish_reason: fc.oneof(fc.constantFrom('stop', 'length', 'tool_calls', null), weird) },
  { requiredKeys: [] },
)
const completionBody = fc.record(
  {
    id: fc.string({ maxLength: 8 }),
    choices: fc.oneof({ weight: 6, arbitrary: fc.array(choice, { minLength: 1, maxLength: 2 }) }, { weight: 1, arbitrary: weird }),
    usage: fc.oneof({ weight: 3, arbitrary: fc.record({ prompt_tokens: count, completion_tokens: count, total_tokens: count }, { requiredKeys: [] }) }, { weight: 1, arbitrary: weird }),
  },
  { requiredKeys: [] },
).map((body) => JSON.stringify(body))
const errorText = fc.constantFrom(
  'Failed to parse tool call arguments as JSON',
  'the request exceeds the available context size, try increasing it',
  "This model's maximum context length is 4096 tokens",
  'response_format is not supported',
  'upstream connect error',
  'Rate limit reached',
)
const body = fc.oneof(
  { weight: 8, arbitrary: completionBody },
  { weight: 1, arbitrary: fc.constantFrom('<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>', 'data: {"choices":[{"delta":{"content":"hi"}}]}\n\ndata: [DONE]\n\n', '', '{"choices": [', 'null', '[]', '12') },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: errorText.map((message) => JSON.stringify({ error: { message, code: 'x' } })) },
)
const answer: fc.Arbitrary<Answer> = fc.record({
  status: fc.oneof({ weight: 8, arbitrary: fc.constant(200) }, { weight: 2, arbitrary: fc.constantFrom(400, 401, 404, 413, 429, 500, 502, 503) }),
  contentType: fc.oneof({ weight: 6, arbitrary: fc.constant('application/json') }, { weight: 1, arbitrary: fc.constantFrom('text/html', 'text/event-stream', 'text/plain', 'application/json; charset=utf-8', 'application/problem+json') }),
  headers: fc.oneof(fc.constant({}), fc.constantFrom({ 'retry-after': '100000' }, { 'retry-after': 'soon' }, { 'retry-after-ms': '-5' })),
  body,
})

let server: Server
let url: string
let queue: Answer[] = []
let dir: string
let workspace: Workspace

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'endpoint-fuzz-'))
  workspace = await createWorkspace({ exec: { sandbox: 'none' } })
  await workspace.write('README.md', 'fuzz\n')
  server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      const next = queue.shift()
      if (!next) {
        res.writeHead(200, { 'content-type': 'application/json' })
        return void res.end(FINISH)
      }
      res.writeHead(next.status, { 'content-type': next.contentType, ...next.headers })
      res.end(next.body)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`
})
afterAll(async () => {
  server?.closeAllConnections()
  await new Promise((resolve) => server?.close(resolve))
  await workspace?.dispose()
  await rm(dir, { recursive: true, force: true })
})

const STATUSES = ['finished', 'max-turns', 'failed', 'timeout', 'error']

it(`survives ${CASES.toLocaleString('en-US')} generated endpoint answers: every run resolves with the run shape, every trace and the record read back`, async () => {
  const client = createModelClient(resolveModelOptions({ baseURL: url, apiKey: 'k', model: 'fuzz', timeoutMs: 2_000, maxRetries: 0 }))
  const trials: Trial[] = []
  const seen = new Set<string>()
  await fc.assert(
    fc.asyncProperty(fc.array(answer, { minLength: 1, maxLength: 3 }), async (answers) => {
      queue = [...answers]
      const path = join(dir, `trace-${trials.length}.jsonl`)
      const run: AgentRun = await runAgent({ instruction: 'Fuzz.', harness, client, workspace, trace: createTraceRecorder({ path }), taskId: 'fuzz', trial: trials.length, settings: { runTimeoutMs: 5_000 } })
      expect(Object.keys(run).sort()).toEqual(['durationMs', 'error', 'status', 'summary', 'tokens', 'toolCalls', 'trace', 'tracePath', 'turns'])
      expect(STATUSES).toContain(run.status)
      if (run.status === 'error' || run.status === 'failed' || run.status === 'timeout') expect(run.error?.message).toBeTruthy()
      expect(run.error?.message ?? '').not.toMatch(/TypeError|Cannot read properties/)
      const events = await readTrace(path)
      expect(events).toHaveLength(run.trace.length)
      expect(events.at(-1)).toMatchObject({ kind: 'trial-end', status: run.status })
      seen.add(run.error?.code ?? run.status)
      for (const e of events) if (e.kind === 'error') seen.add(e.code)
      const trial: Trial = {
        index: trials.length,
        outcome: run.status === 'timeout' || run.status === 'error' ? 'error' : run.status === 'finished' ? 'pass' : 'fail',
        durationMs: Math.round(run.durationMs),
        tokens: run.tokens,
        turns: run.turns,
        toolCalls: run.toolCalls,
        status: run.status,
        ...(run.error ? { reason: run.error.message.slice(0, 500) } : {}),
      }
      RunRecordSchema.parse(buildRecord({ harness: { name: 'fuzz', id: harness.id }, model: 'fuzz', trials: 1, tasks: [{ id: 'fuzz', file: 'fuzz', name: 'fuzz', trials: [trial] }] }))
      trials.push(trial)
    }),
    { numRuns: CASES, seed: 20_261_202 },
  )
  const file = join(dir, 'record.json')
  await writeRecord(file, buildRecord({ harness: { name: 'fuzz', id: harness.id }, model: 'fuzz', trials: trials.length, tasks: [{ id: 'fuzz', file: 'fuzz', name: 'fuzz', trials }] }))
  expect((await readRecord(file)).tasks[0]!.trials).toHaveLength(CASES)
  // The generated answers reached every way a run can end, and a refused answer the loop went on from.
  expect([...seen]).toEqual(expect.arrayContaining(['finished', 'MODEL_BAD_RESPONSE', 'MODEL_FAILED', 'CONTEXT_EXCEEDED', 'MODEL_OUTPUT_REJECTED']))
}, 600_000)
