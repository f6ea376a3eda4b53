import { mkdir } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Plugin } from 'vitest/config'
import { resolveModelOptions } from '../src/agent/model.js'
import { resolveRunSettings } from '../src/agent/settings.js'
import { ConfigurationError, SelfHarnessError } from '../src/errors.js'
import { loadHarness, type HarnessParser, type HarnessVersion } from '../src/harness/version.js'
import { builtinHarnessFormat, type HarnessFormat } from '../src/harness/format.js'
import { importAgentModule } from './agent-module.js'
import { resolveGatePolicy } from '../src/gate/policy.js'
import { validateSandboxMode } from '../src/workspace/sandbox.js'
import { checkSandboxPolicy } from '../src/workspace/fallback-policy.js'
import { dropTruncatedTail, endLastLine, readJournal, removeJournal } from '../src/record/journal.js'
import { acquireRunLock } from '../src/record/lock.js'
import { foreignRecordReason } from '../src/record/merge.js'
import { runPaths } from '../src/record/paths.js'
import { checkEndpoint } from '../src/agent/preflight.js'
import { verifyRecordHarness } from '../src/record/integrity.js'
import type { RunRecord } from '../src/record/schema.js'
import { selectRun, type RunSelection, type SelfHarnessOptions } from './options.js'
import { PROVIDE_KEY, type ProvidedSettings, type TrialMeta } from './provided.js'
import { findPreviousRecord, readRecord } from '../src/record/store.js'
import { createReporterRedactor, SelfHarnessReporter } from './reporter.js'
import { cacheDirFor } from './cache-dir.js'
import { startupError } from './startup-error.js'
import { endpointSlots } from '../src/agent/slots.js'
import { runRequestFromEnv, writeRunOutcome } from '../src/run/request.js'
import { boundWorkers, concurrencyGiven, resolveConcurrency, type Concurrency } from './concurrency.js'

const RUNNER = fileURLToPath(new URL('./runner.js', import.meta.url))

/**
 * The self-harness vitest plugin: sets the custom runner, resolves the harness version, provides it to workers
 * and adds the reporter that writes the run record and runs the gate.
 */
