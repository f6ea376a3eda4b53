import { appendFileSync, existsSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import pc from 'picocolors'
import type { SerializedError } from 'vitest'
import type { Reporter, TestCase, TestModule, TestRunEndReason, Vitest } from 'vitest/node'
import { ConfigurationError, NotComparableError, SelfHarnessError } from '../src/errors.js'
import type { ResolvedModelOptions } from '../src/agent/model.js'
import type { GatePolicy } from '../src/gate/policy.js'
import type { Verdict } from '../src/gate/verdict.js'
import type { RunRecord, TaskRecord, Trial } from '../src/record/schema.js'
import { commitRecord } from '../src/record/commit.js'
import { readFlakeHistory, tooFlakyToBlock, updateFlakeHistory, writeFlakeHistory } from '../src/record/flake-history.js'
import { verifyRecordHarness } from '../src/record/integrity.js'
import type { HarnessParser } from '../src/harness/version.js'
import { readJournal } from '../src/record/journal.js'
import { completeTasks, foreignRecordReason, tasksNotRun } from '../src/record/merge.js'
import type { RunPaths } from '../src/record/paths.js'
import { buildRecord, findPreviousRecord, readRecord, writeFileAtomic } from '../src/record/store.js'
import { schemaWords, type Redactor } from '../src/trace/redact.js'
import { MiningReportSchema } from '../src/miner/schema.js'
import { createRunRedactor } from './secrets.js'
import { collectTasks, completedRunExitCode, loadErrorOf } from './collect.js'
import { createProgress, type Progress } from './progress.js'

/** What the reporter needs to know about the run. */
export interface ReporterSettings {
  harness: { name: string; id: string }
  model: string
  /** Run settings recorded in the record (wall-clock budgets, `max_tokens`). */
  settings?: RunRecord['settings']
  trials: number
  /** Absolute path of the run record to write. */
  recordFile: string
  /** The journal of finished trials, removed once the record holds them. */
  journalFile: string
  /** Every path of this run (record, latest copy, verdict, report). */
  paths: RunPaths
  /** Trials finished before this run started (journal, `--retry-errors`, extend), by task id. */
  resume: ReadonlyMap<string, readonly Trial[]>
  /** The run is limited to a list of task ids (`SELF_HARNESS_ONLY`): the record holds only them, unless extending. */
  onlyListed?: boolean
  /** Absolute path of the committed baseline record to gate against, when gating. */
  baseline: string | undefined
  /** The gate's policy, already validated. */
  policy: GatePolicy
  /** Directory of the harness files: a baseline record whose harness file changed since is refused. */
  harnessDir: string
  /** How the harness files are read (a custom agent's own format); the built-in spec when absent. */
  harnessParser?: HarnessParser<unknown>
  /** Where each harness version's flake history is kept (`<dir>/<harness id>.json`). */
  flakeDir: string
  /** Mine the run's failures after the record is written. */
  mine: false | ResolvedModelOptions
  /** A record this run extends: its tasks that did not run here are kept in the new record. */
  extend: string | undefined
  /** Write the HTML report beside the record. */
  report: boolean
  /** The run's redactor: applied to the trials' reasons, the weaknesses and the messages before they leave. */
  redact: Redactor
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
    try {
      const recordDir = dirname(this.settings.recordFile)
      const collected = collectTasks(modules, vitest.config.root, recordDir)
      const { broken, requested } = collected
      for (const file of broken) {
        if (!this.brokenNow.includes(file.file)) vitest.logger.error(pc.red(redact.text(`self-harness: task file ${file.file} failed to load: ${file.message}`)))
      }
      if (broken.length) process.exitCode = 2
      // Every finished trial counts, also those whose result never reached this process: the journal holds them.
      const journal = await readJournal(this.settings.journalFile, { harnessId: this.settings.harness.id, model: this.settings.model }).catch(() => undefined)
      // The record asks for what the run asked for: taken from the trials' metadata, so a blob merge (which has no
      // --trials) keeps the shards' count; an extending run (adaptive trials) keeps the extended record's.
      const asked = this.settings.extend ? (await readRecord(this.settings.extend)).trials : (requested ?? this.settings.trials)
      const tasks = completeTasks({
        tasks: collected.tasks,
        unfinished: collected.unfinished,
        known: [this.settings.resume, journal?.trials ?? new Map()],
        trials: asked,
        recordDir,
        reason: reason === 'interrupted' ? undefined : unfinishedReason(errors),
      })
      const died = collected.unfinished.filter((u) => tasks.some((t) => t.id === u.id)).length
      if (died && reason !== 'interrupted') vitest.logger.error(pc.red(`self-harness: ${died} task(s) never finished (their worker process exited); recorded as errors`))
      tasks.push(...(await this.tasksNotRun(tasks, collected.collected, modules, log)))
      // The workers redacted the trials; a reason from elsewhere (a merged blob, an earlier record) is redacted here.
      for (const task of tasks) task.trials = task.trials.map((t) => (t.reason ? { ...t, reason: redact.text(t.reason) } : t))
      const built = buildRecord({ harness: this.settings.harness, model: this.settings.model, trials: asked, tasks, settings: this.settings.settings })
      // Written, read back, and only then are the journal's trials let go of.
      const { record, keptInJournal } = await commitRecord({ record: built, recordFile: this.settings.recordFile, journalFile: this.settings.journalFile, copies: [this.settings.paths.latestFile] })
      if (keptInJournal) log(`self-harness: ${keptInJournal} finished trial(s) of tasks outside this run stay in ${this.settings.journalFile} for the next run`)
      await this.writePolicy(this.settings.policy)
      const flakeFile = join(this.settings.flakeDir, `${this.settings.harness.id}.json`)
      await writeFlakeHistory(flakeFile, updateFlakeHistory(await readFlakeHistory(flakeFile), record))
      const trials = record.tasks.flatMap((t) => t.trials)
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
      await verifyRecordHarness(baseline, this.settings.baseline, this.settings.harnessDir, this.settings.harnessParser)
      // The gate loads only when a run is gated.
      const [{ compareRuns }, { renderVerdict }, history] = await Promise.all([
        import('../src/gate/compare.js'),
        import('../src/report/terminal.js'),
        import('../src/record/baseline-history.js'),
      ])
      const historyFile = history.baselineHistoryPathFor(this.settings.baseline)
      const past = await history.readBaselineHistory(historyFile)
      const policy = await this.gatePolicy(baseline.harness.id)
      await this.writePolicy(policy)
      const verdict = compareRuns(baseline, record, policy, { history: past })
      log(renderVerdict(verdict, { color: pc.isColorSupported }))
      const verdictFile = this.settings.paths.verdictFile
      await writeFileAtomic(verdictFile, `${JSON.stringify(verdict, null, 2)}\n`)
      // A run of the baseline's own harness and model (a baseline run on main) adds its trials to the history.
      if (record.harness.id === baseline.harness.id && record.model === baseline.model) {
        const start = history.historyMatches(past, baseline) ? past : history.foldBaselineHistory(undefined, baseline)
        await history.writeBaselineHistory(historyFile, history.foldBaselineHistory(start, record))
        log(pc.dim(`self-harness: this run's trials were added to the baseline history ${historyFile}`))
      }
      process.exitCode = verdict.exitCode
      if (process.env.GITHUB_ACTIONS === 'true') await this.reportToGitHub(verdict, baseline, record)
      if (process.env.GITHUB_ACTIONS === 'true') this.noticeFailedTasks(record)
      if (this.settings.report) await this.writeReport(log, this.settings.baseline, verdictFile)
      this.tellWrapper({ recordFile: this.settings.recordFile, verdictFile, baselineFile: this.settings.baseline })
    } catch (error) {
      const message = error instanceof SelfHarnessError ? error.message : `internal error: ${(error as Error)?.stack ?? String(error)}`
      vitest.logger.error(pc.red(redact.text(`self-harness: ${message}`)))
      process.exitCode = exitCodeOf(error)
    }
  }

  /**
   * The gate policy of this run: the configured one, with the tasks too flaky to block under the baseline's
   * harness (from its flake history) added to `ignore`.
   */
  private async gatePolicy(baselineHarnessId: string): Promise<GatePolicy> {
    const flakes = await readFlakeHistory(join(this.settings.flakeDir, `${baselineHarnessId}.json`))
    const flaky = tooFlakyToBlock(flakes, { maxFlipRate: this.settings.policy.maxFlipRate })
    const { policy } = this.settings
    return flaky.length ? { ...policy, ignore: [...new Set([...policy.ignore, ...flaky])] } : policy
  }

  /** The resolved gate policy beside the record (`<name>.policy.json`), so `compare` judges by the same rule. */
  private async writePolicy(policy: GatePolicy): Promise<void> {
    // Beside the record and beside its latest copy (`runs/<harness>.json`), whichever of the two is compared.
    for (const record of new Set([this.settings.recordFile, this.settings.paths.latestFile])) {
      await writeFileAtomic(record.replace(/\.json$/, '.policy.json'), `${JSON.stringify(policy, null, 2)}\n`)
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
    const weaknesses = this.settings.paths.weaknessesFile
    const data = await loadReportData({ candidate, baseline, verdict, ...(existsSync(weaknesses) ? { weaknesses } : {}) })
    const file = this.settings.paths.reportFile
    // Built from files written redacted; the page's own markup and script are never rewritten.
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
    const report = this.settings.redact.value(miningReport(await mineFailures({ failures, totalTasks: record.tasks.length, client, trialsPerTask: record.trials })))
    const file = this.settings.paths.weaknessesFile
    await writeFileAtomic(file, `${JSON.stringify(report, null, 2)}\n`)
    log(renderWeaknesses(report))
    log(pc.dim(`weaknesses written to ${file}`))
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
