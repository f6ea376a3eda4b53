import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineAgent, isAgentDefinition } from '../../src/agent/define.js'
import { runAgent } from '../../src/agent/loop.js'
import type { ChatCompletion, ModelClient } from '../../src/agent/model.js'
import { builtinAgent, runAgentTrial, TIMEOUT_GRACE_MS } from '../../src/agent/run-trial.js'
import { ConfigurationError } from '../../src/errors.js'
import { parseHarness } from '../../src/harness/version.js'
import { readTrace } from '../../src/trace/reader.js'
import { createTraceRecorder } from '../../src/trace/writer.js'
import { createWorkspace, type Workspace } from '../../src/workspace/workspace.js'
import baselineSpec from '../fixtures/gate-project/harnesses/baseline.json' with { type: 'json' }

// The agent adapter contract with a scripted model (no HTTP): what a team's run gets, and that a trial resolves
// with the same run shape whatever the agent does.

const schema = z.strictObject({ instructions: z.string().describe('The system prompt.'), maxTurns: z.number().int().default(5) })
let dir: string
let workspace: Workspace
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'define-agent-'))
  workspace = await createWorkspace({ exec: { sandbox: 'none' } })
})
afterAll(async () => {
  await workspace.dispose()
  await rm(dir, { recursive: true, force: true })
})

function answer(message: Record<string, unknown>): ChatCompletion {
  return { id: 'c', object: 'chat.completion', created: 0, model: 'scripted', choices: [{ index: 0, message: { role: 'assistant', refusal: null, content: null, ...message }, finish_reason: 'stop', logprobs: null }], usage: { prompt_tokens: 10, completion_tokens: 3, total_tokens: 13 } } as ChatCompletion
}

/** A model that answers from a script and fails loudly past its end. */
function scripted(replies: ChatCompletion[]): ModelClient & { calls: number } {
  const queue = [...replies]
  const client = {
    model: 'scripted',
    calls: 0,
    async chat() {
      client.calls++
      const next = queue.shift()
      if (!next) throw new Error(`Unexpected model call #${client.calls}`)
      return next
    },
  }
  return client
}

let traces = 0
const trialOf = <H>(harness: { name: string; id: string; spec: H }, client: ModelClient, runTimeoutMs = 5_000) => ({
  instruction: 'Write hello to greeting.txt.',
  harness,
  client,
  endpoint: { baseURL: 'http://127.0.0.1:1/v1', apiKey: 'k' },
  workspace,
  trace: createTraceRecorder({ path: join(dir, `trace-${traces++}.jsonl`) }),
  taskId: 'tasks/greeting.test.ts > greets',
  trial: 0,
  settings: { runTimeoutMs },
})

describe('defineAgent', () => {
  it('makes a branded definition whose harness files are validated by the schema and hashed', () => {
    const agent = defineAgent({ harnessSchema: schema, editable: ['/instructions'], run: async () => {} })
    expect(isAgentDefinition(agent)).toBe(true)
    expect(isAgentDefinition({ ...agent })).toBe(true)
    expect(isAgentDefinition({ run: () => {} })).toBe(false)
    const a = agent.format.parse({ instructions: 'Be careful.' }, 'harnesses/a.json', 'a')
    const b = agent.format.parse({ maxTurns: 5, instructions: 'Be careful.' }, 'harnesses/b.json', 'b')
    expect(a.id).toBe(b.id) // defaults filled, keys sorted: the same data, the same id
    expect(a.spec).toEqual({ instructions: 'Be careful.', maxTurns: 5 })
    expect(agent.format.parse({ instructions: 'Be brief.' }, 'x.json', 'x').id).not.toBe(a.id)
  })

  it('refuses a harness file naming the file and the field', () => {
    const agent = defineAgent({ harnessSchema: schema, editable: ['/instructions'], run: async () => {} })
    expect(() => agent.format.parse({ instructions: 'x', maxTurns: 'many' }, 'harnesses/bad.json', 'bad')).toThrow(/harnesses\/bad\.json: field `maxTurns`/)
  })

  it('refuses a definition without a schema, a run function or a valid editable list, naming the field', () => {
    const bad = (input: unknown) => () => defineAgent(input as never)
    expect(bad({ editable: ['/a'], run: async () => {} })).toThrow(/`harnessSchema` to be a zod schema/)
    expect(bad({ harnessSchema: schema, editable: ['/a'] })).toThrow(/`run` to be a function/)
    expect(bad({ harnessSchema: schema, editable: ['instructions'], run: async () => {} })).toThrow(/editable\[0\]/)
    expect(bad({ harnessSchema: schema, editable: [{ path: '/a', mode: 'shrink' }], run: async () => {} })).toThrow(ConfigurationError)
    expect(bad({ harnessSchema: schema, editable: [], run: async () => {} })).toThrow(/at least one editable field/)
  })
})

