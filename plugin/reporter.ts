import { appendFileSync, existsSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import pc from 'picocolors'
import type { Reporter, SerializedError, TestCase, TestModule, TestRunEndReason, Vitest } from 'vitest/node'
import { ConfigurationError, NotComparableError, SelfHarnessError } from '../src/errors.js'
import type { ResolvedModelOptions } from '../src/agent/model.js'
import type { GatePolicy } from '../src/gate/policy.js'
import type { Verdict } from '../src/gate/verdict.js'
import type { RunRecord, TaskRecord } from '../src/record/schema.js'
import { readFlakeHistory, tooFlakyToBlock, updateFlakeHistory, writeFlakeHistory } from '../src/record/flake-history.js'
import { verifyRecordHarness } from '../src/record/integrity.js'
import { removeJournal } from '../src/record/journal.js'
import { buildRecord, readRecord, writeFileAtomic, writeRecord } from '../src/record/store.js'
import { collectTasks, completedRunExitCode, loadErrorOf } from './collect.js'
import { createProgress, type Progress } from './progress.js'

/** What the reporter needs to know about the run. */
export interface ReporterSettings {
  harness: { name: string; id: string }
  model: string
  trials: number
  /** Absolute path of the run record to write. */
  recordFile: string
  /** The journal of finished trials, removed once the record holds them. */
  journalFile: string
  /** Absolute path of the committed baseline record to gate against, when gating. */
  baseline: string | undefined
  /** The gate's policy, already validated. */
  policy: GatePolicy
  /** Directory of the harness files: a baseline record whose harness file changed since is refused. */
  harnessDir: string
  /** Where each harness version's flake history is kept (`<dir>/<harness id>.json`). */
  flakeDir: string
  /** Mine the run's failures after the record is written. */
  mine: false | ResolvedModelOptions
  /** A record this run extends: its tasks that did not run here are kept in the new record. */
  extend: string | undefined
  /** Write the HTML report beside the record. */
  report: boolean
}

/** Exit code for an error that stops the gate. */
function exitCodeOf(error: unknown): number {
  return error instanceof NotComparableError ? 3 : 2
}

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
    if (test.result().state === 'passed') p.passed++
    p.tokens += meta.trials.reduce((n, t) => n + t.tokens.prompt + t.tokens.completion, 0)
    const step = Math.max(1, Math.ceil(p.total / 10))
    if (p.done === p.total || p.done - p.lastShown >= step) {
      p.lastShown = p.done
      this.vitest?.logger.log(
        pc.dim(`self-harness [${p.done}/${p.total}] ${this.settings.harness.name}: pass rate ${Math.round((100 * p.passed) / p.done)}%, ${p.tokens.toLocaleString('en-US')} tokens`),
      )
    }
  }

  async onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError> = [], reason?: TestRunEndReason): Promise<void> {
    this.trials?.stop()
    const vitest = this.vitest
    if (!vitest) return
    // A run that completed ends 0 whatever its tasks did: failing tasks are data, and the gate (when there is one)
    // sets the exit code below. Failures of ordinary tests, unhandled errors and interrupted runs keep vitest's.
    const completed = completedRunExitCode(modules, unhandledErrors.length, reason)
    if (completed !== undefined && !this.brokenNow.length) process.exitCode = completed
    if (vitest.config.shard) return // a shard writes its blob; the merge writes the record
    if (this.brokenNow.length && this.settings.baseline) {
      process.exitCode = 2
      vitest.logger.error(pc.red(`self-harness: not gated: task file(s) ${this.brokenNow.join(', ')} failed to load. The finished trials stay in ${this.settings.journalFile} for the next run.`))
      return
    }
    const log = (line: string) => vitest.logger.log(line)
    try {
      const { tasks, broken } = collectTasks(modules, vitest.config.root, dirname(this.settings.recordFile))
      for (const file of broken) {
        if (!this.brokenNow.includes(file.file)) vitest.logger.error(pc.red(`self-harness: task file ${file.file} failed to load: ${file.message}`))
      }
      if (broken.length) process.exitCode = 2
      // Watch mode re-runs only the files that changed, and an extending run only the disputed tasks: the record
      // keeps the other tasks' last results.
      const previous = this.settings.extend ?? (vitest.config.watch && existsSync(this.settings.recordFile) ? this.settings.recordFile : undefined)
      if (previous) await this.keepTasksNotRun(tasks, previous, !this.settings.extend)
      const record = buildRecord({ harness: this.settings.harness, model: this.settings.model, trials: this.settings.trials, tasks })
      await writeRecord(this.settings.recordFile, record)
      await removeJournal(this.settings.journalFile)
      const flakeFile = join(this.settings.flakeDir, `${this.settings.harness.id}.json`)
      await writeFlakeHistory(flakeFile, updateFlakeHistory(await readFlakeHistory(flakeFile), record))
      const trials = tasks.flatMap((t) => t.trials)
      const count = (o: string) => trials.filter((t) => t.outcome === o).length
      log(
        `${pc.bold('self-harness')} ${this.settings.harness.name} (${this.settings.harness.id}): ${tasks.length} tasks, ` +
          `${count('pass')} passed, ${count('fail')} failed, ${count('error')} errors; record ${this.settings.recordFile}`,
      )
      if (this.settings.mine) await this.mine(record, log)
      if (this.settings.report && !this.settings.baseline) await this.writeReport(log)
      if (!this.settings.baseline) {
        this.tellWrapper({ recordFile: this.settings.recordFile })
        return
      }
      if (broken.length) {
        throw new ConfigurationError('CONFIG_INVALID', `Cannot gate: ${broken.length} task file(s) failed to load (${broken.map((b) => b.file).join(', ')}). Fix them and run again.`, { file: broken[0]!.file })
      }
      const baseline = await readRecord(this.settings.baseline)
      await verifyRecordHarness(baseline, this.settings.baseline, this.settings.harnessDir)
      // The gate loads only when a run is gated.
      const [{ compareRuns }, { renderVerdict }] = await Promise.all([import('../src/gate/compare.js'), import('../src/report/terminal.js')])
      // Tasks too flaky under the baseline's harness to block are reported, not gating.
      const flaky = tooFlakyToBlock(await readFlakeHistory(join(this.settings.flakeDir, `${baseline.harness.id}.json`)))
      const policy = flaky.length ? { ...this.settings.policy, ignore: [...new Set([...this.settings.policy.ignore, ...flaky])] } : this.settings.policy
      const verdict = compareRuns(baseline, record, policy)
      log(renderVerdict(verdict, { color: pc.isColorSupported }))
      const verdictFile = join(dirname(this.settings.recordFile), `${this.settings.harness.name}.verdict.json`)
      await writeFileAtomic(verdictFile, `${JSON.stringify(verdict, null, 2)}\n`)
      process.exitCode = verdict.exitCode
      if (process.env.GITHUB_ACTIONS === 'true') await this.reportToGitHub(verdict, baseline, record)
      if (process.env.GITHUB_ACTIONS === 'true') this.noticeFailedTasks(record)
      if (this.settings.report) await this.writeReport(log, this.settings.baseline, verdictFile)
      this.tellWrapper({ recordFile: this.settings.recordFile, verdictFile, baselineFile: this.settings.baseline })
    } catch (error) {
      const message = error instanceof SelfHarnessError ? error.message : `internal error: ${(error as Error)?.stack ?? String(error)}`
      vitest.logger.error(pc.red(`self-harness: ${message}`))
      process.exitCode = exitCodeOf(error)
    }
  }

  /**
   * Adds the tasks of an earlier record of this harness and model that did not run now, trace paths kept valid.
   * When `unreadableIsEmpty` (watch mode), a damaged earlier record is written over instead of stopping the run.
   */
  private async keepTasksNotRun(tasks: TaskRecord[], file: string, unreadableIsEmpty: boolean): Promise<void> {
    const last = await readRecord(file).catch((error: unknown) => {
      if (unreadableIsEmpty) return undefined
      throw error
    })
    if (!last || last.harness.id !== this.settings.harness.id || last.model !== this.settings.model) return
    const ran = new Set(tasks.map((t) => t.id))
    const from = dirname(file)
    const to = dirname(this.settings.recordFile)
    for (const task of last.tasks) {
      if (ran.has(task.id)) continue
      tasks.push({ ...task, trials: task.trials.map((t) => (t.tracePath ? { ...t, tracePath: relative(to, resolve(from, t.tracePath)) } : t)) })
    }
  }

  /** In GitHub Actions: the verdict in the step summary and an error annotation on each regressing task's file. */
  private async reportToGitHub(verdict: Verdict, baseline: RunRecord, candidate: RunRecord): Promise<void> {
    const { renderVerdictMarkdown, githubAnnotations } = await import('../src/report/markdown.js')
    const summary = process.env.GITHUB_STEP_SUMMARY
    if (summary) appendFileSync(summary, renderVerdictMarkdown(verdict, { baseline, candidate }))
    const root = this.vitest!.config.root
    const workspace = process.env.GITHUB_WORKSPACE ?? root
    for (const line of githubAnnotations(verdict, (e) => relative(workspace, resolve(root, e.file)))) process.stdout.write(`${line}\n`)
  }

  /** In GitHub Actions: a notice (not an error: the gate decides) on each task file with a trial that did not pass. */
  private noticeFailedTasks(record: RunRecord): void {
    const root = this.vitest!.config.root
    const workspace = process.env.GITHUB_WORKSPACE ?? root
    const escape = (text: string) => text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')
    for (const task of record.tasks) {
      const bad = task.trials.filter((t) => t.outcome !== 'pass')
      if (!bad.length || !task.file) continue
      const first = bad[0]!
      const message = `${task.id}: ${bad.length} of ${task.trials.length} trial(s) did not pass (${first.outcome}${first.reason ? `: ${first.reason.split('\n')[0]!.slice(0, 200)}` : ''})`
      process.stdout.write(`::notice file=${escape(relative(workspace, resolve(root, task.file)))},title=self-harness task::${escape(message)}\n`)
    }
  }

  /** The self-contained HTML report beside the record. */
  private async writeReport(log: (line: string) => void, baseline?: string, verdict?: string): Promise<void> {
    const [{ loadReportData }, { renderHtmlReport }] = await Promise.all([import('../src/report/html/load.js'), import('../src/report/html/render.js')])
    const candidate = this.settings.recordFile
    const weaknesses = join(dirname(candidate), `${this.settings.harness.name}.weaknesses.json`)
    const data = await loadReportData({ candidate, baseline, verdict, ...(existsSync(weaknesses) ? { weaknesses } : {}) })
    const file = join(dirname(candidate), `${this.settings.harness.name}.report.html`)
    await writeFileAtomic(file, renderHtmlReport(data))
    log(`self-harness: HTML report ${file}`)
  }

  /** Tells a wrapping `self-harness` process where the record and verdict are (for adaptive trials). */
  private tellWrapper(status: { recordFile: string; verdictFile?: string; baselineFile?: string }): void {
    const file = process.env.SELF_HARNESS_STATUS_FILE
    if (file) writeFileSync(file, JSON.stringify({ kind: 'run', ...status }))
  }

  /** The `--mine` hand-off: the run's failures become ranked weaknesses beside the record. */
  private async mine(record: RunRecord, log: (line: string) => void): Promise<void> {
    const [{ mineFailures, miningReport }, { renderWeaknesses }, { createModelClient }] = await Promise.all([
      import('../src/miner/index.js'),
      import('../src/report/weaknesses.js'),
      import('../src/agent/model.js'),
    ])
    const base = dirname(this.settings.recordFile)
    const failures = record.tasks.flatMap((task) =>
      task.trials.flatMap((trial) => (trial.outcome === 'fail' && trial.tracePath ? [{ taskId: task.id, trial: trial.index, tracePath: resolve(base, trial.tracePath) }] : [])),
    )
    const model = this.settings.mine as ResolvedModelOptions
    const client = createModelClient({ ...model, apiKey: model.apiKey || process.env.OPENAI_API_KEY || 'unset' })
    const report = miningReport(await mineFailures({ failures, totalTasks: record.tasks.length, client, trialsPerTask: record.trials }))
    const file = join(base, `${this.settings.harness.name}.weaknesses.json`)
    await writeFileAtomic(file, `${JSON.stringify(report, null, 2)}\n`)
    log(renderWeaknesses(report))
    log(pc.dim(`weaknesses written to ${file}`))
  }
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

/** Absolute record path for a harness under an output directory. */
export function recordPathFor(outputDir: string, harnessName: string): string {
  return resolve(outputDir, 'runs', `${harnessName}.json`)
}
