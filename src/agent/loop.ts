import { ModelError, SandboxError, SelfHarnessError } from '../errors.js'
import type { HarnessVersion } from '../harness/version.js'
import type { TraceEvent, Tokens } from '../trace/events.js'
import type { TraceRecorder } from '../trace/writer.js'
import type { Workspace } from '../workspace/workspace.js'
import { capText, selectContext } from './context.js'
import type { ChatMessage, ModelClient } from './model.js'
import { buildSystemPrompt, PLAN_FOLLOW_UP, PLAN_REQUEST, RESTATE_PREFIX } from './prompt.js'
import { toolDefinitions } from './tools.js'
import { runFinalChecks, runWrappedTool } from './wrappers.js'

/** How an agent run ended. `timeout` and `error` are the infrastructure failing, not the task. */
export type AgentStatus = 'finished' | 'max-turns' | 'timeout' | 'error'

/** The result of one agent run: the same shape whether it passed, failed, timed out or errored. */
export interface AgentRun {
  status: AgentStatus
  /** The summary the model gave when it finished. */
  summary: string | undefined
  turns: number
  toolCalls: number
  tokens: Tokens
  durationMs: number
  /** The error that ended the run, for `timeout` and `error`. */
  error: { code: string; message: string } | undefined
  /** Path of the JSONL trace, when one was written. */
  tracePath: string | undefined
  /** Every event of the run, in order. */
  trace: readonly TraceEvent[]
}

/** What a run needs. */
export interface RunAgentInput {
  instruction: string
  harness: HarnessVersion
  client: ModelClient
  workspace: Workspace
  trace: TraceRecorder
  /** Identifies the trial to the model endpoint and in the trace. */
  taskId: string
  trial: number
}

const NUDGE = 'Continue: use a tool, or call finish when the task is done.'