export function selfHarness(options: SelfHarnessOptions = {}): Plugin {
  let reporter: SelfHarnessReporter | undefined
  let concurrency: Concurrency | undefined
  return {
    name: 'self-harness',
    async config(userConfig) {
      try {
        const root = resolve(userConfig.root ?? process.cwd())
        const selection = selectRun(process.argv, process.env, options, runRequestFromEnv())
        const harnessDir = resolve(root, selection.harnessDir)
        const agentFile = selection.agent ? resolve(root, selection.agent) : undefined
        const agent = agentFile ? await importAgentModule(agentFile) : undefined
        const format = (agent?.format ?? builtinHarnessFormat) as HarnessFormat<unknown>
        const harness = (await loadHarness(selection.harness, harnessDir, format.parse)) as HarnessVersion
        // Wall-clock budgets are run settings: an old harness file's `limits.runTimeoutMs` is only their default.
        const run = resolveRunSettings(selection.timing, { runTimeoutMs: agent ? undefined : harness.spec.limits.runTimeoutMs })
        const model = resolveModelOptions({ ...options.model, ...(selection.maxTokens !== undefined ? { maxTokens: selection.maxTokens } : {}), timeoutMs: run.requestTimeoutMs })
        const gateBaseline = selection.gate && selection.baseline ? resolve(root, selection.baseline) : undefined
        // Everything that would stop the run after the tasks is checked before the first model call.
        if (gateBaseline) await checkBaseline(gateBaseline, harnessDir, format.parse)
        const callsModel = needsEndpoint(process.argv, process.env, selection)
        if (callsModel) {
          await checkEndpoint({ baseURL: model.baseURL, apiKey: model.apiKey, timeoutMs: Math.min(5_000, model.timeoutMs) })
        }
        // Trials at once: the setting, else as many as the endpoint serves at once (llama.cpp's slots), else vitest's.
        const sources = { requested: selection.concurrency, env: process.env, option: options.concurrency }
        const slots = callsModel && !concurrencyGiven(sources) ? await endpointSlots(model.baseURL) : undefined
        concurrency = resolveConcurrency({ ...sources, slots })
        const sandbox = selection.sandbox
        validateSandboxMode(sandbox)
        await checkSandboxPolicy(sandbox) // a fallback that would expose the runner's secrets stops the run here
        const outputDir = resolve(root, selection.outputDir)
        const paths = runPaths(outputDir, harness.name, model.model)
        const { recordFile, journalFile } = paths
        await mkdir(dirname(journalFile), { recursive: true })
        // One run per output directory at a time: its journal, records and traces are this run's alone.
        const lock = acquireRunLock(paths.lockFile, outputDir)
        process.once('exit', () => lock.release())
        if (lock.tookOver) console.log(`self-harness: took over the lock of ${outputDir} from a run that is gone (pid ${lock.tookOver.pid}, started ${lock.tookOver.startedAt})`)
        if (selection.fresh) await removeJournal(journalFile)
        const match = { harnessId: harness.id, model: model.model }
        const journal = await readJournal(journalFile, match)
        if (journal.foreign) console.log(`self-harness: ${journal.foreign} journal entr${journal.foreign === 1 ? 'y' : 'ies'} of another harness version or model dropped from ${journalFile}`)
        if (selection.retryErrors) await keepFinishedTrials((await findPreviousRecord(paths, model.model)) ?? recordFile, journal.trials, match, 'drop')
        // Extending a record (adaptive trials): its trials are kept, only the missing ones run.
        const extend = selection.extend ? resolve(root, selection.extend) : undefined
        if (extend) await keepFinishedTrials(extend, journal.trials, match, 'refuse')
        const resumed = [...journal.trials.values()].reduce((n, list) => n + list.length, 0)
        if (resumed) console.log(`self-harness: resuming an interrupted run: ${resumed} finished trial(s) kept from ${journalFile}`)
        if (journal.truncatedTail) {
          await dropTruncatedTail(journalFile)
          console.log(`self-harness: the last line of ${journalFile} was cut short by a kill; that trial runs again`)
        } else await endLastLine(journalFile)
        const settings: ProvidedSettings = {
          harness: { name: harness.name, id: harness.id, file: harness.file, spec: harness.spec },
          agent: agentFile && agent ? { file: agentFile, name: agent.name } : null,
          // The key stays out of what is handed around unless it was given as an option; workers read the environment.
          model: { ...model, apiKey: options.model?.apiKey ?? '' },
          run,
          trials: selection.trials,
          traceDir: paths.traceDir,
          workspaceRoot: options.workspaceRoot,
          sandbox,
          envAllow: options.envAllow ?? [],
          keepWorkspaces: options.keepWorkspaces ?? false,
          root,
          journalFile,
          resume: Object.fromEntries(journal.trials),
          only: selection.only ?? null,
          cache: selection.cache ? { dir: resolve(root, selection.cache.dir), mode: selection.cache.mode } : null,
        }
        reporter = new SelfHarnessReporter({
          harness: { name: harness.name, id: harness.id },
          model: model.model,
          settings: { ...run, ...(model.maxTokens !== undefined ? { maxTokens: model.maxTokens } : {}) },
          trials: selection.trials,
          recordFile,
          journalFile,
          paths,
          resume: journal.trials,
          onlyListed: Boolean(selection.only),
          outcomeFile: selection.outcomeFile,
          baseline: gateBaseline,
          policy: resolveGatePolicy(options.gate ?? {}),
          harnessDir,
          harnessParser: format.parse,
          flakeDir: paths.flakeDir,
          mine: selection.mine ? { ...model, apiKey: options.model?.apiKey ?? '' } : false,
          extend,
          report: selection.report,
          redact: createReporterRedactor(options.model?.apiKey),
        })
        const cacheDir = cacheDirFor(root, userConfig.cacheDir ?? (userConfig.test?.cache ? userConfig.test.cache.dir : undefined))
        return { ...(cacheDir ? { cacheDir } : {}), test: { runner: RUNNER, provide: { [PROVIDE_KEY]: settings } } }
      } catch (error) {
        reportStartupError(error, outcomeFileOf())
        throw startupError(error)
      }
    },
    configureVitest({ vitest }) {
      if (concurrency) {
        boundWorkers(vitest.config, concurrency.limit)
        console.log(`self-harness: at most ${concurrency.limit} trial(s) at once (${concurrency.source})`)
      }
      if (reporter && !vitest.config.reporters.includes(reporter as never)) {
        vitest.config.reporters.push(reporter as never)
      }
      // In GitHub Actions a gated run writes the step summary and the annotations itself, verdict first: vitest's
      // reporter would put a `::error` on every failing task and its own summary above the verdict.
      if (reporter?.gated && process.env.GITHUB_ACTIONS === 'true') {
        const reporters = vitest.config.reporters as unknown[]
        for (let i = reporters.length - 1; i >= 0; i--) {
          const entry = reporters[i]
          if (entry === 'github-actions' || (Array.isArray(entry) && entry[0] === 'github-actions')) reporters.splice(i, 1)
        }
      }
    },
  }
}

