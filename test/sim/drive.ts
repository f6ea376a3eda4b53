import OpenAI from 'openai'
import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions'
import { World, type WorldOptions } from './world.js'

/** A minimal agent loop over the simulator, speaking docs/agent-protocol.md, for tests. */
export interface DriveOptions {
  model: string
  instruction: string
  rules?: string[]
  planning?: boolean
  tools?: string[]
  restateEvery?: number
  trial?: string
  world?: WorldOptions
  maxTurns?: number
}

/** What a driven run did. */
export interface DriveResult {
  calls: Array<{ name: string; args: Record<string, unknown> }>
  world: World
  summary: string | undefined
  plan: string | undefined
}

const ALL_TOOLS = ['shell', 'read_file', 'write_file', 'finish']

/** The system prompt a harness sends (same layout as the agent loop's). */
export function systemPrompt(rules: string[] = [], planning = false): string {
  let prompt = 'You are an agent working in a shell workspace. Use the tools to complete the task.'
  if (rules.length) prompt += `\n\nRules:\n${rules.map((r) => `- ${r}`).join('\n')}`
  if (planning) prompt += '\n\nPlanning: before your first action, write a plan using this template:\nPlan:\n{steps}'
  return prompt
}

/** Tool definitions with plain descriptions. */
export function toolDefs(names: string[] = ALL_TOOLS): ChatCompletionTool[] {
  return names.map((name) => ({
    type: 'function',
    function: { name, description: `The ${name} tool.`, parameters: { type: 'object', properties: {} } },
  }))
}

/** A client for the simulator at `baseURL`, without retries. */
export const simClient = (baseURL: string, timeout?: number): OpenAI =>
  new OpenAI({ baseURL, apiKey: 'test', maxRetries: 0, ...(timeout ? { timeout } : {}) })

/** Runs the model on a task against a fake world until it finishes or runs out of turns. */
export async function drive(client: OpenAI, options: DriveOptions): Promise<DriveResult> {
  const world = new World(options.world)
  const tools = toolDefs(options.tools)
  const headers = { 'x-self-harness-trial': options.trial ?? 'test#0' }
  const messages: ChatCompletionMessageParam[] = [
    { role: 'system', content: systemPrompt(options.rules, options.planning) },
    { role: 'user', content: options.instruction },
  ]
  const calls: DriveResult['calls'] = []
  let plan: string | undefined
  if (options.planning) {
    messages.push({ role: 'user', content: 'Write your plan now, using the planning template. Do not act yet.' })
    const res = await client.chat.completions.create({ model: options.model, messages, tools, tool_choice: 'none' }, { headers })
    plan = res.choices[0]!.message.content ?? ''
    messages.push({ role: 'assistant', content: plan }, { role: 'user', content: 'Now carry out your plan.' })
  }
  let rejections = 0
  for (let turn = 1; turn <= (options.maxTurns ?? 30); turn++) {
    const res = await client.chat.completions.create({ model: options.model, messages, tools }, { headers })
    const message = res.choices[0]!.message
    messages.push({ role: 'assistant', content: message.content, ...(message.tool_calls ? { tool_calls: message.tool_calls } : {}) })
    for (const call of message.tool_calls ?? []) {
      if (call.type !== 'function') continue
      const args = JSON.parse(call.function.arguments) as Record<string, unknown>
      calls.push({ name: call.function.name, args })
      let result: string
      if (call.function.name === 'finish') {
        const rejection = rejections < 2 ? options.world?.finalCheck?.(world) : undefined
        if (rejection === undefined) return { calls, world, summary: String(args.summary), plan }
        rejections++
        result = `Finish rejected: ${rejection}`
      } else {
        result = world.call(call.function.name, args)
      }
      messages.push({ role: 'tool', tool_call_id: call.id, content: result })
    }
    if (options.restateEvery && turn % options.restateEvery === 0) {
      messages.push({ role: 'user', content: `Reminder of the task: ${options.instruction}` })
    }
  }
  return { calls, world, summary: undefined, plan }
}

/** The shell commands and file paths of a run's calls, in order, for compact assertions. */
export const callSummary = (result: DriveResult): string[] =>
  result.calls.map((c) => (c.name === 'shell' ? `$ ${String(c.args.command)}` : `${c.name} ${String(c.args.path ?? '')}`.trim()))
