// An agent built with the OpenAI Agents SDK for JavaScript, run by self-harness. Its instructions, tool
// descriptions and turn limit are harness data (harnesses/<name>.json, validated by `harnessSchema`), so the gate
// can compare versions of them and `self-harness evolve` can improve them. Copy this file and change what you like.
import { Agent, MaxTurnsExceededError, OpenAIChatCompletionsModel, run, setTracingDisabled, tool, type Model } from '@openai/agents'
import OpenAI from 'openai'
import { defineAgent, type AgentContext, type AgentTrace } from 'self-harness'
import { z } from 'zod'

// The SDK's own trace export would send spans to the OpenAI platform; self-harness records the trace instead.
setTracingDisabled(true)

/** The harness data of this agent: what a harness version may change. */
const HarnessSchema = z.strictObject({
  instructions: z.string().min(1).max(20_000).describe('The system prompt the agent runs under: its role, how to work, standing rules.'),
  tools: z.strictObject({
    run_command: z.strictObject({ description: z.string().min(1).describe('What the model reads about the shell tool.') }),
    read_file: z.strictObject({ description: z.string().min(1).describe('What the model reads about the file-reading tool.') }),
    write_file: z.strictObject({ description: z.string().min(1).describe('What the model reads about the file-writing tool.') }),
  }),
  maxTurns: z.number().int().min(1).max(50).default(12).describe('Model calls one run may make before it is stopped.'),
  commandTimeoutMs: z.number().int().min(100).max(120_000).default(10_000).describe('Time limit of one shell command, in milliseconds.'),
})
type Harness = z.output<typeof HarnessSchema>

export default defineAgent({
  name: 'openai-agents example',
  harnessSchema: HarnessSchema,
  // What the proposer may change. The instructions may only grow: an edit adds guidance, it never deletes any.
  editable: [
    { path: '/instructions', mode: 'grow-only' },
    '/tools/*/description',
    { path: '/maxTurns', min: 4, max: 30 },
  ],
  async run(instruction, ctx) {
    const client = new OpenAI({ baseURL: ctx.model.baseURL, apiKey: ctx.model.apiKey, defaultHeaders: ctx.model.headers, maxRetries: 2 })
    const agent = new Agent({
      name: 'workspace agent',
      instructions: ctx.harness.instructions,
      // A cast only because this repository's `openai` is another major than the SDK's: the client works with both.
      model: recorded(new OpenAIChatCompletionsModel(client as unknown as ConstructorParameters<typeof OpenAIChatCompletionsModel>[0], ctx.model.name), ctx.trace),
      tools: workspaceTools(ctx.harness, ctx),
    })
    try {
      const result = await run(agent, instruction, { maxTurns: ctx.harness.maxTurns, signal: ctx.signal })
      return { status: 'finished', summary: String(result.finalOutput ?? '') }
    } catch (error) {
      if (error instanceof MaxTurnsExceededError) return { status: 'max-turns' }
      throw error // recorded as an infrastructure error (or a timeout once the signal aborted)
    }
  },
})

/** The three tools, running in the trial's sandboxed workspace; each call is recorded in the trace. */
function workspaceTools(harness: Harness, ctx: AgentContext<Harness>) {
  const { workspace, trace } = ctx
  return [
    tool({
      name: 'run_command',
      description: harness.tools.run_command.description,
      parameters: z.object({ command: z.string().describe('A bash command, run in the workspace.') }),
      execute: ({ command }) =>
        trace.tool('run_command', { command }, async () => {
          const result = await workspace.exec(command, { timeoutMs: Math.min(harness.commandTimeoutMs * ctx.settings.timeScale, Math.max(1, ctx.settings.deadline - Date.now())) })
          let output = result.timedOut ? `timed out after ${harness.commandTimeoutMs} ms; the command was killed` : `exit code: ${result.exitCode}`
          if (result.stdout) output += `\nstdout:\n${result.stdout}`
          if (result.stderr) output += `\nstderr:\n${result.stderr}`
          return { output, ok: result.exitCode === 0 && !result.timedOut }
        }),
    }),
    tool({
      name: 'read_file',
      description: harness.tools.read_file.description,
      parameters: z.object({ path: z.string().describe('Path relative to the workspace.') }),
      execute: ({ path }) => trace.tool('read_file', { path }, () => workspace.read(path)),
    }),
    tool({
      name: 'write_file',
      description: harness.tools.write_file.description,
      parameters: z.object({ path: z.string().describe('Path relative to the workspace.'), content: z.string().describe('The whole new content of the file.') }),
      execute: ({ path, content }) =>
        trace.tool('write_file', { path, content }, async () => {
          await workspace.write(path, content)
          return `wrote ${Buffer.byteLength(content)} bytes to ${path}`
        }),
    }),
  ]
}

/** The SDK's model, with every call recorded in the trace (what the model said, which tools it called, tokens). */
function recorded(model: Model, trace: AgentTrace): Model {
  return {
    async getResponse(request) {
      const started = performance.now()
      const response = await model.getResponse(request)
      const text: string[] = []
      const toolCalls: Array<{ id: string; name: string; arguments: string }> = []
      for (const item of response.output) {
        if (item.type === 'message' && item.role === 'assistant') for (const part of item.content) if (part.type === 'output_text') text.push(part.text)
        if (item.type === 'function_call') toolCalls.push({ id: item.callId, name: item.name, arguments: item.arguments })
      }
      trace.recordModelCall({
        content: text.length ? text.join('') : null,
        toolCalls,
        tokens: { prompt: response.usage.inputTokens, completion: response.usage.outputTokens },
        durationMs: performance.now() - started,
        messages: typeof request.input === 'string' ? 2 : request.input.length + 1,
      })
      return response
    },
    getStreamedResponse: (request) => model.getStreamedResponse(request),
  }
}
