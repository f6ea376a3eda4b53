import type { AgentRun } from '../src/agent/loop.js'
import { SelfHarnessError } from '../src/errors.js'
import type { TraceEvent, TraceEventInput } from '../src/trace/events.js'
import type { TraceRecorder } from '../src/trace/writer.js'
import type { LiveStatus } from './provided.js'

/** What the bundled simulator says when it has no solution for a task (`fixtures/sim/respond-to-task.ts`). */
const SIM_NO_SOLUTION = /not one the simulated model has a solution for/i

/**
 * A note for a run that made no tool call on the workspace (nothing but `finish`, or nothing at all): what the
 * model said last, or a recognized reason. Undefined when the run acted.
 */
export function noActionNote(run: AgentRun): string | undefined {
  if (run.status === 'error' || run.status === 'timeout') return undefined
  const acted = run.trace.some((event) => event.kind === 'tool-call' && event.name !== 'finish')
  if (acted) return undefined
  const said = [...run.trace].reverse().find((event): event is Extract<TraceEvent, { kind: 'model-response' }> => event.kind === 'model-response' && Boolean(event.content?.trim()))?.content
  const text = (said ?? run.summary ?? '').replace(/\s+/g, ' ').trim()
  if (SIM_NO_SOLUTION.test(text)) return 'made no tool call: the simulator has no solution for this task (add one to its solutions folder)'
  return text ? `made no tool call; the model said: "${text.length > 200 ? `${text.slice(0, 199)}…` : text}"` : 'made no tool call and said nothing'
}

/** A note for a run that ended because it used every turn the harness allows; undefined otherwise. */
export function turnLimitNote(run: AgentRun, maxTurns: number | undefined): string | undefined {
  if (run.status !== 'max-turns') return undefined
  // A custom agent's harness data has its own shape: its turn limit may have another name, or none.
  return typeof maxTurns === 'number' ? `ran out of turns (maxTurns ${maxTurns})` : 'ran out of turns'
}

/**
 * A trial whose agent run ended `error` or `timeout`: the endpoint, the sandbox or the time limit failed, not the
 * task. `agent.run` throws it so the task's assertions do not run on a workspace nobody worked in; the runner
 * still records the trial as `error`.
 */
/** An endpoint's message as the console shows it: its first 2,000 characters (the record keeps its own bounded reason). */
const bounded = (text: string): string => (text.length > 2_000 ? `${text.slice(0, 2_000)}... [${text.length - 2_000} more characters cut]` : text)

export class TrialInfrastructureError extends SelfHarnessError {
  /** The run, with its trace, as `agent.run` would have returned it. */
  readonly run: AgentRun
  constructor(run: AgentRun) {
    const what = run.status === 'timeout' ? 'timed out' : 'ended in an infrastructure error'
    super(run.error?.code === 'SANDBOX_FAILED' ? 'SANDBOX_FAILED' : 'MODEL_FAILED', `The agent run ${what}, so the task was not judged (recorded as error, not as a failure): ${bounded(run.error?.message ?? run.status)}`)
    this.run = run
  }
}

/**
 * Wraps a trace recorder so every model request and answer updates the trial's live status (turn, tokens, whether
 * it waits on the model) and calls `push` to send it to the main process.
 */
export function withLiveStatus(trace: TraceRecorder, live: LiveStatus, push: (force: boolean) => void): TraceRecorder {
  return {
    get events() {
      return trace.events
    },
    get path() {
      return trace.path
    },
    close: () => trace.close(),
    record(event: TraceEventInput) {
      const recorded = trace.record(event)
      if (event.kind === 'model-request') {
        live.turn = event.turn
        live.waitingSince = Date.now()
        push(true)
      } else if (event.kind === 'model-response') {
        live.tokens += event.tokens.prompt + event.tokens.completion
        live.waitingSince = null
        push(false)
      } else if (event.kind === 'tool-call') {
        live.lastTool = event.name
      }
      return recorded
    },
  }
}
