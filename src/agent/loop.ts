import { ModelError, SandboxError, SelfHarnessError } from '../errors.js'
import type { HarnessVersion } from '../harness/version.js'
import type { TraceEvent, Tokens } from '../trace/events.js'
import type { TraceRecorder } from '../trace/writer.js'
import type { Workspace } from '../workspace/workspace.js'
import { startBudget } from './budget.js'
import { capText, selectContext } from './context.js'
import type { ChatMessage, ModelClient } from './model.js'
import {
  buildSystemPrompt,
  cutAnswerMessage,
  droppedCallsMessage,
  PLAN_FOLLOW_UP,
  PLAN_REQUEST,
  rejectedOutputMessage,
  RESTATE_PREFIX,
} from './prompt.js'
import { parseCompletion, preview, type ReplyToolCall } from './response.js'
import { toolDefinitions } from './tools.js'
import { runFinalChecks, runWrappedTool } from './wrappers.js'

/**
 * How an agent run ended. `failed` is the model failing the task in a way the loop cannot go on from (the
 * conversation exceeded the context, the server kept refusing the model's output, answers kept being cut);
 * `timeout` and `error` are the infrastructure failing, not the task.
 */
export type AgentStatus = 'finished' | 'max-turns' | 'failed' | 'timeout' | 'error'

/** The result of one agent run: the same shape whether it passed, failed, timed out or errored. */
export interface AgentRun {
  status: AgentStatus
  /** The summary the model gave when it finished. */
  summary: string | undefined
  turns: number
  toolCalls: number
  tokens: Tokens
  durationMs: number
  /** Why the run ended, for `failed`, `timeout` and `error`. */
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
  /**
   * Run settings (see `resolveRunSettings`): the run's time limit, already scaled, and the time scale applied to
   * the harness's command time limits. @default the harness file's `limits.runTimeoutMs`, scale 1
   */
  settings?: { runTimeoutMs?: number; timeScale?: number }
  /**
   * Record `trial-start` and `trial-end` and close the trace. False when the loop runs as the built-in agent of
   * the agent contract, whose trial runner frames the trace itself. @default true
   */
  frame?: boolean
}

/** Tool calls of one answer that are run; the rest are dropped and the model is told. */
export const MAX_TOOL_CALLS_PER_ANSWER = 32
/** Answers in a row the server refused or the token limit cut before the run ends as `failed`. */
export const MAX_MODEL_FAULTS_IN_A_ROW = 3
/** Longest error message kept in a run and its trace. */
const MAX_ERROR_CHARS = 2_000

const NUDGE = 'Continue: use a tool, or call finish when the task is done.'
/** Codes that are the model failing the task, not the infrastructure. */
const MODEL_FAILURES = new Set(['CONTEXT_EXCEEDED', 'MODEL_OUTPUT_REJECTED', 'MODEL_OUTPUT_CUT'])