/** Runs the agent loop under a harness until it finishes, runs out of turns or time, or the model fails. */
export async function runAgent(input: RunAgentInput): Promise<AgentRun> {
  const { instruction, harness, client, workspace, trace } = input
  const spec = harness.spec
  const started = performance.now()
  const tokens: Tokens = { prompt: 0, completion: 0 }
  const tools = toolDefinitions(spec)
  const trialKey = `${input.taskId}#${input.trial}`
  const messages: ChatMessage[] = [
    { role: 'system', content: buildSystemPrompt(spec) },
    { role: 'user', content: instruction },
  ]
  const abort = new AbortController()
  const timer = setTimeout(() => abort.abort(), spec.limits.runTimeoutMs)
  let turns = 0
  let toolCalls = 0
  let summary: string | undefined
  let status: AgentStatus = 'max-turns'
  let error: AgentRun['error']
  const finishState = { reflected: false, rejections: 0 }

  trace.record({ kind: 'trial-start', taskId: input.taskId, trial: input.trial, harnessId: harness.id, model: client.model, instruction })

  const ask = async (toolChoice: 'auto' | 'none') => {
    const sent = selectContext(messages, spec.context)
    trace.record({ kind: 'model-request', turn: turns, messages: sent.length })
    const t0 = performance.now()
    const response = await client.chat({ messages: sent, tools, toolChoice, trialKey, signal: abort.signal })
    const message = response.choices[0]?.message
    if (!message) throw new ModelError('The model endpoint answered with no choices.')
    const usage = { prompt: response.usage?.prompt_tokens ?? 0, completion: response.usage?.completion_tokens ?? 0 }
    tokens.prompt += usage.prompt
    tokens.completion += usage.completion
    const calls = (message.tool_calls ?? []).flatMap((call) =>
      call.type === 'function' ? [{ id: call.id, name: call.function.name, arguments: call.function.arguments }] : [],
    )
    trace.record({ kind: 'model-response', turn: turns, durationMs: performance.now() - t0, content: message.content ?? null, toolCalls: calls, tokens: usage })
    return { content: message.content ?? null, calls }
  }

  try {
    if (spec.planning.enabled) {
      messages.push({ role: 'user', content: PLAN_REQUEST })
      const plan = await ask('none')
      trace.record({ kind: 'harness-step', step: 'plan', detail: plan.content ?? '', ok: true })
      messages.push({ role: 'assistant', content: plan.content ?? '' }, { role: 'user', content: PLAN_FOLLOW_UP })
    }
    loop: while (turns < spec.limits.maxTurns) {
      turns++
      const reply = await ask('auto')
      messages.push({
        role: 'assistant',
        content: reply.content,
        ...(reply.calls.length
          ? { tool_calls: reply.calls.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: c.arguments } })) }
          : {}),
      })
      if (!reply.calls.length) {
        messages.push({ role: 'user', content: NUDGE })
        continue
      }
      for (const call of reply.calls) {
        toolCalls++
        const t0 = performance.now()
        const { output, ok, done } = await handleCall(call.id, call.name, call.arguments)
        const capped = capText(output, spec.limits.toolResultMaxChars)
        trace.record({ kind: 'tool-result', turn: turns, id: call.id, name: call.name, ok, durationMs: performance.now() - t0, output: capped.text, truncated: capped.truncated })
        messages.push({ role: 'tool', tool_call_id: call.id, content: capped.text })
        if (done) {
          status = 'finished'
          break loop
        }
      }
      const every = spec.context.restateInstructionEvery
      if (every > 0 && turns % every === 0) {
        trace.record({ kind: 'harness-step', step: 'restate', detail: `turn ${turns}`, ok: true })
        messages.push({ role: 'user', content: RESTATE_PREFIX + instruction })
      }
    }
  } catch (cause) {
    if (abort.signal.aborted) {
      status = 'timeout'
      error = { code: 'RUN_TIMEOUT', message: `The agent run passed the harness's limit of ${spec.limits.runTimeoutMs} ms.` }
    } else {
      status = 'error'
      error = {
        code: cause instanceof SelfHarnessError ? cause.code : 'INTERNAL',
        message: cause instanceof Error ? cause.message : String(cause),
      }
    }
    trace.record({ kind: 'error', source: status === 'timeout' ? 'harness' : cause instanceof SandboxError ? 'sandbox' : 'model', code: error.code, message: error.message })
  } finally {
    clearTimeout(timer)
  }

  const durationMs = performance.now() - started
  trace.record({ kind: 'trial-end', status, turns, toolCalls, tokens, durationMs })
  await trace.close()
  return { status, summary, turns, toolCalls, tokens, durationMs, error, tracePath: trace.path, trace: trace.events }

  async function handleCall(id: string, name: string, rawArgs: string): Promise<{ output: string; ok: boolean; done: boolean }> {
    let args: Record<string, unknown>
    try {
      const parsed: unknown = JSON.parse(rawArgs || '{}')
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('expected a JSON object')
      args = parsed as Record<string, unknown>
    } catch (e) {
      trace.record({ kind: 'tool-call', turn: turns, id, name, arguments: rawArgs })
      return { output: `error: arguments are not valid JSON: ${(e as Error).message}`, ok: false, done: false }
    }
    trace.record({ kind: 'tool-call', turn: turns, id, name, arguments: args })
    if (name === 'finish' && spec.tools.finish.enabled) {
      if (finishState.rejections < spec.maxFinishRejections) {
        const rejection = await runFinalChecks(spec, workspace, trace, finishState)
        if (rejection !== undefined) {
          finishState.rejections++
          return { output: `Finish rejected: ${rejection}`, ok: false, done: false }
        }
      }
      summary = typeof args.summary === 'string' ? args.summary : ''
      return { output: 'finished', ok: true, done: true }
    }
    if ((name === 'shell' || name === 'read_file' || name === 'write_file') && spec.tools[name].enabled) {
      return { ...(await runWrappedTool(name, args, spec, workspace, trace)), done: false }
    }
    return { output: `error: unknown tool \`${name}\``, ok: false, done: false }
  }
}
