import { writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Plugin } from 'vitest/config'
import { resolveModelOptions } from '../src/agent/model.js'
import { SelfHarnessError } from '../src/errors.js'
import { loadHarness } from '../src/harness/version.js'
import { selectRun, type SelfHarnessOptions } from './options.js'
import { PROVIDE_KEY, type ProvidedSettings } from './provided.js'
import { recordPathFor, SelfHarnessReporter } from './reporter.js'

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
        const harness = await loadHarness(selection.harness, resolve(root, options.harnessDir ?? 'harnesses'))
        const model = resolveModelOptions(options.model)
        const outputDir = resolve(root, options.outputDir ?? '.self-harness')
        const settings: ProvidedSettings = {
          harness: { name: harness.name, id: harness.id, file: harness.file, spec: harness.spec },
          // The key stays out of what is handed around unless it was given as an option; workers read the environment.
          model: { ...model, apiKey: options.model?.apiKey ?? '' },
          trials: selection.trials,
          traceDir: resolve(outputDir, 'traces', harness.name),
          workspaceRoot: options.workspaceRoot,
          keepWorkspaces: options.keepWorkspaces ?? false,
          root,
        }
        reporter = new SelfHarnessReporter({
          harness: { name: harness.name, id: harness.id },
          model: model.model,
          trials: selection.trials,
          recordFile: recordPathFor(outputDir, harness.name),
          baseline: selection.gate && selection.baseline ? resolve(root, selection.baseline) : undefined,
        })
        return { test: { runner: RUNNER, provide: { [PROVIDE_KEY]: settings } } }
      } catch (error) {
        reportStartupError(error)
        throw error
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
