import { dirname, relative } from 'node:path'
import pc from 'picocolors'
import type { SerializedError } from 'vitest'
import type { Reporter, TestCase, TestModule, TestRunEndReason, Vitest } from 'vitest/node'
import { SelfHarnessError } from '../src/errors.js'
import type { TaskRecord } from '../src/record/schema.js'
import { foreignRecordReason, tasksNotRun } from '../src/record/merge.js'
import { findPreviousRecord, readRecord } from '../src/record/store.js'
import { schemaWords } from '../src/trace/redact.js'
import { MiningReportSchema } from '../src/miner/schema.js'
import { writeRunOutcome } from '../src/run/request.js'
import { exitCodeOf, finishRun, gatherTasks, type RunFinishSettings } from '../src/pipeline/finish-run.js'
import type { Redactor } from '../src/trace/redact.js'
import { createRunRedactor } from './secrets.js'
import { collectTasks, completedRunExitCode, loadErrorOf } from './collect.js'
import { createProgress, type Progress } from './progress.js'

/** What the reporter needs to know about the run: what the end of the run needs (`finishRun`). */
export type ReporterSettings = RunFinishSettings

/**
 * Writes the run record after the run and, when a baseline is configured, runs the gate and sets the exit code.
 * Never throws from a hook: a thrown reporter error would silence the reporters after it.
 */
export class SelfHarnessReporter implements Reporter {
  private vitest: Vitest | undefined
  private progress = { total: 0, done: 0, passed: 0, tokens: 0, lastShown: 0, collected: 0, files: 0, filesSeen: 0 }
  private trials: Progress | undefined
  /** Task files that failed to load, reported as soon as they were collected. */
  private brokenNow: string[] = []
  constructor(private readonly settings: ReporterSettings) {}

  /** Whether this run is gated against a baseline. */
  get gated(): boolean {
    return Boolean(this.settings.baseline)
  }

  onInit(vitest: Vitest): void {
    this.vitest = vitest
  }

  onTestRunStart(specifications: ReadonlyArray<unknown>): void {
    // One task per file until the files are collected; then the tests they hold.
    this.progress = { total: specifications.length, done: 0, passed: 0, tokens: 0, lastShown: 0, collected: 0, files: specifications.length, filesSeen: 0 }
    this.brokenNow = []
    this.trials?.stop()
    const vitest = this.vitest
    if (vitest) this.trials = createProgress({ log: (line) => vitest.logger.log(line), trials: this.settings.trials, mode: progressMode(), everyMs: Number(process.env.SELF_HARNESS_PROGRESS_MS) || 5_000 })
  }

  onTestModuleCollected(module: TestModule): void {
    const p = this.progress
    p.collected += [...module.children.allTests()].length
    p.filesSeen++
    p.total = p.collected + (p.files - p.filesSeen)
    const vitest = this.vitest
    const broken = vitest && loadErrorOf(module, vitest.config.root)
    if (!broken) return
    // Said at once, not after every other task has run; a gated run stops here, as the gate would refuse it.
    this.brokenNow.push(broken.file)
    vitest.logger.error(pc.red(`self-harness: task file ${broken.file} failed to load: ${broken.message}`))
    if (this.settings.baseline) {
      vitest.logger.error(pc.red(`self-harness: stopping the gated run: a gate over a suite with a broken task file would be refused. Fix ${broken.file} and run again; finished trials are kept.`))
      void vitest.cancelCurrentRun('test-failure')
    }
  }

  /** Live status and one line per finished trial, from the meta the runner sends while tests run. */
  onTaskUpdate(packs: ReadonlyArray<readonly [string, unknown, { selfHarness?: unknown } | undefined]>): void {
    for (const [id, , meta] of packs) {
      if (meta?.selfHarness) this.trials?.update(id, meta.selfHarness as never)
    }
  }

