import { appendFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { inject, TestRunner, type RunnerTestCase, type RunnerTask, type TestContext } from 'vitest'
import { runAgent, type AgentRun } from '../src/agent/loop.js'
import { createCachingClient } from '../src/agent/cache.js'
import { createModelClient, type ModelClient } from '../src/agent/model.js'
import type { HarnessVersion } from '../src/harness/version.js'
import { createTraceRecorder } from '../src/trace/writer.js'
import { createWorkspace, type Workspace } from '../src/workspace/workspace.js'
import { appendJournal } from '../src/record/journal.js'
import { redactSecrets, secretValuesFromEnv } from '../src/trace/redact.js'
import type { Agent } from './context.js'
import { PROVIDE_KEY, type LiveStatus, type ProvidedSettings, type TrialMeta } from './provided.js'
import { noActionNote, TrialInfrastructureError, withLiveStatus } from './trial-status.js'
import './context.js'

/** State of the trial in progress for one test. */
interface TrialState {
  index: number
  workspace: Workspace
  agent: Agent
  runs: AgentRun[]
  errorsBefore: number
  started: number
  /** A console note for the trial (it made no tool call). */
  note?: string
}

/** Fewest milliseconds between two live-status updates sent to the main process for one test. */
const LIVE_EVERY_MS = 1_000

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
  private only: Set<string> | null | undefined
  private readonly secrets = secretValuesFromEnv()
  private readonly redact = (text: string): string => redactSecrets(text, this.secrets)

  private get provided(): ProvidedSettings {
    this.settings ??= inject(PROVIDE_KEY as 'selfHarness')
    return this.settings
  }

  private get harness(): HarnessVersion {
    return this.provided.harness
  }

  /** The model client of this worker: the endpoint, behind the response cache when one is asked for. */
  private createClient(settings: ProvidedSettings): ModelClient {
    const client = createModelClient({ ...settings.model, apiKey: settings.model.apiKey || process.env.OPENAI_API_KEY || 'unset' })
    return settings.cache ? createCachingClient(client, settings.cache) : client
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
    const { trials, resume } = this.provided
    this.only ??= this.provided.only ? new Set(this.provided.only) : null
    if (this.only && !this.only.has(test.fullName)) {
      test.mode = 'skip'
      return
    }
    const done = (resume[test.fullName] ?? []).filter((trial) => trial.index < trials)
    test.meta.selfHarness = { taskId: test.fullName, harnessId: this.provided.harness.id, trials: [...done] }
    // Finished trials of an interrupted run are kept, not run again.
    if (done.length >= trials) test.mode = 'skip'
    else test.repeats = trials - done.length - 1
  }

  override async onBeforeTryTask(test: RunnerTask): Promise<void> {
    super.onBeforeTryTask(test)
    if (test.type !== 'test') return
    const settings = this.provided
    const meta = test.meta.selfHarness!
    const used = new Set(meta.trials.map((trial) => trial.index))
    let index = 0
    while (used.has(index)) index++
    const workspace = await createWorkspace({
      root: settings.workspaceRoot,
      exec: { sandbox: settings.sandbox, envAllow: settings.envAllow },
    })
    const runs: AgentRun[] = []
    const traceBase = join(settings.traceDir, slug(meta.taskId))
    mkdirSync(traceBase, { recursive: true })
    const live: LiveStatus = { trial: index, turn: 0, tokens: 0, waitingSince: null, startedAt: Date.now() }
    meta.live = live
    let sentAt = 0
    const push = (force: boolean) => {
      if (!force && Date.now() - sentAt < LIVE_EVERY_MS) return
      sentAt = Date.now()
      this.sendUpdate(test)
    }
    const agent: Agent = {
      run: async (instruction) => {
        const suffix = runs.length ? `-${runs.length}` : ''
        const trace = createTraceRecorder({ path: join(traceBase, `trial-${index}${suffix}.jsonl`), redact: this.redact })
        const run = await runAgent({
          instruction,
          harness: this.harness,
          client: (this.client ??= this.createClient(settings)),
          workspace,
          trace: withLiveStatus(trace, live, push),
          taskId: meta.taskId,
          trial: index,
        })
        runs.push(run)
        const state = this.trials.get(test.id)
        if (state) state.note = noActionNote(run)
        // The task's assertions would judge a workspace nobody worked in: stop the test body here.
        if (run.status === 'error' || run.status === 'timeout') throw new TrialInfrastructureError(run)
        return run
      },
    }
    this.trials.set(test.id, { index, workspace, agent, runs, errorsBefore: test.result?.errors?.length ?? 0, started: performance.now() })
  }

  /** Sends the test's meta (live status, finished trials) to the main process now, for progress lines. */
  private sendUpdate(test: RunnerTask): void {
    const send = (this as { onTaskUpdate?: (packs: [string, RunnerTask['result'], RunnerTask['meta']][], events: []) => Promise<void> }).onTaskUpdate
    send?.call(this, [[test.id, test.result, test.meta]], [])?.catch(() => {})
  }

  /** Closes the trial after each try: decides its outcome and stores it in `task.meta`. */
  async onAfterRetryTask(test: RunnerTestCase): Promise<void> {
    const state = this.trials.get(test.id)
    if (!state) return
    this.trials.delete(test.id)
    const meta = test.meta.selfHarness!
    const failedNow = (test.result?.errors?.length ?? 0) > state.errorsBefore
    const infra = state.runs.find((run) => run.status === 'timeout' || run.status === 'error')
    const sandboxFailed = test.result?.errors?.slice(state.errorsBefore).some((e) => e.name === 'SandboxError')
    const outcome: TrialMeta['outcome'] = infra || sandboxFailed ? 'error' : failedNow ? 'fail' : 'pass'
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
      ...(infra?.error ? { reason: this.redact(infra.error.message).slice(0, 500) } : newErrors[0] ? { reason: this.redact(String(newErrors[0].message)).slice(0, 500) } : {}),
    }
    meta.trials.push(trial)
    meta.live = null
    if (state.note) meta.notes = { ...meta.notes, [state.index]: state.note }
    // The assertion that failed joins the trace, so the miner sees why the trial failed.
    if (outcome === 'fail' && last?.tracePath && newErrors[0]) {
      const event = { t: Math.round(performance.now() - state.started), kind: 'error', source: 'assertion', code: 'ASSERTION', message: String(newErrors[0].message).slice(0, 2_000) }
      appendFileSync(last.tracePath, `${this.redact(JSON.stringify(event))}\n`)
    }
    // The journal comes first: a kill after this line loses nothing finished.
    appendJournal(this.provided.journalFile, {
      schemaVersion: 1,
      harnessId: this.provided.harness.id,
      model: this.provided.model.model,
      taskId: meta.taskId,
      trial,
    })
    this.sendUpdate(test)
    if (outcome === 'pass' || !this.provided.keepWorkspaces) await state.workspace.dispose()
  }
}
