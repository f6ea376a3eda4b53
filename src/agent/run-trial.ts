import { SandboxError, SelfHarnessError } from '../errors.js'
import { resolveEditable } from '../harness/editable.js'
import { builtinHarnessFormat } from '../harness/format.js'
import { HarnessSpecSchema, type HarnessSpec } from '../harness/spec.js'
import type { HarnessVersion } from '../harness/version.js'
import type { TraceRecorder } from '../trace/writer.js'
import type { Workspace } from '../workspace/workspace.js'
import { brand, type AgentContext, type AgentDefinition, type AgentOutcome } from './define.js'
import { runAgent, type AgentRun, type AgentStatus } from './loop.js'
import type { ModelClient } from './model.js'
import { createAgentTrace } from './recorder.js'

/** What one trial of any agent needs. */
export interface AgentTrialInput<H = unknown> {
  instruction: string
  harness: HarnessVersion<H>
  client: ModelClient
  /** The endpoint behind `client`, for agents that bring their own client. */
  endpoint?: { baseURL: string | undefined; apiKey: string }
  workspace: Workspace
  trace: TraceRecorder
  taskId: string
  trial: number
  /** The run's time limit (already scaled) and the time scale of command limits. @default 120000 ms, scale 1 */
  settings?: { runTimeoutMs?: number; timeScale?: number }
}

/** How long a run may take to return its own outcome after its time limit passed, before it is left behind. */
export const TIMEOUT_GRACE_MS = 1_000
const DEFAULT_RUN_TIMEOUT_MS = 120_000
const STATUSES: ReadonlySet<string> = new Set<AgentStatus>(['finished', 'max-turns', 'failed', 'timeout', 'error'])
const MAX_TEXT = 2_000

/** The editable surface of the built-in harness spec, as pointers (its guards are the bespoke ones of `proposer/surface.ts`). */
const BUILTIN_EDITABLE = resolveEditable([
  '/systemPrompt', '/rules', '/planning', '/tools/*/description', '/tools/*/before', { path: '/tools/*/after', mode: 'grow-only' },
  '/tools/*/retries', '/tools/*/timeoutMs', '/limits/maxTurns', '/limits/commandTimeoutMs', '/limits/toolResultMaxChars', '/context',
  { path: '/finalChecks', mode: 'grow-only' }, { path: '/maxFinishRejections', mode: 'grow-only' },
])

/** The built-in tool-calling loop (`src/agent/loop.ts`) as one implementation of the agent contract: the default agent. */
export const builtinAgent: AgentDefinition<HarnessSpec> = brand({
  name: 'built-in loop',
  harnessSchema: HarnessSpecSchema,
  editable: BUILTIN_EDITABLE,
  format: builtinHarnessFormat,
  run: (instruction: string, context: AgentContext<HarnessSpec>) =>
    runAgent({
      instruction,
      harness: { ...context.version, spec: context.harness },
      client: context.model.client,
      workspace: context.workspace,
      // The trial runner frames and closes the trace; the loop only records what happens between.
      trace: { record: (event) => context.trace.record(event), get events() { return context.trace.events }, path: undefined, close: async () => {} },
      taskId: context.task.id,
      trial: context.task.trial,
      settings: { runTimeoutMs: context.settings.runTimeoutMs, timeScale: context.settings.timeScale },
      frame: false,
    }),
})

/**
 * Runs one trial of an agent: frames its trace (`trial-start`, `trial-end`), gives it the run context, bounds it by
 * the run's time limit (the signal aborts, and a run that has not returned {@link TIMEOUT_GRACE_MS} later is left
 * behind as `timeout`) and always resolves with the same run shape: a run that throws is `error` (`timeout` after
 * the limit), and its counts come from the trace when the agent does not report them.
 */