describe('a trial of a custom agent', () => {
  it('gives the run the harness data, the workspace, the model, a signal and a recorder, and frames the trace', async () => {
    const client = scripted([answer({ content: 'Writing the file.', tool_calls: [{ id: 't1', type: 'function', function: { name: 'write', arguments: '{"path":"greeting.txt"}' } }] }), answer({ content: 'Done.' })])
    const seen: Record<string, unknown> = {}
    const agent = defineAgent({
      harnessSchema: schema,
      editable: ['/instructions'],
      async run(instruction, ctx) {
        Object.assign(seen, { instruction, harness: ctx.harness, version: ctx.version, headers: ctx.model.headers, baseURL: ctx.model.baseURL, aborted: ctx.signal.aborted })
        const first = await ctx.model.client.chat({ messages: [{ role: 'system', content: ctx.harness.instructions }, { role: 'user', content: instruction }] })
        const message = first.choices[0]!.message
        ctx.trace.recordModelCall({ content: message.content, toolCalls: message.tool_calls?.map((c) => ({ id: c.id, name: c.type === 'function' ? c.function.name : '?', arguments: c.type === 'function' ? c.function.arguments : '' })), tokens: { prompt: 10, completion: 3 } })
        await ctx.trace.tool('write', { path: 'greeting.txt' }, async () => {
          await ctx.workspace.write('greeting.txt', 'hello\n')
          return 'wrote 6 bytes'
        })
        const second = await ctx.model.client.chat({ messages: [] })
        ctx.trace.recordModelCall({ content: second.choices[0]!.message.content, tokens: { prompt: 12, completion: 2 } })
        return { summary: second.choices[0]!.message.content ?? '' }
      },
    })
    const harness = agent.format.parse({ instructions: 'You are careful.' }, 'baseline.json', 'baseline')
    const run = await runAgentTrial(agent, trialOf(harness, client))
    expect(run).toMatchObject({ status: 'finished', summary: 'Done.', turns: 2, toolCalls: 1, tokens: { prompt: 22, completion: 5 }, error: undefined })
    expect(seen).toMatchObject({ instruction: 'Write hello to greeting.txt.', harness: { instructions: 'You are careful.', maxTurns: 5 }, version: { name: 'baseline', id: harness.id }, headers: { 'x-self-harness-trial': 'tasks/greeting.test.ts > greets#0' }, baseURL: 'http://127.0.0.1:1/v1', aborted: false })
    expect(await workspace.read('greeting.txt')).toBe('hello\n')
    const events = await readTrace(run.tracePath!)
    expect(events.map((e) => e.kind)).toEqual(['trial-start', 'model-request', 'model-response', 'tool-call', 'tool-result', 'model-request', 'model-response', 'trial-end'])
    expect(events[0]).toMatchObject({ kind: 'trial-start', harnessId: harness.id, model: 'scripted' })
    expect(events.at(-1)).toMatchObject({ kind: 'trial-end', status: 'finished', turns: 2, toolCalls: 1 })
  })

  it('records a run that throws as error, with the reason in the trace, and still resolves', async () => {
    const agent = defineAgent({ harnessSchema: schema, editable: ['/instructions'], run: async () => { throw new TypeError('cannot read properties of undefined') } })
    const run = await runAgentTrial(agent, trialOf(agent.format.parse({ instructions: 'x' }, 'h.json', 'h'), scripted([])))
    expect(run.status).toBe('error')
    expect(run.error).toEqual({ code: 'AGENT_FAILED', message: 'cannot read properties of undefined' })
    expect(run.trace.find((e) => e.kind === 'error')).toMatchObject({ source: 'harness', code: 'AGENT_FAILED' })
    expect(run.trace.at(-1)).toMatchObject({ kind: 'trial-end', status: 'error' })
  })

  it('ends a run that outlives its time limit as timeout: the signal aborts, and a run that ignores it is left behind', async () => {
    let abortedAt = 0
    const agent = defineAgent({
      harnessSchema: schema,
      editable: ['/instructions'],
      run: (_instruction, ctx) => {
        ctx.signal.addEventListener('abort', () => (abortedAt = Date.now()))
        return new Promise(() => {}) // never settles
      },
    })
    const started = Date.now()
    const run = await runAgentTrial(agent, trialOf(agent.format.parse({ instructions: 'x' }, 'h.json', 'h'), scripted([]), 200))
    expect(run.status).toBe('timeout')
    expect(run.error?.code).toBe('RUN_TIMEOUT')
    expect(abortedAt - started).toBeGreaterThanOrEqual(190)
    expect(Date.now() - started).toBeLessThan(200 + TIMEOUT_GRACE_MS + 1_000)
    expect(run.trace.at(-1)).toMatchObject({ kind: 'trial-end', status: 'timeout' })
  })

  it('reads a run that gives up when its signal aborts as timeout, and refuses an unusable outcome as error', async () => {
    const quitter = defineAgent({
      harnessSchema: schema,
      editable: ['/instructions'],
      run: (_i, ctx) => new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve({ status: 'error', error: { code: 'ABORTED', message: 'aborted' } }))),
    })
    expect((await runAgentTrial(quitter, trialOf(quitter.format.parse({ instructions: 'x' }, 'h.json', 'h'), scripted([]), 100))).status).toBe('timeout')
    const odd = defineAgent({ harnessSchema: schema, editable: ['/instructions'], run: async () => ({ status: 'done' as never }) })
    const run = await runAgentTrial(odd, trialOf(odd.format.parse({ instructions: 'x' }, 'h.json', 'h'), scripted([])))
    expect(run).toMatchObject({ status: 'error', error: { code: 'AGENT_BAD_OUTCOME' } })
  })
})

describe('the built-in loop as an implementation of the contract', () => {
  it('runs through the trial runner with the same events and counts as runAgent', async () => {
    const finish = () => answer({ tool_calls: [{ id: 'f', type: 'function', function: { name: 'finish', arguments: '{"summary":"done"}' } }] })
    const shell = () => answer({ tool_calls: [{ id: 's', type: 'function', function: { name: 'shell', arguments: '{"command":"echo hi"}' } }] })
    const harness = parseHarness(baselineSpec, 'baseline.json')
    const viaContract = await runAgentTrial(builtinAgent, trialOf(harness, scripted([shell(), finish()])))
    const direct = await runAgent({ ...trialOf(harness, scripted([shell(), finish()])), settings: { runTimeoutMs: 5_000 } })
    const kinds = (run: typeof direct) => run.trace.map((e) => e.kind)
    expect(kinds(viaContract)).toEqual(kinds(direct))
    for (const field of ['status', 'summary', 'turns', 'toolCalls', 'tokens'] as const) expect(viaContract[field]).toEqual(direct[field])
    expect(viaContract.trace.filter((e) => e.kind === 'trial-end')).toHaveLength(1)
  })
})