  /** Shows progress: tasks done of total, pass rate so far, tokens so far. */
  onTestCaseResult(test: TestCase): void {
    const meta = test.meta().selfHarness
    const p = this.progress
    if (!meta) {
      p.total-- // not part of this run (filtered or skipped)
      return
    }
    p.done++
    // From the trials, so a task kept whole from the journal (skipped by vitest) counts as it ended.
    if (meta.trials.length > 0 && meta.trials.every((t) => t.outcome === 'pass')) p.passed++
    p.tokens += meta.trials.reduce((n, t) => n + t.tokens.prompt + t.tokens.completion, 0)
    const step = Math.max(1, Math.ceil(p.total / 10))
    if (p.done === p.total || p.done - p.lastShown >= step) {
      p.lastShown = p.done
      this.vitest?.logger.log(
        pc.dim(`self-harness [${p.done}/${p.total}] ${this.settings.harness.name}: pass rate ${Math.round((100 * p.passed) / p.done)}%, ${p.tokens.toLocaleString('en-US')} tokens`),
      )
    }
  }

  async onTestRunEnd(modules: ReadonlyArray<TestModule>, errors: ReadonlyArray<SerializedError> = [], reason?: TestRunEndReason): Promise<void> {
    this.trials?.stop()
    const vitest = this.vitest
    if (!vitest) return
    // A run that completed ends 0 whatever its tasks did: failing tasks are data, and the gate (when there is one)
    // sets the exit code below. Failures of ordinary tests, unhandled errors and interrupted runs keep vitest's.
    const completed = completedRunExitCode(modules, errors.length, reason)
    if (completed !== undefined && !this.brokenNow.length) process.exitCode = completed
    if (vitest.config.shard) return // a shard writes its blob; the merge writes the record
    const redact = this.settings.redact
    const log = (line: string) => vitest.logger.log(redact.text(line))
    if (this.brokenNow.length && this.settings.baseline) {
      process.exitCode = 2
      vitest.logger.error(pc.red(redact.text(`self-harness: not gated: task file(s) ${this.brokenNow.join(', ')} failed to load. The finished trials stay in ${this.settings.journalFile} for the next run.`)))
      return
    }
    const out = { log, error: (line: string) => vitest.logger.error(line) }
    let result: Awaited<ReturnType<typeof finishRun>>
    try {
      const collected = collectTasks(modules, vitest.config.root, dirname(this.settings.recordFile))
      const { broken } = collected
      for (const file of broken) {
        if (!this.brokenNow.includes(file.file)) vitest.logger.error(pc.red(redact.text(`self-harness: task file ${file.file} failed to load: ${file.message}`)))
      }
      if (broken.length) process.exitCode = 2
      // Every finished trial counts, also those whose result never reached this process: the journal holds them.
      const { tasks, asked } = await gatherTasks(this.settings, collected, reason === 'interrupted' ? undefined : unfinishedReason(errors), out)
      tasks.push(...(await this.tasksNotRun(tasks, collected.collected, modules, log)))
      const root = vitest.config.root
      const github = process.env.GITHUB_ACTIONS === 'true'
        ? { root, workspace: process.env.GITHUB_WORKSPACE ?? root, summaryFile: process.env.GITHUB_STEP_SUMMARY, write: (line: string) => void process.stdout.write(`${line}\n`) }
        : undefined
      result = await finishRun(this.settings, { tasks, asked, broken, ...(github ? { github } : {}) }, out)
    } catch (error) {
      const message = error instanceof SelfHarnessError ? error.message : `internal error: ${(error as Error)?.stack ?? String(error)}`
      vitest.logger.error(pc.red(redact.text(`self-harness: ${message}`)))
      result = { exitCode: exitCodeOf(error), outcome: undefined }
    }
    if (result.exitCode !== undefined) process.exitCode = result.exitCode
    try {
      if (result.outcome && this.settings.outcomeFile) writeRunOutcome(this.settings.outcomeFile, result.outcome)
    } catch (error) {
      vitest.logger.error(pc.red(`self-harness: cannot write the run outcome ${this.settings.outcomeFile}: ${(error as Error).message}`))
    }
  }