export async function runAgentTrial<H>(agent: AgentDefinition<H>, input: AgentTrialInput<H>): Promise<AgentRun> {
  const { trace, harness, client } = input
  const started = performance.now()
  const runTimeoutMs = input.settings?.runTimeoutMs ?? DEFAULT_RUN_TIMEOUT_MS
  const timeScale = input.settings?.timeScale ?? 1
  const deadline = Date.now() + runTimeoutMs
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), runTimeoutMs)
  const agentTrace = createAgentTrace(trace)
  trace.record({ kind: 'trial-start', taskId: input.taskId, trial: input.trial, harnessId: harness.id, model: client.model, instruction: input.instruction })
  const context: AgentContext<H> = {
    harness: harness.spec,
    version: { name: harness.name, id: harness.id },
    workspace: input.workspace,
    model: {
      client,
      name: client.model,
      baseURL: input.endpoint?.baseURL,
      apiKey: input.endpoint?.apiKey ?? 'unset',
      headers: { 'x-self-harness-trial': `${input.taskId}#${input.trial}` },
    },
    signal: controller.signal,
    trace: agentTrace,
    task: { id: input.taskId, trial: input.trial },
    settings: { runTimeoutMs, timeScale, deadline },
  }
  let outcome: Required<Pick<AgentOutcome, 'status'>> & AgentOutcome
  try {
    const reported = await settleWithin(Promise.resolve().then(() => agent.run(input.instruction, context)), controller.signal)
    outcome = reported === LEFT_BEHIND ? { status: 'timeout' } : normalizeOutcome(reported)
  } catch (cause) {
    outcome = fromThrow(cause, controller.signal.aborted, agentTrace)
  } finally {
    clearTimeout(timer)
  }
  // An agent that gave up because its signal aborted ran out of time, whatever it called it.
  if (controller.signal.aborted && (outcome.status === 'error' || outcome.status === 'failed')) outcome = { ...outcome, status: 'timeout' }
  if (outcome.status === 'timeout') outcome.error = { code: 'RUN_TIMEOUT', message: `The agent run passed its time limit of ${runTimeoutMs} ms.` }
  if ((outcome.status === 'error' || outcome.status === 'failed') && !outcome.error) {
    outcome.error = { code: 'AGENT_FAILED', message: `The agent ended its run with status \`${outcome.status}\` and gave no reason.` }
  }
  const error = outcome.error
  if (error && !trace.events.some((e) => e.kind === 'error' && e.code === error.code)) {
    trace.record({ kind: 'error', source: outcome.status === 'timeout' ? 'harness' : error.code === 'SANDBOX_FAILED' ? 'sandbox' : 'harness', code: error.code, message: error.message })
  }
  const turns = outcome.turns ?? agentTrace.turns
  const toolCalls = outcome.toolCalls ?? agentTrace.toolCalls
  const tokens = outcome.tokens ?? agentTrace.tokens
  const durationMs = performance.now() - started
  trace.record({ kind: 'trial-end', status: outcome.status, turns, toolCalls, tokens, durationMs })
  await trace.close()
  // A trace that could not be written (a full disk) is a fault of the machine: the trial is an error naming the file.
  if (trace.writeError && outcome.status !== 'error') {
    return { status: 'error', summary: outcome.summary, turns, toolCalls, tokens, durationMs, error: { code: 'IO_FAILED', message: trace.writeError }, tracePath: trace.path, trace: [...trace.events] }
  }
  return { status: outcome.status, summary: outcome.summary, turns, toolCalls, tokens, durationMs, error, tracePath: trace.path, trace: [...trace.events] }
}

const LEFT_BEHIND = Symbol('left behind')

/** Settles like `work`, or with {@link LEFT_BEHIND} once `signal` has been aborted for the grace period. */
function settleWithin<T>(work: Promise<T>, signal: AbortSignal): Promise<T | typeof LEFT_BEHIND> {
  return new Promise((resolve, reject) => {
    let grace: NodeJS.Timeout | undefined
    const onAbort = () => {
      grace = setTimeout(() => resolve(LEFT_BEHIND), TIMEOUT_GRACE_MS)
    }
    if (signal.aborted) onAbort()
    else signal.addEventListener('abort', onAbort, { once: true })
    work.then(resolve, reject).finally(() => {
      clearTimeout(grace)
      signal.removeEventListener('abort', onAbort)
    })
  })
}

/** What an agent returned, checked: a status the project knows, text fields as text, counts as counts. */
function normalizeOutcome(value: AgentOutcome | void): Required<Pick<AgentOutcome, 'status'>> & AgentOutcome {
  if (value === undefined || value === null) return { status: 'finished' }
  if (typeof value !== 'object') return badOutcome(`expected an object { status?, summary?, error? }, got \`${String(value).slice(0, 100)}\``)
  const status = value.status ?? 'finished'
  if (!STATUSES.has(status)) return badOutcome(`expected \`status\` to be one of ${[...STATUSES].join(', ')}, got \`${String(status).slice(0, 100)}\``)
  const out: Required<Pick<AgentOutcome, 'status'>> & AgentOutcome = { status }
  if (value.summary !== undefined) out.summary = String(value.summary).slice(0, 200_000)
  if (value.error) out.error = { code: String(value.error.code ?? 'AGENT_FAILED').slice(0, 100), message: String(value.error.message ?? '').slice(0, MAX_TEXT) }
  const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 0
  if (isCount(value.turns)) out.turns = value.turns
  if (isCount(value.toolCalls)) out.toolCalls = value.toolCalls
  if (value.tokens && isCount(value.tokens.prompt) && isCount(value.tokens.completion)) out.tokens = { prompt: value.tokens.prompt, completion: value.tokens.completion }
  return out
}

const badOutcome = (detail: string) => ({ status: 'error' as const, error: { code: 'AGENT_BAD_OUTCOME', message: `The agent's run resolved with an unusable outcome: ${detail}.` } })

/** A run that threw: `error` with the error's code, or `timeout` once the time limit passed. */
function fromThrow(cause: unknown, aborted: boolean, trace: ReturnType<typeof createAgentTrace>): Required<Pick<AgentOutcome, 'status'>> & AgentOutcome {
  if (aborted) return { status: 'timeout' }
  const code = cause instanceof SelfHarnessError ? cause.code : 'AGENT_FAILED'
  const message = `${cause instanceof Error ? cause.message : String(cause)}`.slice(0, MAX_TEXT)
  trace.recordError(code, message, cause instanceof SandboxError ? 'sandbox' : cause instanceof SelfHarnessError && code.startsWith('MODEL') ? 'model' : 'harness')
  return { status: 'error', error: { code, message } }
}
