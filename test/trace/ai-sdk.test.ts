import { spawnSync } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createOpenAICompatible } from '@ai-sdk/openai-compatible'
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base'
import { generateText, stepCountIs, tool } from 'ai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { startSimServer, type SimServer } from '../../fixtures/sim/index.js'
import { processTrace } from '../../src/miner/process-trace.js'
import { traceSteps } from '../../src/report/html/align.js'
import { createTraceSpanProcessor } from '../../src/trace/otel.js'
import { readTrace } from '../../src/trace/reader.js'
import { createAgentRecorder } from '../../src/trace/recorder.js'
import { createTraceRecorder } from '../../src/trace/writer.js'

const solutionsDir = resolve(import.meta.dirname, '../fixtures/sdk-agents/solutions')
const INSTRUCTION = 'Write notes.txt with two lines ("first line", "second line"), count its lines, then show missing-file.txt.'

let sim: SimServer
let dir: string
beforeAll(async () => {
  sim = await startSimServer({ solutionsDir, seed: 1 })
  dir = await mkdtemp(join(tmpdir(), 'ai-sdk-'))
})
afterAll(async () => {
  await sim?.close()
  await rm(dir, { recursive: true, force: true })
})

describe('OpenTelemetry spans of the Vercel AI SDK', () => {
  it('records a real AI SDK run on the simulator, with telemetry on, as trace events the miner and the report read', async () => {
    const path = join(dir, 'trace.jsonl')
    const agent = createAgentRecorder(createTraceRecorder({ path }))
    const provider = new BasicTracerProvider({ spanProcessors: [createTraceSpanProcessor(agent)] })
    const sim$ = createOpenAICompatible({ name: 'sim', baseURL: sim.url, apiKey: 'test-key' })
    agent.start({ taskId: 'notes-file', trial: 0, harnessId: 'ai-sdk', model: 'sim-oracle', instruction: INSTRUCTION })
    const result = await generateText({
      model: sim$.chatModel('sim-oracle'),
      system: 'You are an agent working in a Linux terminal.',
      prompt: INSTRUCTION,
      stopWhen: stepCountIs(8),
      maxRetries: 0,
      experimental_telemetry: { isEnabled: true, tracer: provider.getTracer('ai') },
      tools: {
        shell: tool({
          description: 'Run a bash command in the working directory.',
          inputSchema: z.object({ command: z.string() }),
          execute: async ({ command }) => {
            const run = spawnSync('bash', ['-c', command], { cwd: dir, encoding: 'utf8', timeout: 10_000 })
            const text = `exit code: ${run.status}\n${run.stdout}${run.stderr}`
            if (run.status !== 0) throw new Error(text)
            return text
          },
        }),
        write_file: tool({
          description: 'Write a text file.',
          inputSchema: z.object({ path: z.string(), content: z.string() }),
          execute: async ({ path: file, content }) => {
            await writeFile(join(dir, file), content)
            return `wrote ${content.length} characters to ${file}`
          },
        }),
      },
    })
    agent.end('finished')
    await agent.trace.close()
    expect(await readFile(join(dir, 'notes.txt'), 'utf8')).toBe('first line\nsecond line\n')
    expect(result.text).toContain('Done')

    const events = await readTrace(path)
    const calls = events.filter((e) => e.kind === 'tool-call')
    expect(calls.map((e) => [e.name, e.arguments])).toEqual([
      ['write_file', { path: 'notes.txt', content: 'first line\nsecond line\n' }],
      ['shell', { command: 'wc -l notes.txt' }],
      ['shell', { command: 'cat missing-file.txt' }],
    ])
    const responses = events.filter((e) => e.kind === 'model-response')
    expect(responses).toHaveLength(4)
    for (const call of calls) expect(responses.some((r) => r.toolCalls.some((c) => c.id === call.id))).toBe(true)
    const results = events.filter((e) => e.kind === 'tool-result')
    expect(results.map((r) => [r.id, r.ok])).toEqual(calls.map((c, i) => [c.id, i < 2]))
    expect(results[2]!.output).toContain('No such file')
    expect(responses.every((r) => r.tokens.prompt > 0)).toBe(true)
    expect(responses.at(-1)).toMatchObject({ content: expect.stringContaining('Done'), toolCalls: [] })
    expect(agent.models).toEqual(['sim-oracle'])

    const outcome = processTrace({ taskId: 'notes-file', trial: 0, tracePath: path })
    expect(outcome.warnings).toEqual([])
    expect(outcome.features).toMatchObject({ end: 'finish', toolCalls: 3, cause: { tool: 'shell', head: 'cat' } })
    expect(traceSteps(events).steps.map((s) => s.tool)).toEqual(['write_file', 'shell', 'shell'])
  })
})
