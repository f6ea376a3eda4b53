import { mkdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { SelfHarnessError, InternalError } from '../errors.js'
import type { TaskRunner } from '../evolve/port.js'
import { builtinHarnessFormat, type HarnessFormat } from '../harness/format.js'
import { latestRecordPathFor } from '../record/paths.js'
import { readRecord } from '../record/store.js'
import type { RunRequestSettings } from '../run/request.js'
import { runSuite } from './run-suite.js'

/** Options of {@link createVitestTaskRunner}. */
export interface VitestTaskRunnerOptions {
  /** The vitest project holding the tasks (its config uses the self-harness plugin). */
  projectDir: string
  /** Where harness files, task lists, records and traces of the runs go. */
  workDir: string
  /** Environment of the vitest processes (the model endpoint). */
  env?: Record<string, string>
  /** Extra vitest arguments. */
  vitestArgs?: string[]
  /** Run settings of every run (time limits, token cap, concurrency). */
  settings?: RunRequestSettings
  /** The agent module of every run; absent, the built-in loop (or what the project's configuration says). */
  agent?: string
  /** How harness files are saved: a custom agent's format keeps its data as it is. @default the built-in spec */
  format?: HarnessFormat<unknown>
}

/** Backs evolve's task-runner port with real vitest runs of the project, one process per request. */
export function createVitestTaskRunner(options: VitestTaskRunnerOptions): TaskRunner {
  const workDir = resolve(options.workDir)
  return {
    async run(request) {
      const name = request.label.replace(/[^\w.-]/g, '_')
      const harnessDir = join(workDir, 'harnesses')
      const outputDir = join(workDir, 'runs', name)
      await mkdir(harnessDir, { recursive: true })
      await mkdir(outputDir, { recursive: true })
      const format = options.format ?? (builtinHarnessFormat as HarnessFormat<unknown>)
      await writeFile(join(harnessDir, `${name}.json`), JSON.stringify(format.named(request.harness.spec, name), null, 2))
      const args = ['run', '--reporter=json', `--outputFile=${join(outputDir, 'vitest.json')}`, ...(request.bail ? ['--bail=1'] : []), ...(options.vitestArgs ?? [])]
      const result = await runSuite(
        { harness: name, harnessDir, outputDir, trials: request.trials, gate: false, ...(request.taskIds.length ? { taskIds: [...request.taskIds] } : {}), ...(options.settings ? { settings: options.settings } : {}), ...(options.agent ? { agent: options.agent } : {}) },
        { cwd: options.projectDir, vitestArgs: args, ...(options.env ? { env: options.env } : {}) },
      )
      const recordFile = result.outcome?.kind === 'run' ? result.outcome.recordFile : latestRecordPathFor(outputDir, name)
      try {
        return { record: await readRecord(recordFile), recordFile }
      } catch (cause) {
        const detail = `${result.stderr}\n${result.stdout}`.trim().split('\n').slice(-15).join('\n')
        if (cause instanceof SelfHarnessError && result.exitCode !== 2) throw cause
        throw new InternalError(`vitest exited ${result.exitCode} without a record for ${name}:\n${detail}`, { cause })
      }
    },
  }
}