  /**
   * The tasks of an earlier record of this harness and model that did not run now and are still tasks of the suite,
   * trace paths kept valid: for an extending run (adaptive trials), watch mode (only changed files re-run) and a
   * filtered run (`-t`, file filters), so those never replace the full record. A damaged earlier record stops an
   * extending run; otherwise it is written over, with a notice.
   */
  private async tasksNotRun(tasks: readonly TaskRecord[], collected: ReadonlySet<string>, modules: ReadonlyArray<TestModule>, log: (line: string) => void): Promise<TaskRecord[]> {
    const vitest = this.vitest!
    const root = vitest.config.root
    const runFiles = new Set(modules.map((m) => relative(root, m.moduleId)))
    // The suite's files without the command line's filters; when they cannot be listed, the files that ran.
    const specs = await vitest.globTestSpecifications().catch(() => undefined)
    const suiteFiles = specs ? new Set(specs.map((spec) => relative(root, spec.moduleId))) : runFiles
    const filtered = !this.settings.onlyListed && (Boolean(vitest.config.testNamePattern) || [...suiteFiles].some((file) => !runFiles.has(file)))
    const file = this.settings.extend ?? (vitest.config.watch || filtered ? await findPreviousRecord(this.settings.paths, this.settings.model) : undefined)
    if (!file) return []
    const last = await readRecord(file).catch((error: unknown) => {
      if (this.settings.extend) throw error
      log(`self-harness: the earlier record ${file} cannot be read (${(error as Error).message}); this record holds only the tasks that ran`)
      return undefined
    })
    if (!last) return []
    const mismatch = foreignRecordReason(last, { harnessId: this.settings.harness.id, model: this.settings.model })
    if (mismatch) {
      if (filtered) log(`self-harness: a filtered run; the earlier record ${file} was made with ${mismatch}, so this record holds only the ${tasks.length} task(s) that ran`)
      return []
    }
    const ran = new Set(tasks.map((t) => t.id))
    // A task of a file that ran is kept only if its test is still there; of a file that did not run, if the file still is a test file.
    const kept = tasksNotRun(ran, last, (task) => (runFiles.has(task.file) ? collected.has(task.id) : suiteFiles.has(task.file)), dirname(file), dirname(this.settings.recordFile))
    if (filtered && kept.length) log(`self-harness: a filtered run: ${tasks.length} task(s) ran, ${kept.length} other task(s) keep their trials from ${file}`)
    return kept
  }
}

/** The run's redactor on the main process: the workers' sources, and the words of the weakness format. */
export function createReporterRedactor(apiKey: string | undefined, env: NodeJS.ProcessEnv = process.env): Redactor {
  return createRunRedactor(apiKey, env, schemaWords(MiningReportSchema))
}

/** Why a test the run started never finished: its worker process exited (vitest's message, when it gave one). */
function unfinishedReason(errors: ReadonlyArray<SerializedError>): string {
  const messages = errors.flatMap((e) => [e.message, (e as { cause?: { message?: unknown } }).cause?.message]).filter((m): m is string => typeof m === 'string')
  const worker = messages.find((m) => /worker/i.test(m) && !/emitted error/i.test(m)) ?? messages.find((m) => /worker/i.test(m))
  return `The trial never finished: the worker process running it exited${worker ? ` (${worker.slice(0, 200)})` : ''}.`
}

/**
 * How progress is shown: a live status on a terminal, one line per trial otherwise. `SELF_HARNESS_PROGRESS`
 * (`live`, `trials`, `off`) overrides; `SELF_HARNESS_PROGRESS_MS` sets how often running trials are shown.
 */
function progressMode(): 'live' | 'trials' | 'off' {
  const env = process.env.SELF_HARNESS_PROGRESS
  if (env === 'live' || env === 'trials' || env === 'off') return env
  return process.stdout.isTTY ? 'live' : 'trials'
}
