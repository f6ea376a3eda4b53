import type { TraceEvent, TraceEventInput, Tokens } from '../trace/events.js'
import type { TraceRecorder } from '../trace/writer.js'

/** One model call as an agent reports it. */
export interface ModelCallRecord {
  /** What the model said (null when it only called tools). */
  content?: string | null
  /** The tool calls it asked for; arguments as the model sent them (text) or parsed. */
  toolCalls?: ReadonlyArray<{ id?: string; name: string; arguments: unknown }>
  /** Tokens the call used. @default { prompt: 0, completion: 0 } */
  tokens?: Partial<Tokens>
  /** How long the call took. @default 0 */
  durationMs?: number
  /** Why the model stopped, as the endpoint said (`stop`, `tool_calls`, `length`). */
  finishReason?: string | null
  /** Messages sent with the request. @default 0 */
  messages?: number
}

/** One tool call and its result as an agent reports it. */
export interface ToolCallRecord {
  id?: string
  name: string
  arguments: unknown
  /** What the tool answered, as the model sees it. */
  output: string
  /** Whether the tool did what was asked. @default true */
  ok?: boolean
  /** @default 0 */
  durationMs?: number
}

/**
 * The trace recorder an agent gets in its run context: a few calls that write the project's trace events, so the
 * miner, the report and the records read a team's agent as they read the built-in loop.
 */
export interface AgentTrace {
  /** Records one model call (a `model-request` and its `model-response`); each call is one turn. */
  recordModelCall(call: ModelCallRecord): void
  /** Records one tool call and its result (`tool-call`, `tool-result`) in the current turn. */
  recordToolCall(call: ToolCallRecord): void
  /**
   * Runs a tool and records it: the call, then its output (`run` may say `{ output, ok: false }` for a tool that ran
   * and failed, such as a command that exited non-zero), or the error it threw (recorded as a failed result, then
   * thrown again) in `finally`. Resolves with the output.
   */
  tool(name: string, args: unknown, run: () => Promise<string | { output: string; ok: boolean }>): Promise<string>
  /** Records a step the agent's own harness took around the model (a check, a retry, a plan). */
  recordStep(step: 'before' | 'after' | 'final-check' | 'restate' | 'plan' | 'retry', detail: string, ok?: boolean): void
  /** Records an error of the agent's own (`source` says whose fault it was). */
  recordError(code: string, message: string, source?: 'model' | 'tool' | 'harness' | 'sandbox'): void
  /** Records a trace event as it is, for agents that speak the format (docs/agent-protocol.md). */
  record(event: TraceEventInput): TraceEvent
  /** Model calls recorded so far. */
  readonly turns: number
  /** Tool calls recorded so far. */
  readonly toolCalls: number
  /** Tokens recorded so far. */
  readonly tokens: Tokens
  /** Every event so far. */
  readonly events: readonly TraceEvent[]
}

const MAX_TEXT = 200_000
const textOf = (value: unknown): string => (typeof value === 'string' ? value : (JSON.stringify(value) ?? 'null')).slice(0, MAX_TEXT)
const count = (n: unknown): number => (typeof n === 'number' && Number.isFinite(n) && n > 0 ? Math.min(Math.round(n), 1_000_000_000) : 0)

/** Wraps a trial's trace recorder in the small API agents use; counts turns, tool calls and tokens as it goes. */
export function createAgentTrace(trace: TraceRecorder): AgentTrace {
  let turns = 0
  let toolCalls = 0
  let nextId = 0
  const tokens: Tokens = { prompt: 0, completion: 0 }
  const api: AgentTrace = {
    recordModelCall(call) {
      turns++
      const used = { prompt: count(call.tokens?.prompt), completion: count(call.tokens?.completion) }
      tokens.prompt += used.prompt
      tokens.completion += used.completion
      trace.record({ kind: 'model-request', turn: turns, messages: count(call.messages) })
      trace.record({
        kind: 'model-response',
        turn: turns,
        durationMs: count(call.durationMs),
        content: call.content == null ? null : textOf(call.content),
        toolCalls: (call.toolCalls ?? []).map((c) => ({ id: c.id ?? `call-${++nextId}`, name: String(c.name), arguments: textOf(c.arguments) })),
        tokens: used,
        finishReason: call.finishReason == null ? null : String(call.finishReason).slice(0, 64),
      })
    },
    recordToolCall(call) {
      toolCalls++
      const id = call.id ?? `tool-${++nextId}`
      trace.record({ kind: 'tool-call', turn: turns, id, name: String(call.name), arguments: call.arguments ?? null })
      trace.record({ kind: 'tool-result', turn: turns, id, name: String(call.name), ok: call.ok ?? true, durationMs: count(call.durationMs), output: textOf(call.output), truncated: false })
    },
    async tool(name, args, run) {
      const started = performance.now()
      let output = ''
      let ok = false
      try {
        const result = await run()
        output = typeof result === 'string' ? result : String(result.output)
        ok = typeof result === 'string' ? true : Boolean(result.ok)
        return output
      } catch (error) {
        output = `error: ${error instanceof Error ? error.message : String(error)}`
        throw error
      } finally {
        api.recordToolCall({ name, arguments: args, output, ok, durationMs: performance.now() - started })
      }
    },
    recordStep(step, detail, ok = true) {
      trace.record({ kind: 'harness-step', step, detail: textOf(detail), ok })
    },
    recordError(code, message, source = 'harness') {
      trace.record({ kind: 'error', source, code: String(code).slice(0, 100), message: textOf(message).slice(0, 2_000) })
    },
    record: (event) => trace.record(event),
    get turns() {
      return turns
    },
    get toolCalls() {
      return toolCalls
    },
    get tokens() {
      return { ...tokens }
    },
    get events() {
      return trace.events
    },
  }
  return api
}
