import { appendFileSync, existsSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import pc from 'picocolors'
import type { ResolvedModelOptions } from '../agent/model.js'
import { ConfigurationError, NotComparableError, SelfHarnessError } from '../errors.js'
import type { GatePolicy } from '../gate/policy.js'
import type { HarnessParser } from '../harness/version.js'
import type { Verdict } from '../gate/verdict.js'
import { commitRecord } from '../record/commit.js'
import { readFlakeHistory, tooFlakyToBlock, updateFlakeHistory, writeFlakeHistory } from '../record/flake-history.js'
import { verifyRecordHarness } from '../record/integrity.js'
import { readJournal } from '../record/journal.js'
import { completeTasks, type UnfinishedTask } from '../record/merge.js'
import type { RunPaths } from '../record/paths.js'
import type { RunRecord, TaskRecord, Trial } from '../record/schema.js'
import { buildRecord, readRecord, writeFileAtomic } from '../record/store.js'
import type { RunOutcome } from '../run/request.js'
import type { Redactor } from '../trace/redact.js'

/** What the end of a run needs to know about it (the plugin resolves it when vitest starts). */
export interface RunFinishSettings {
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
  /** The run is limited to a list of task ids (the run request's `taskIds`): the record holds only them, unless extending. */
  onlyListed?: boolean
  /** Where the run request asked for the outcome (the record and verdict files). */
  outcomeFile?: string
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

/** Where the end of a run writes to the user. */
export interface FinishLog {
  log(line: string): void
  error(line: string): void
}

/** Exit code for an error that stops the gate. */
export function exitCodeOf(error: unknown): number {
  return error instanceof NotComparableError ? 3 : 2
}

/**
 * The trials of the tasks that ran, completed: a trial whose result never reached the main process is taken from
 * the journal, and a test whose worker died gets `error` trials with `reason`. The record asks for what the run
 * asked for: `requested` from the trials' metadata (a blob merge has no --trials), an extended record's count.
 */
export async function gatherTasks(
  run: RunFinishSettings,
  collected: { tasks: readonly TaskRecord[]; unfinished: readonly UnfinishedTask[]; requested: number | undefined },
  reason: string | undefined,
  out: FinishLog,
): Promise<{ tasks: TaskRecord[]; asked: number }> {
  const recordDir = dirname(run.recordFile)
  const journal = await readJournal(run.journalFile, { harnessId: run.harness.id, model: run.model }).catch(() => undefined)
  const asked = run.extend ? (await readRecord(run.extend)).trials : (collected.requested ?? run.trials)
  const tasks = completeTasks({ tasks: collected.tasks, unfinished: collected.unfinished, known: [run.resume, journal?.trials ?? new Map()], trials: asked, recordDir, reason })
  const died = collected.unfinished.filter((u) => tasks.some((t) => t.id === u.id)).length
  if (died && reason !== undefined) out.error(pc.red(`self-harness: ${died} task(s) never finished (their worker process exited); recorded as errors`))
  return { tasks, asked }
}

/** Where a run's GitHub output goes, when it runs in GitHub Actions. */
export interface GitHubContext {
  /** The vitest root, which task files are relative to. */
  root: string
  workspace: string
  summaryFile: string | undefined
  write(line: string): void
}

/**
 * The end of a run, after vitest: the record (validated, written, read back, and only then the journal let go), the
 * policy beside it, the flake history, the `--mine` hand-off, the HTML report, and for a gated run the gate: verdict,
 * baseline history, GitHub summary and annotations. Returns the exit code the gate set (undefined when not gated)
 * and the outcome for the process that asked for the run. Never throws: an error is said and gives exit code 2 or 3.
 */
export async function finishRun(
  run: RunFinishSettings,
  input: { tasks: TaskRecord[]; asked: number; broken: ReadonlyArray<{ file: string }>; github?: GitHubContext },
  out: FinishLog,
): Promise<{ exitCode: number | undefined; outcome: RunOutcome | undefined }> {
  const redact = run.redact
  const log = (line: string) => out.log(redact.text(line))
  try {
    const { tasks, asked, broken } = input
    // The workers redacted the trials; a reason from elsewhere (a merged blob, an earlier record) is redacted here.
    for (const task of tasks) task.trials = task.trials.map((t) => (t.reason ? { ...t, reason: redact.text(t.reason) } : t))
    const built = buildRecord({ harness: run.harness, model: run.model, trials: asked, tasks, settings: run.settings })
    // Written, read back, and only then are the journal's trials let go of.
    const { record, keptInJournal } = await commitRecord({ record: built, recordFile: run.recordFile, journalFile: run.journalFile, copies: [run.paths.latestFile] })
    if (keptInJournal) log(`self-harness: ${keptInJournal} finished trial(s) of tasks outside this run stay in ${run.journalFile} for the next run`)
    await writePolicy(run, run.policy)
    const flakeFile = join(run.flakeDir, `${run.harness.id}.json`)
    await writeFlakeHistory(flakeFile, updateFlakeHistory(await readFlakeHistory(flakeFile), record))
    const trials = record.tasks.flatMap((t) => t.trials)
    const count = (o: string) => trials.filter((t) => t.outcome === o).length
    log(
      `${pc.bold('self-harness')} ${run.harness.name} (${run.harness.id}): ${plural(tasks.length, 'task')}, ` +
        `${count('pass')} passed, ${count('fail')} failed, ${plural(count('error'), 'error')}; record ${run.recordFile}`,
    )
    if (run.mine) await mine(run, record, log)
    if (run.report && !run.baseline) await writeReport(run, log)
    if (!run.baseline) return { exitCode: undefined, outcome: { kind: 'run', recordFile: run.recordFile } }
    if (broken.length) {
      throw new ConfigurationError('CONFIG_INVALID', `Cannot gate: ${broken.length} task file(s) failed to load (${broken.map((b) => b.file).join(', ')}). Fix them and run again.`, { file: broken[0]!.file })
    }
    const baseline = await readRecord(run.baseline)
    await verifyRecordHarness(baseline, run.baseline, run.harnessDir, run.harnessParser)
    // The gate loads only when a run is gated.
    const [{ compareRuns }, { renderVerdict }, history] = await Promise.all([
      import('../gate/compare.js'),
      import('../report/terminal.js'),
      import('../record/baseline-history.js'),
    ])
    const historyFile = history.baselineHistoryPathFor(run.baseline)
    const past = await history.readBaselineHistory(historyFile)
    const policy = await gatePolicy(run, baseline.harness.id)
    await writePolicy(run, policy)
    const verdict = compareRuns(baseline, record, policy, { history: past, baselineFile: shownPath(run.baseline) })
    log(renderVerdict(verdict, { color: pc.isColorSupported }))
    const verdictFile = run.paths.verdictFile
    await writeFileAtomic(verdictFile, `${JSON.stringify(verdict, null, 2)}\n`)
    // A run of the baseline's own harness and model (a baseline run on main) adds its trials to the history.
    if (record.harness.id === baseline.harness.id && record.model === baseline.model) {
      const start = history.historyMatches(past, baseline) ? past : history.foldBaselineHistory(undefined, baseline)
      await history.writeBaselineHistory(historyFile, history.foldBaselineHistory(start, record))
      log(pc.dim(`self-harness: this run's trials were added to the baseline history ${historyFile}`))
    }
    if (input.github) {
      await reportToGitHub(input.github, verdict, baseline, record)
      noticeFailedTasks(input.github, record)
    }
    if (run.report) await writeReport(run, log, run.baseline, verdictFile)
    return { exitCode: verdict.exitCode, outcome: { kind: 'run', recordFile: run.recordFile, verdictFile, baselineFile: run.baseline } }
  } catch (error) {
    const message = error instanceof SelfHarnessError ? error.message : `internal error: ${(error as Error)?.stack ?? String(error)}`
    out.error(pc.red(redact.text(`self-harness: ${message}`)))
    return { exitCode: exitCodeOf(error), outcome: undefined }
  }
}

/**
 * The gate policy of this run: the configured one, with the tasks too flaky to block under the baseline's harness
 * (from its flake history) added to `ignore`.
 */
async function gatePolicy(run: RunFinishSettings, baselineHarnessId: string): Promise<GatePolicy> {
  const flakes = await readFlakeHistory(join(run.flakeDir, `${baselineHarnessId}.json`))
  const flaky = tooFlakyToBlock(flakes, { maxFlipRate: run.policy.maxFlipRate })
  const { policy } = run
  return flaky.length ? { ...policy, ignore: [...new Set([...policy.ignore, ...flaky])] } : policy
}

/** The resolved gate policy beside the record (`<name>.policy.json`), so `compare` judges by the same rule. */
async function writePolicy(run: RunFinishSettings, policy: GatePolicy): Promise<void> {
  // Beside the record and beside its latest copy (`runs/<harness>.json`), whichever of the two is compared.
  for (const record of new Set([run.recordFile, run.paths.latestFile])) {
    await writeFileAtomic(record.replace(/\.json$/, '.policy.json'), `${JSON.stringify(policy, null, 2)}\n`)
  }
}

/** A file as the user would type it from the working directory: relative when inside it. */
export function shownPath(file: string): string {
  const inside = relative(process.cwd(), resolve(file))
  return inside && !inside.startsWith('..') && !inside.startsWith('/') ? inside : file
}

/**
 * In GitHub Actions: the verdict in the step summary and an error annotation on each regressing task's file.
 * With `supersedes` (the look of a verdict already written), the section says it replaces that one: the final
 * verdict after adaptive follow-up looks.
 */
export async function reportToGitHub(github: GitHubContext, verdict: Verdict, baseline: RunRecord, candidate: RunRecord, supersedes?: number): Promise<void> {
  const { renderVerdictMarkdown, githubAnnotations } = await import('../report/markdown.js')
  if (github.summaryFile) appendFileSync(github.summaryFile, renderVerdictMarkdown(verdict, { baseline, candidate }, supersedes === undefined ? {} : { supersedes }))
  for (const line of githubAnnotations(verdict, (e) => relative(github.workspace, resolve(github.root, e.file)))) github.write(line)
}

/**
 * Tasks that did not pass, as notices (not errors: the gate's annotations are the errors of a gated job), so the
 * step's annotations lead with the verdict.
 */
function noticeFailedTasks(github: GitHubContext, record: RunRecord): void {
  const escape = (text: string) => text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')
  for (const task of record.tasks) {
    const bad = task.trials.filter((t) => t.outcome !== 'pass')
    if (!bad.length || !task.file) continue
    const first = bad[0]!
    const message = `${task.id}: ${bad.length} of ${task.trials.length} trial(s) did not pass (${first.outcome}${first.reason ? `: ${first.reason.split('\n')[0]!.slice(0, 200)}` : ''})`
    github.write(`::notice file=${escape(relative(github.workspace, resolve(github.root, task.file)))},title=self-harness task::${escape(message)}`)
  }
}

/** The self-contained HTML report beside the record. */
async function writeReport(run: RunFinishSettings, log: (line: string) => void, baseline?: string, verdict?: string): Promise<void> {
  const [{ loadReportData }, { renderHtmlReport }] = await Promise.all([import('../report/html/load.js'), import('../report/html/render.js')])
  const weaknesses = run.paths.weaknessesFile
  const data = await loadReportData({ candidate: run.recordFile, baseline, verdict, ...(existsSync(weaknesses) ? { weaknesses } : {}) })
  const file = run.paths.reportFile
  // Built from files written redacted; the page's own markup and script are never rewritten.
  await writeFileAtomic(file, renderHtmlReport(data))
  log(`self-harness: HTML report ${file}`)
}

/** The `--mine` hand-off: the run's failures become ranked weaknesses beside the record. */
async function mine(run: RunFinishSettings, record: RunRecord, log: (line: string) => void): Promise<void> {
  const [{ mineFailures, miningReport }, { renderWeaknesses }, { createModelClient }] = await Promise.all([
    import('../miner/index.js'),
    import('../report/weaknesses.js'),
    import('../agent/model.js'),
  ])
  const base = dirname(run.recordFile)
  const failures = record.tasks.flatMap((task) =>
    task.trials.flatMap((trial) => (trial.outcome === 'fail' && trial.tracePath ? [{ taskId: task.id, trial: trial.index, tracePath: resolve(base, trial.tracePath) }] : [])),
  )
  const model = run.mine as ResolvedModelOptions
  const client = createModelClient({ ...model, apiKey: model.apiKey || process.env.OPENAI_API_KEY || 'unset' })
  const report = run.redact.value(miningReport(await mineFailures({ failures, totalTasks: record.tasks.length, client, trialsPerTask: record.trials })))
  const file = run.paths.weaknessesFile
  await writeFileAtomic(file, `${JSON.stringify(report, null, 2)}\n`)
  log(renderWeaknesses(report))
  log(pc.dim(`weaknesses written to ${file}`))
}

/** `1 task`, `2 tasks`. */
function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}
