import { appendFileSync, mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { inject, TestRunner, type RunnerTestCase, type RunnerTask, type RunnerTestSuite, type TestContext } from 'vitest'
import type { AgentRun } from '../src/agent/loop.js'
import { agentOfModule, type AgentDefinition } from '../src/agent/define.js'
import { builtinAgent, runAgentTrial } from '../src/agent/run-trial.js'
import { createCachingClient } from '../src/agent/cache.js'
import { createModelClient, type ModelClient } from '../src/agent/model.js'
import type { HarnessVersion } from '../src/harness/version.js'
import { createTraceRecorder } from '../src/trace/writer.js'
import { createWorkspace, type Workspace } from '../src/workspace/workspace.js'
import { appendJournal } from '../src/record/journal.js'
import { traceFileFor } from '../src/record/paths.js'
import { erroredTrial, recordableTrial } from '../src/record/sanitize.js'
import { traceLine } from '../src/trace/line.js'
import type { Redactor } from '../src/trace/redact.js'
import { createRunRedactor } from './secrets.js'
import type { Agent } from './context.js'
import { PROVIDE_KEY, type LiveStatus, type ProvidedSettings, type TrialMeta } from './provided.js'
import { noActionNote, TrialInfrastructureError, turnLimitNote, withLiveStatus } from './trial-status.js'
import './context.js'

/** State of the trial in progress for one test. */
interface TrialState {
  index: number
  /** Absent when the trial's setup failed. */
  workspace: Workspace | undefined
  agent: Agent
  runs: AgentRun[]
  errorsBefore: number
  started: number
  /** Why the trial could not be set up (no workspace, no trace folder): it ends as `error`. */
  setupError?: string
  /** A console note for the trial (it made no tool call). */
  note?: string
}

/** Fewest milliseconds between two live-status updates sent to the main process for one test. */
const LIVE_EVERY_MS = 1_000

/**
 * The vitest runner of self-harness: gives each trial of a test a fresh workspace, an agent under the harness in
 * force, and records the trial in `task.meta.selfHarness`.
 */
export default class SelfHarnessRunner extends TestRunner {
  private settings: ProvidedSettings | undefined
  private client: ModelClient | undefined
  private readonly trials = new Map<string, TrialState>()
  private only: Set<string> | null | undefined
  private redactor: Redactor | undefined
  private agentDefinition: Promise<AgentDefinition<unknown>> | undefined

  /** The run's redactor, built once per worker from the environment and the key the client sends. */
  private get redact(): Redactor {
    this.redactor ??= createRunRedactor(this.provided.model.apiKey)
    return this.redactor
  }

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
    return settings.cache ? createCachingClient(client, { ...settings.cache, redact: this.redact }) : client
  }

  /** The agent of this run: the built-in loop, or the module the plugin's `agent` option names, loaded once per worker. */
  private loadAgent(): Promise<AgentDefinition<unknown>> {
    const agent = this.provided.agent
    this.agentDefinition ??= agent
      ? Promise.resolve(this.importFile(agent.file, 'collect')).then((loaded) => agentOfModule(loaded, agent.file))
      : Promise.resolve(builtinAgent as AgentDefinition<unknown>)
    return this.agentDefinition
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
      workspace: { get: () => trialOf().workspace!, configurable: true },
      harness: { get: () => this.harness, configurable: true },
    })
    return ctx
  }

  override async onBeforeRunTask(test: RunnerTask): Promise<void> {
    await super.onBeforeRunTask(test)
    if (test.type !== 'test') return
    const { trials, resume } = this.provided
    this.only ??= this.provided.only ? new Set(this.provided.only) : null
    // A test skipped here reports as skipped (not as never finished, which is how a test of a dead worker looks).
    if (this.only && !this.only.has(test.fullName)) {
      test.mode = 'skip'
      test.result = { state: 'skip' }
      return
    }
    const done = (resume[test.fullName] ?? []).filter((trial) => trial.index < trials)
    test.meta.selfHarness = { taskId: test.fullName, harnessId: this.provided.harness.id, requested: trials, trials: [...done], ...(done.length ? { kept: done.length } : {}) }
    // Finished trials of an interrupted run are kept, not run again.
    if (done.length >= trials) {
      test.mode = 'skip'
      test.result = { state: 'skip' }
    }
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
    const runs: AgentRun[] = []
    const started = performance.now()
    const errorsBefore = test.result?.errors?.length ?? 0
    let workspace: Workspace | undefined
    try {
      workspace = await createWorkspace({
        root: settings.workspaceRoot,
        exec: { sandbox: settings.sandbox, envAllow: settings.envAllow },
      })
      mkdirSync(dirname(traceFileFor(settings.traceDir, meta.taskId, index)), { recursive: true })
    } catch (error) {
      // Any throw while setting the trial up (the disk is full, the workspace root is not writable) ends the trial
      // as `error` with the reason, in onAfterRetryTask; the test body does not run.
      const setupError = `The trial could not be set up: ${this.redact.text(error instanceof Error ? error.message : String(error))}`
      await workspace?.dispose().catch(() => {})
      const agent: Agent = { run: () => Promise.reject(new Error(setupError)) }
      this.trials.set(test.id, { index, workspace: undefined, agent, runs, errorsBefore, started, setupError })
      throw error
    }
    const ws = workspace
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
        const definition = await this.loadAgent()
        const run = await runAgentTrial(definition, {
          instruction,
          harness: this.harness,
          client: (this.client ??= this.createClient(settings)),
          endpoint: { baseURL: settings.model.baseURL, apiKey: settings.model.apiKey || process.env.OPENAI_API_KEY || 'unset' },
          workspace: ws,
          trace: withLiveStatus(createTraceRecorder({ path: traceFileFor(settings.traceDir, meta.taskId, index, runs.length), redact: this.redact }), live, push),
          taskId: meta.taskId,
          trial: index,
          settings: settings.run,
        })
        runs.push(run)
        // What the task file sees of the run is redacted like everything written (the trace already is).
        const seen = { ...run, summary: run.summary && this.redact.text(run.summary), error: run.error && { ...run.error, message: this.redact.text(run.error.message) } }
        const state = this.trials.get(test.id)
        if (state) state.note = noActionNote(seen) ?? turnLimitNote(seen, (this.harness.spec as { limits?: { maxTurns?: number } }).limits?.maxTurns)
        // The task's assertions would judge a workspace nobody worked in: stop the test body here.
        if (seen.status === 'error' || seen.status === 'timeout') throw new TrialInfrastructureError(seen)
        return seen
      },
    }
    this.trials.set(test.id, { index, workspace: ws, agent, runs, errorsBefore, started })
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
    // The model failing in a way the loop cannot go on from (context exceeded, output refused or cut) fails the trial.
    const modelFailed = infra ? undefined : state.runs.find((run) => run.status === 'failed')
    const sandboxFailed = test.result?.errors?.slice(state.errorsBefore).some((e) => e.name === 'SandboxError')
    const outcome: TrialMeta['outcome'] = state.setupError || infra || sandboxFailed ? 'error' : failedNow || modelFailed ? 'fail' : 'pass'
    const last = state.runs.at(-1)
    const newErrors = test.result?.errors?.slice(state.errorsBefore) ?? []
    const durationMs = Math.round(performance.now() - state.started)
    const ended = infra ?? modelFailed
    const trial: TrialMeta = state.setupError
      ? erroredTrial(state.index, state.setupError, { durationMs })
      : recordableTrial(
          {
            index: state.index,
            outcome,
            durationMs,
            tokens: state.runs.reduce((t, r) => ({ prompt: t.prompt + r.tokens.prompt, completion: t.completion + r.tokens.completion }), { prompt: 0, completion: 0 }),
            turns: state.runs.reduce((n, r) => n + r.turns, 0),
            toolCalls: state.runs.reduce((n, r) => n + r.toolCalls, 0),
            ...(last?.tracePath ? { tracePath: last.tracePath } : {}),
            ...(last ? { status: last.status } : {}),
            ...(ended?.error ? { reason: this.redact.text(String(ended.error.message)).slice(0, 500) } : newErrors[0] ? { reason: this.redact.text(String(newErrors[0].message)).slice(0, 500) } : {}),
          },
          state.index,
        )
    meta.trials.push(trial)
    meta.live = null
    if (state.note) meta.notes = { ...meta.notes, [state.index]: state.note }
    this.redactErrors(test)
    try {
      // The assertion that failed joins the trace, so the miner sees why the trial failed.
      if (trial.outcome === 'fail' && last?.tracePath && newErrors[0]) {
        // Redacted before it is cut, so no part of a secret is left at the cut.
        const event = { t: durationMs, kind: 'error', source: 'assertion', code: 'ASSERTION', message: this.redact.text(String(newErrors[0].message)).slice(0, 2_000) }
        try {
          appendFileSync(last.tracePath, `${traceLine(this.redact.value(event)).line}\n`)
        } catch {
          // a full disk: the trial's reason still holds the assertion
        }
      }
      // The journal comes first: a kill after this line loses nothing finished. A journal that cannot be written (a
      // full disk) loses nothing either: the trial still reaches the record through the test's result.
      try {
        appendJournal(this.provided.journalFile, {
          schemaVersion: 1,
          harnessId: this.provided.harness.id,
          model: this.provided.model.model,
          taskId: meta.taskId,
          trial,
        })
      } catch (error) {
        const e = error as NodeJS.ErrnoException
        process.stderr.write(`self-harness: WARNING: cannot write the journal ${this.provided.journalFile}: ${e?.code ?? e?.message}; the trial is kept in this run's record only\n`)
      }
      this.sendUpdate(test)
    } finally {
      if (state.workspace && (outcome === 'pass' || !this.provided.keepWorkspaces)) await state.workspace.dispose()
    }
  }

  /** The test's errors reach reporters and blobs redacted: a failing assertion may quote what the endpoint sent. */
  override onAfterRunTask(test: RunnerTask): void {
    super.onAfterRunTask(test)
    this.redactErrors(test)
  }

  /** A task file that fails to load may quote a secret in its error too. */
  override async onAfterRunSuite(suite: RunnerTestSuite): Promise<void> {
    await super.onAfterRunSuite(suite)
    this.redactErrors(suite)
  }

  private redactErrors(task: RunnerTask): void {
    if (task.result?.errors?.length) task.result.errors = this.redact.value(task.result.errors)
  }
}