/**
 * The baseline a gated run compares against, read and checked now rather than after every task has run. A missing
 * file points at `self-harness accept`, the command that makes one.
 */
async function checkBaseline(file: string, harnessDir: string, parse: HarnessParser<unknown>): Promise<void> {
  let baseline: RunRecord
  try {
    baseline = await readRecord(file)
  } catch (error) {
    if (error instanceof SelfHarnessError && error.code === 'RECORD_NOT_FOUND') {
      throw new ConfigurationError(
        'RECORD_NOT_FOUND',
        `No run record at ${file}, the baseline this run is gated against (--baseline or SELF_HARNESS_BASELINE). ` +
          `Make it from a finished run with \`self-harness accept <record> --to=${file}\`, or run without --baseline (no task was run).`,
        { cause: error, file, field: 'baseline' },
      )
    }
    throw error
  }
  await verifyRecordHarness(baseline, file, harnessDir, parse)
}

/**
 * Whether this run will call the model, so the endpoint is checked first: not when vitest only merges shard
 * reports or lists tests, not when every answer comes from a read-only cache, not when `SELF_HARNESS_PREFLIGHT=0`.
 */
export function needsEndpoint(argv: readonly string[], env: NodeJS.ProcessEnv, selection: RunSelection): boolean {
  if (env.SELF_HARNESS_PREFLIGHT === '0') return false
  if (selection.cache?.mode === 'read-only') return false
  const quiet = ['--merge-reports', '--mergeReports', 'list', '--list', '--listTags', '--clearCache']
  return !argv.some((arg) => quiet.some((flag) => arg === flag || arg.startsWith(`${flag}=`)))
}

/** Tells a wrapping `self-harness vitest` process why startup failed, so it can exit with the design's code. */
function reportStartupError(error: unknown, outcomeFile: string | undefined): void {
  if (!outcomeFile || !(error instanceof SelfHarnessError)) return
  try {
    writeRunOutcome(outcomeFile, { kind: 'startup-error', code: error.code, message: error.message.slice(0, 100_000) })
  } catch {
    // the message still reaches the user through vitest
  }
}

/**
 * The pass and fail trials of a record join the resumed ones, so only errors and missing trials run (for
 * `--retry-errors` and for extending a record). Only trials of this harness version and model are kept: a record
 * of another is refused when extending (`refuse`), and its trials dropped with a notice for `--retry-errors`
 * (`drop`: every trial runs again).
 */
async function keepFinishedTrials(recordFile: string, trials: Map<string, TrialMeta[]>, match: { harnessId: string; model: string }, foreign: 'drop' | 'refuse'): Promise<void> {
  const record = await readRecord(recordFile)
  const mismatch = foreignRecordReason(record, match)
  if (mismatch && foreign === 'refuse') {
    throw new ConfigurationError('CONFIG_INVALID', `Cannot extend ${recordFile}: it was made with ${mismatch}.`, { file: recordFile, field: record.harness.id !== match.harnessId ? 'harness.id' : 'model' })
  }
  if (mismatch) {
    console.log(`self-harness: --retry-errors: ${recordFile} was made with ${mismatch}; its trials are dropped and every trial runs again`)
    return
  }
  const base = dirname(resolve(recordFile))
  for (const task of record.tasks) {
    const kept = trials.get(task.id) ?? []
    for (const trial of task.trials) {
      if (trial.outcome !== 'error' && !kept.some((t) => t.index === trial.index)) {
        kept.push(trial.tracePath ? { ...trial, tracePath: resolve(base, trial.tracePath) } : trial)
      }
    }
    trials.set(task.id, kept.sort((a, b) => a.index - b.index))
  }
}

/** Where the run request asks for the outcome, read on its own: the request itself may be what failed to load. */
function outcomeFileOf(): string | undefined {
  try {
    return runRequestFromEnv()?.outcomeFile
  } catch {
    return undefined
  }
}
