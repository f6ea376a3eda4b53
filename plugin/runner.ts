import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { inject, TestRunner, type RunnerTestCase, type RunnerTask, type TestContext } from 'vitest'
import { runAgent, type AgentRun } from '../src/agent/loop.js'
import { createModelClient, type ModelClient } from '../src/agent/model.js'
import type { HarnessVersion } from '../src/harness/version.js'
import { createTraceRecorder } from '../src/trace/writer.js'
import { createWorkspace, type Workspace } from '../src/workspace/workspace.js'
import type { Agent } from './context.js'
import { PROVIDE_KEY, type ProvidedSettings, type TrialMeta } from './provided.js'
import './context.js'

/** State of the trial in progress for one test. */
interface TrialState {
  index: number
  workspace: Workspace
  agent: Agent
  runs: AgentRun[]
  errorsBefore: number
  started: number
}

/** File-system safe slug of a task id. */
const slug = (id: string): string => id.replace(/[^\w.-]+/g, '_').slice(0, 180)

/**
 * The vitest runner of self-harness: gives each trial of a test a fresh workspace, an agent under the harness in
 * force, and records the trial in `task.meta.selfHarness`.
 */
export default class SelfHarnessRunner extends TestRunner {
  private settings: ProvidedSettings | undefined
  private client: ModelClient | undefined
  private readonly trials = new Map<string, TrialState>()

  private get provided(): ProvidedSettings {
    this.settings ??= inject(PROVIDE_KEY as 'selfHarness')
    return this.settings
  }

  private get harness(): HarnessVersion {
    const { harness } = this.provided
    return { name: harness.name, id: harness.id, file: harness.file, spec: harness.spec }
  }

  override extendTaskContext(context: TestContext): TestContext {
    const ctx = super.extendTaskContext(context)
    const trialOf = (): TrialState => {
      const state = this.trials.get(ctx.task.id)
      if (!state) throw new Error('The self-harness context is only available inside a running test.')
      return state
    }
    Object.defineProperties(ctx, {
      agent: { get: () => trialOf().agent, configurable: true },
      workspace: { get: () => trialOf().workspace, configurable: true },
      harness: { get: () => this.harness, configurable: true },
    })
    return ctx
  }

  override async onBeforeRunTask(test: RunnerTask): Promise<void> {
    await super.onBeforeRunTask(test)
    if (test.type !== 'test') return
    test.repeats = Math.max(test.repeats ?? 0, this.provided.trials - 1)
    test.meta.selfHarness = { taskId: test.fullName, harnessId: this.provided.harness.id, trials: [] }
  }

  override async onBeforeTryTask(test: RunnerTask, options?: { retry: number; repeats: number }): Promise<void> {
    super.onBeforeTryTask(test)
    if (test.type !== 'test') return
    const settings = this.provided
    const meta = test.meta.selfHarness!
    const index = meta.trials.length
    const workspace = await createWorkspace({ root: settings.workspaceRoot })
    const runs: AgentRun[] = []
    const traceBase = join(settings.traceDir, slug(meta.taskId))
    mkdirSync(traceBase, { recursive: true })
    const agent: Agent = {
      run: async (instruction) => {
        const suffix = runs.length ? `-${runs.length}` : ''
        const run = await runAgent({
          instruction,
          harness: this.harness,
          client: (this.client ??= createModelClient({ ...settings.model, apiKey: settings.model.apiKey || process.env.OPENAI_API_KEY || 'unset' })),
          workspace,
          trace: createTraceRecorder({ path: join(traceBase, `trial-${index}${suffix}.jsonl`) }),
          taskId: meta.taskId,
          trial: index,
        })
        runs.push(run)
        return run
      },
    }
    void options
    this.trials.set(test.id, { index, workspace, agent, runs, errorsBefore: test.result?.errors?.length ?? 0, started: performance.now() })
  }

  /** Closes the trial after each try: decides its outcome and stores it in `task.meta`. */
  async onAfterRetryTask(test: RunnerTestCase): Promise<void> {
    const state = this.trials.get(test.id)
    if (!state) return
    this.trials.delete(test.id)
    const meta = test.meta.selfHarness!
    const failedNow = (test.result?.errors?.length ?? 0) > state.errorsBefore
    const infra = state.runs.find((run) => run.status === 'timeout' || run.status === 'error')
    const outcome: TrialMeta['outcome'] = infra ? 'error' : failedNow ? 'fail' : 'pass'
    const last = state.runs.at(-1)
    const newErrors = test.result?.errors?.slice(state.errorsBefore) ?? []
    const trial: TrialMeta = {
      index: state.index,
      outcome,
      durationMs: Math.round(performance.now() - state.started),
      tokens: state.runs.reduce((t, r) => ({ prompt: t.prompt + r.tokens.prompt, completion: t.completion + r.tokens.completion }), { prompt: 0, completion: 0 }),
      turns: state.runs.reduce((n, r) => n + r.turns, 0),
      toolCalls: state.runs.reduce((n, r) => n + r.toolCalls, 0),
      ...(last?.tracePath ? { tracePath: last.tracePath } : {}),
      ...(last ? { status: last.status } : {}),
      ...(infra?.error ? { reason: infra.error.message.slice(0, 500) } : newErrors[0] ? { reason: String(newErrors[0].message).slice(0, 500) } : {}),
    }
    meta.trials.push(trial)
    if (outcome === 'pass' || !this.provided.keepWorkspaces) await state.workspace.dispose()
  }
}
