import { spawnSync } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { Agent, run, setDefaultOpenAIClient, setOpenAIAPI, setTraceProcessors, setTracingDisabled, tool } from '@openai/agents'
import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { startSimServer, type SimServer } from '../../fixtures/sim/index.js'
import { processTrace } from '../../src/miner/process-trace.js'
import { traceSteps } from '../../src/report/html/align.js'
import { agentsStepOfSpan, openAIAgentsTraceProcessor } from '../../src/trace/openai-agents.js'
import { readTrace } from '../../src/trace/reader.js'
import { createAgentRecorder } from '../../src/trace/recorder.js'
import { createTraceRecorder } from '../../src/trace/writer.js'

const solutionsDir = resolve(import.meta.dirname, '../fixtures/sdk-agents/solutions')
const INSTRUCTION = 'Write notes.txt with two lines ("first line", "second line"), count its lines, then show missing-file.txt.'

let sim: SimServer
let dir: string
beforeAll(async () => {
  sim = await startSimServer({ solutionsDir, seed: 1 })
  dir = await mkdtemp(join(tmpdir(), 'agents-sdk-'))
})
afterAll(async () => {
  await sim?.close()
  await rm(dir, { recursive: true, force: true })
})

/** An agent built on the OpenAI Agents SDK, with a shell and a file tool working in `cwd`. */
function notesAgent(cwd: string): Agent {
  const shell = tool({
    name: 'shell',
    description: 'Run a bash command in the working directory.',
    parameters: z.object({ command: z.string() }),
    async execute({ command }) {
      const result = spawnSync('bash', ['-c', command], { cwd, encoding: 'utf8', timeout: 10_000 })
      const text = `exit code: ${result.status}\n${result.stdout}${result.stderr}`
      if (result.status !== 0) throw new Error(text) // the error function tells the model, and the SDK marks the span
      return text
    },
    // The SDK's default tells the model only that the tool failed; this one passes on what the command said.
    errorFunction: (_context, error) => (error instanceof Error ? error.message : String(error)),
  })
  const write = tool({
    name: 'write_file',
    description: 'Write a text file.',
    parameters: z.object({ path: z.string(), content: z.string() }),
    async execute({ path, content }) {
      await writeFile(join(cwd, path), content)
      return `wrote ${content.length} characters to ${path}`
    },
  })
  return new Agent({ name: 'notes', instructions: 'You are an agent working in a Linux terminal.', model: 'sim-oracle', tools: [shell, write] })
}

describe('the OpenAI Agents SDK bridge', () => {
  it('records the spans of a real Agents SDK run on the simulator as trace events the miner and the report read', async () => {
    setOpenAIAPI('chat_completions')
    setDefaultOpenAIClient(new OpenAI({ baseURL: sim.url, apiKey: 'test-key', maxRetries: 0 }))
    const path = join(dir, 'trace.jsonl')
    const agent = createAgentRecorder(createTraceRecorder({ path }))
    setTracingDisabled(false)
    setTraceProcessors([openAIAgentsTraceProcessor(agent)])
    agent.start({ taskId: 'notes-file', trial: 0, harnessId: 'agents-sdk', model: 'sim-oracle', instruction: INSTRUCTION })
    let output: unknown
    try {
      const result = await run(notesAgent(dir), INSTRUCTION, { maxTurns: 8 })
      output = result.finalOutput
    } finally {
      setTraceProcessors([])
      setTracingDisabled(true)
    }
    agent.end('finished')
    await agent.trace.close()
    expect(await readFile(join(dir, 'notes.txt'), 'utf8')).toBe('first line\nsecond line\n')
    expect(typeof output).toBe('string')

    const events = await readTrace(path)
    const kinds = events.map((e) => e.kind)
    expect(kinds[0]).toBe('trial-start')
    expect(kinds.at(-1)).toBe('trial-end')
    const calls = events.filter((e) => e.kind === 'tool-call')
    expect(calls.map((e) => [e.name, e.arguments])).toEqual([
      ['write_file', { path: 'notes.txt', content: 'first line\nsecond line\n' }],
      ['shell', { command: 'wc -l notes.txt' }],
      ['shell', { command: 'cat missing-file.txt' }],
    ])
    const responses = events.filter((e) => e.kind === 'model-response')
    expect(responses.length).toBe(4)
    // Each tool call has the id the model gave it, and its result follows it.
    for (const call of calls) {
      expect(responses.some((r) => r.toolCalls.some((c) => c.id === call.id && c.name === call.name))).toBe(true)
      expect(events.find((e) => e.kind === 'tool-result' && e.id === call.id)).toBeDefined()
    }
    const results = events.filter((e) => e.kind === 'tool-result')
    expect(results.map((r) => r.ok)).toEqual([true, true, false])
    expect(results[1]!.output).toContain('2 notes.txt')
    expect(results[2]!.output).toContain('No such file')
    expect(responses.every((r) => r.tokens.prompt > 0 && r.durationMs >= 0)).toBe(true)
    expect(events.at(-1)).toMatchObject({ kind: 'trial-end', turns: 4, toolCalls: 3 })
    expect(agent.models).toEqual(['sim-oracle'])

    const outcome = processTrace({ taskId: 'notes-file', trial: 0, tracePath: path })
    expect(outcome.warnings).toEqual([])
    expect(outcome.features).toMatchObject({ end: 'finish', toolCalls: 3, cause: { tool: 'shell', head: 'cat' } })
    expect(traceSteps(events).steps.map((s) => s.tool)).toEqual(['write_file', 'shell', 'shell'])
  })

  it('reads a Responses API span and ignores spans it does not know, without throwing on odd ones', () => {
    const step = agentsStepOfSpan({
      spanData: {
        type: 'response',
        _input: [{ role: 'user', content: 'hi' }],
        _response: {
          model: 'gpt-x',
          status: 'completed',
          usage: { input_tokens: 9, output_tokens: 4 },
          output: [
            { type: 'message', content: [{ type: 'output_text', text: 'Working on it.' }] },
            { type: 'function_call', call_id: 'fc_1', name: 'shell', arguments: '{"command":"ls"}' },
          ],
        },
      },
      startedAt: '2026-01-01T00:00:00.000Z',
      endedAt: '2026-01-01T00:00:01.500Z',
    })
    expect(step).toEqual({
      kind: 'model',
      call: { model: 'gpt-x', messages: 1, durationMs: 1500, content: 'Working on it.', finishReason: 'completed', tokens: { prompt: 9, completion: 4 }, toolCalls: [{ id: 'fc_1', name: 'shell', arguments: '{"command":"ls"}' }] },
    })
    expect(agentsStepOfSpan({ spanData: { type: 'agent', name: 'a' } })).toBeNull()
    expect(agentsStepOfSpan({ spanData: { type: 'guardrail', name: 'g' }, error: { message: 'tripped' } })).toEqual({ kind: 'error', message: 'guardrail: tripped' })
    for (const odd of [null, {}, { spanData: null }, { get spanData(): never { throw new Error('x') } }]) {
      expect(agentsStepOfSpan(odd as never)).toBeNull()
    }
  })
})
