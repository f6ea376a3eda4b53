import { isAbsolute, relative } from 'node:path'
import type { TestModule } from 'vitest/node'
import type { UnfinishedTask } from '../src/record/merge.js'
import type { TaskRecord } from '../src/record/schema.js'
import './context.js'

/** A task file that could not be loaded, with vitest's message. */
export interface BrokenFile {
  file: string
  message: string
}

/**
 * Reads the runner's `task.meta` of every test that ran into task records, and lists the tests that were to run
 * but never finished (their worker died before the result came back).
 */
export function collectTasks(
  modules: ReadonlyArray<TestModule>,
  root: string,
  /** Trace paths are written relative to this directory (the record's). */
  recordDir: string,
): { tasks: TaskRecord[]; broken: BrokenFile[]; unfinished: UnfinishedTask[]; collected: Set<string>; requested: number | undefined } {
  const relativeTrace = (path: string | undefined) => (path && isAbsolute(path) ? relative(recordDir, path) : path)
  const tasks: TaskRecord[] = []
  const broken: BrokenFile[] = []
  const unfinished: UnfinishedTask[] = []
  const collected = new Set<string>()
  let requested: number | undefined
  for (const module of modules) {
    const file = relative(root, module.moduleId)
    let count = 0
    for (const test of module.children.allTests()) {
      const meta = test.meta().selfHarness
      // The runner's task id: the file as vitest names it, then the test's full name.
      const id = meta?.taskId ?? `${module.relativeModuleId} > ${test.fullName}`
      collected.add(id)
      if ((test.options.mode === 'run' || test.options.mode === 'only') && test.result().state === 'pending') {
        unfinished.push({ id, file, name: test.fullName, trials: (meta?.trials ?? []).map((trial) => (trial.tracePath ? { ...trial, tracePath: relativeTrace(trial.tracePath) } : trial)) })
        continue
      }
      if (!meta || meta.trials.length === 0) continue
      count++
      if (meta.requested !== undefined) requested = Math.max(requested ?? 0, meta.requested)
      tasks.push({
        id: meta.taskId,
        file,
        name: test.fullName,
        trials: meta.trials.map((trial) => (trial.tracePath ? { ...trial, tracePath: relativeTrace(trial.tracePath) } : trial)),
      })
    }
    const failed = count === 0 ? loadErrorOf(module, root) : undefined
    if (failed) broken.push(failed)
  }
  return { tasks, broken, unfinished, collected, requested }
}

/** The load error of a task file that holds no test because it failed to load, as soon as it is collected. */
export function loadErrorOf(module: TestModule, root: string): BrokenFile | undefined {
  const errors = module.errors()
  if (errors.length === 0 || [...module.children.allTests()].length > 0) return undefined
  return { file: relative(root, module.moduleId), message: errors.map((e) => e.message).join('; ').slice(0, 1_000) }
}

/**
 * The exit code of a run that completed: 0, however many tasks failed (a failing task is data; the gate decides),
 * or undefined to keep vitest's when something else went wrong: the run was interrupted, an error escaped a test,
 * or a test that is not a self-harness task failed.
 */
export function completedRunExitCode(modules: ReadonlyArray<TestModule>, unhandledErrors: number, reason: string | undefined): 0 | undefined {
  if (reason === 'interrupted' || unhandledErrors > 0) return undefined
  for (const module of modules) {
    if (module.errors().length > 0) return undefined
    for (const test of module.children.allTests()) {
      if (test.result().state === 'failed' && !test.meta().selfHarness?.trials.length) return undefined
    }
  }
  return 0
}
