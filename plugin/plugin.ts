import { writeFileSync } from 'node:fs'
import { mkdir, readFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Plugin } from 'vitest/config'
import { resolveModelOptions } from '../src/agent/model.js'
import { ConfigurationError, SelfHarnessError } from '../src/errors.js'
import { loadHarness } from '../src/harness/version.js'
import { resolveGatePolicy } from '../src/gate/policy.js'
import { validateSandboxMode } from '../src/workspace/sandbox.js'
import { dropTruncatedTail, journalPathFor, readJournal, removeJournal } from '../src/record/journal.js'
import { selectRun, type SelfHarnessOptions } from './options.js'
import { PROVIDE_KEY, type ProvidedSettings, type TrialMeta } from './provided.js'
import { readRecord } from '../src/record/store.js'
import { recordPathFor, SelfHarnessReporter } from './reporter.js'
import { cacheDirFor } from './cache-dir.js'
import { startupError } from './startup-error.js'

const RUNNER = fileURLToPath(new URL('./runner.js', import.meta.url))

/**
 * The self-harness vitest plugin: sets the custom runner, resolves the harness version, provides it to workers
 * and adds the reporter that writes the run record and runs the gate.
 */
export function selfHarness(options: SelfHarnessOptions = {}): Plugin {
  let reporter: SelfHarnessReporter | undefined
  return {
    name: 'self-harness',
    async config(userConfig) {
      try {
        const root = resolve(userConfig.root ?? process.cwd())
        const selection = selectRun(process.argv, process.env, options)
        const harnessDir = resolve(root, selection.harnessDir)
        const harness = await loadHarness(selection.harness, harnessDir)
        const model = resolveModelOptions(options.model)
        const sandbox = selection.sandbox
        validateSandboxMode(sandbox)
        const outputDir = resolve(root, selection.outputDir)
        const recordFile = recordPathFor(outputDir, harness.name)
        const journalFile = journalPathFor(recordFile)
        await mkdir(dirname(journalFile), { recursive: true })
        if (selection.fresh) await removeJournal(journalFile)
        const journal = await readJournal(journalFile, { harnessId: harness.id, model: model.model })
        if (selection.retryErrors) await keepFinishedTrials(recordFile, journal.trials)
        // Extending a record (adaptive trials): its trials are kept, only the missing ones run.
        const extend = selection.extend ? resolve(root, selection.extend) : undefined
        if (extend) await keepFinishedTrials(extend, journal.trials, harness.id)
        const resumed = [...journal.trials.values()].reduce((n, list) => n + list.length, 0)
        if (resumed) console.log(`self-harness: resuming an interrupted run: ${resumed} finished trial(s) kept from ${journalFile}`)
        if (journal.truncatedTail) {
          await dropTruncatedTail(journalFile)
          console.log(`self-harness: the last line of ${journalFile} was cut short by a kill; that trial runs again`)
        }
        const settings: ProvidedSettings = {
          harness: { name: harness.name, id: harness.id, file: harness.file, spec: harness.spec },
          // The key stays out of what is handed around unless it was given as an option; workers read the environment.
          model: { ...model, apiKey: options.model?.apiKey ?? '' },
          trials: selection.trials,
          traceDir: resolve(outputDir, 'traces', harness.name),
          workspaceRoot: options.workspaceRoot,
          sandbox,
          envAllow: options.envAllow ?? [],
          keepWorkspaces: options.keepWorkspaces ?? false,
          root,
          journalFile,
          resume: Object.fromEntries(journal.trials),
          only: await readTaskList(selection.only),
          cache: selection.cache ? { dir: resolve(root, selection.cache.dir), mode: selection.cache.mode } : null,
        }
        reporter = new SelfHarnessReporter({
          harness: { name: harness.name, id: harness.id },
          model: model.model,
          trials: selection.trials,
          recordFile,
          journalFile,
          baseline: selection.gate && selection.baseline ? resolve(root, selection.baseline) : undefined,
          policy: resolveGatePolicy(options.gate ?? {}),
          harnessDir,
          flakeDir: resolve(outputDir, 'flakes'),
          mine: selection.mine ? { ...model, apiKey: options.model?.apiKey ?? '' } : false,
          extend,
          report: selection.report,
        })
        const cacheDir = cacheDirFor(root, userConfig.cacheDir ?? (userConfig.test?.cache ? userConfig.test.cache.dir : undefined))
        return { ...(cacheDir ? { cacheDir } : {}), test: { runner: RUNNER, provide: { [PROVIDE_KEY]: settings } } }
      } catch (error) {
        reportStartupError(error)
        throw startupError(error)
      }
    },
    configureVitest({ vitest }) {
      if (reporter && !vitest.config.reporters.includes(reporter as never)) {
        vitest.config.reporters.push(reporter as never)
      }
    },
  }
}

/** Tells a wrapping `self-harness vitest` process why startup failed, so it can exit with the design's code. */
function reportStartupError(error: unknown): void {
  const file = process.env.SELF_HARNESS_STATUS_FILE
  if (!file || !(error instanceof SelfHarnessError)) return
  try {
    writeFileSync(file, JSON.stringify({ code: error.code, message: error.message }))
  } catch {
    // the message still reaches the user through vitest
  }
}

/**
 * The pass and fail trials of a record join the resumed ones, so only errors and missing trials run (for
 * `--retry-errors` and for extending a record). A record of another harness version is refused.
 */
async function keepFinishedTrials(recordFile: string, trials: Map<string, TrialMeta[]>, harnessId?: string): Promise<void> {
  const record = await readRecord(recordFile)
  if (harnessId && record.harness.id !== harnessId) {
    throw new ConfigurationError('CONFIG_INVALID', `Cannot extend ${recordFile}: it was made with harness ${record.harness.id}, not ${harnessId}.`, { file: recordFile, field: 'harness.id' })
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

/** Reads the task ids a run is limited to (`SELF_HARNESS_ONLY` names a JSON file with an array of ids). */
async function readTaskList(file: string | undefined): Promise<string[] | null> {
  if (!file) return null
  let raw: unknown
  try {
    raw = JSON.parse(await readFile(file, 'utf8'))
  } catch (cause) {
    throw new ConfigurationError('CONFIG_INVALID', `Cannot read the task list ${file} (SELF_HARNESS_ONLY): ${(cause as Error).message}`, { cause, file })
  }
  if (!Array.isArray(raw) || !raw.every((id) => typeof id === 'string')) {
    throw new ConfigurationError('CONFIG_INVALID', `Expected the task list ${file} (SELF_HARNESS_ONLY) to be a JSON array of task ids.`, { file })
  }
  return raw
}