/** The arguments an assistant message carries in the history: always one JSON object, whatever the model sent. */
export function historyArguments(call: ReplyToolCall): string {
  if (call.problem) return '{}'
  try {
    const parsed: unknown = JSON.parse(call.arguments)
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? call.arguments : '{}'
  } catch {
    return '{}'
  }
}

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
  const runTimeoutMs = input.settings?.runTimeoutMs ?? spec.limits.runTimeoutMs
  const budget = startBudget(runTimeoutMs, input.settings?.timeScale ?? 1)
  let turns = 0
  let toolCalls = 0
  let summary: string | undefined
  let status: AgentStatus = 'max-turns'
  let error: AgentRun['error']
  let faultsInARow = 0
  const finishState = { reflected: false, rejections: 0 }

  const frame = input.frame ?? true
  if (frame) trace.record({ kind: 'trial-start', taskId: input.taskId, trial: input.trial, harnessId: harness.id, model: client.model, instruction })

  const ask = async (toolChoice: 'auto' | 'none') => {
    budget.check()
    const sent = selectContext(messages, spec.context)
    trace.record({ kind: 'model-request', turn: turns, messages: sent.length })
    const t0 = performance.now()
    const raw = await budget.race(client.chat({ messages: sent, tools, toolChoice, trialKey, signal: budget.signal, deadline: budget.deadline }))
    const reply = parseCompletion(raw) // any client (a cache, a team's own) is held to the same shape
    tokens.prompt += reply.tokens.prompt
    tokens.completion += reply.tokens.completion
    const kept = reply.toolCalls.slice(0, MAX_TOOL_CALLS_PER_ANSWER)
    const dropped = reply.toolCalls.length - kept.length
    trace.record({
      kind: 'model-response',
      turn: turns,
      durationMs: performance.now() - t0,
      content: reply.content,
      toolCalls: kept.map(({ id, name, arguments: args }) => ({ id, name, arguments: args })),
      tokens: reply.tokens,
      finishReason: reply.finishReason === null ? null : reply.finishReason.slice(0, 64),
      ...(dropped > 0 ? { toolCallsDropped: dropped } : {}),
    })
    return { content: reply.content, calls: kept, dropped, cut: reply.finishReason === 'length' }
  }

  /** A model fault of one turn: the model is told, and the run fails once they come too often in a row. */
  const fault = (code: 'MODEL_OUTPUT_REJECTED' | 'MODEL_OUTPUT_CUT', message: string) => {
    faultsInARow++
    trace.record({ kind: 'error', source: 'model', code, message: message.slice(0, MAX_ERROR_CHARS) })
    if (faultsInARow >= MAX_MODEL_FAULTS_IN_A_ROW) {
      throw new ModelError(`${message} (${faultsInARow} answers in a row)`, { code })
    }
  }

  try {
    if (spec.planning.enabled) {
      messages.push({ role: 'user', content: PLAN_REQUEST })
      const plan = await ask('none')
      trace.record({ kind: 'harness-step', step: 'plan', detail: plan.content ?? '', ok: !plan.cut })
      messages.push({ role: 'assistant', content: plan.content ?? '' }, { role: 'user', content: PLAN_FOLLOW_UP })
    }
    loop: while (turns < spec.limits.maxTurns) {
      turns++
      let reply: Awaited<ReturnType<typeof ask>>
      try {
        reply = await ask('auto')
      } catch (cause) {
        if (!(cause instanceof ModelError) || cause.code !== 'MODEL_OUTPUT_REJECTED') throw cause
        fault('MODEL_OUTPUT_REJECTED', cause.message)
        messages.push({ role: 'user', content: rejectedOutputMessage(cause.message) })
        continue
      }
      messages.push({
        role: 'assistant',
        content: reply.content,
        ...(reply.calls.length
          ? { tool_calls: reply.calls.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: historyArguments(c) } })) }
          : {}),
      })
      if (reply.cut) {
        for (const call of reply.calls) {
          const output = 'error: not run: your answer was cut at the token limit before it ended'
          trace.record({ kind: 'tool-result', turn: turns, id: call.id, name: call.name, ok: false, durationMs: 0, output, truncated: false })
          messages.push({ role: 'tool', tool_call_id: call.id, content: output })
        }
        fault('MODEL_OUTPUT_CUT', "The model's answer was cut at the token limit (finish_reason `length`)")
        messages.push({ role: 'user', content: cutAnswerMessage() })
        continue
      }
      faultsInARow = 0
      if (!reply.calls.length) {
        messages.push({ role: 'user', content: NUDGE })
        continue
      }
      for (const call of reply.calls) {
        budget.check()
        toolCalls++
        const t0 = performance.now()
        const { output, ok, done } = await budget.race(handleCall(call))
        const capped = capText(output, spec.limits.toolResultMaxChars)
        trace.record({ kind: 'tool-result', turn: turns, id: call.id, name: call.name, ok, durationMs: performance.now() - t0, output: capped.text, truncated: capped.truncated })
        messages.push({ role: 'tool', tool_call_id: call.id, content: capped.text })
        if (done) {
          status = 'finished'
          break loop
        }
      }
      if (reply.dropped) messages.push({ role: 'user', content: droppedCallsMessage(reply.dropped, MAX_TOOL_CALLS_PER_ANSWER) })
      const every = spec.context.restateInstructionEvery
      if (every > 0 && turns % every === 0) {
        trace.record({ kind: 'harness-step', step: 'restate', detail: `turn ${turns}`, ok: true })
        messages.push({ role: 'user', content: RESTATE_PREFIX + instruction })
      }
    }
  } catch (cause) {
    const code = cause instanceof SelfHarnessError ? cause.code : 'INTERNAL'
    const message = (cause instanceof Error ? cause.message : String(cause)).slice(0, MAX_ERROR_CHARS)
    if (budget.signal.aborted || code === 'RUN_TIMEOUT') {
      status = 'timeout'
      error = { code: 'RUN_TIMEOUT', message: `The agent run passed its time limit of ${runTimeoutMs} ms.` }
    } else if (MODEL_FAILURES.has(code)) {
      status = 'failed'
      error = { code, message }
    } else {
      status = 'error'
      error = { code, message }
    }
    const source = status === 'timeout' ? 'harness' : cause instanceof SandboxError || code === 'SANDBOX_FAILED' ? 'sandbox' : code === 'INTERNAL' ? 'harness' : 'model'
    trace.record({ kind: 'error', source, code: error.code, message: error.message })
  } finally {
    budget.dispose()
  }

  const durationMs = performance.now() - started
  if (frame) {
    trace.record({ kind: 'trial-end', status, turns, toolCalls, tokens, durationMs })
    await trace.close()
  }
  // A machine fault, not the model's: a trace that could not be written (a full disk) makes the trial an error naming the file.
  if (trace.writeError && status !== 'error') {
    status = 'error'
    error = { code: 'IO_FAILED', message: trace.writeError }
  }
  // A snapshot: a tool still running past the time limit cannot add to the run's trace after its end.
  return { status, summary, turns, toolCalls, tokens, durationMs, error, tracePath: trace.path, trace: [...trace.events] }

  async function handleCall(call: ReplyToolCall): Promise<{ output: string; ok: boolean; done: boolean }> {
    const { id, name } = call
    if (call.problem) {
      trace.record({ kind: 'tool-call', turn: turns, id, name, arguments: call.arguments })
      return { output: `error: ${call.problem}. Send each tool call as {"id", "type": "function", "function": {"name", "arguments": "<a JSON object, as a string>"}}.`, ok: false, done: false }
    }
    let args: Record<string, unknown>
    try {
      const parsed: unknown = JSON.parse(call.arguments || '{}')
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('expected a JSON object')
      args = parsed as Record<string, unknown>
    } catch (e) {
      trace.record({ kind: 'tool-call', turn: turns, id, name, arguments: call.arguments })
      return {
        output: `error: arguments are not valid JSON: ${(e as Error).message}. You sent: ${preview(call.arguments, 500)}. Send the arguments as one JSON object.`,
        ok: false,
        done: false,
      }
    }
    trace.record({ kind: 'tool-call', turn: turns, id, name, arguments: args })
    if (name === 'finish' && spec.tools.finish.enabled) {
      if (finishState.rejections < spec.maxFinishRejections) {
        const rejection = await runFinalChecks(spec, workspace, trace, finishState, budget)
        if (rejection !== undefined) {
          finishState.rejections++
          return { output: `Finish rejected: ${rejection}`, ok: false, done: false }
        }
      }
      summary = typeof args.summary === 'string' ? args.summary : ''
      return { output: 'finished', ok: true, done: true }
    }
    if ((name === 'shell' || name === 'read_file' || name === 'write_file') && spec.tools[name].enabled) {
      return { ...(await runWrappedTool(name, args, spec, workspace, trace, budget)), done: false }
    }
    return { output: `error: unknown tool \`${preview(name, 100).slice(1, -1)}\``, ok: false, done: false }
  }
}

