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
    const errors = module.errors()
    if (count === 0 && errors.length > 0) {
      broken.push({ file, message: errors.map((e) => e.message).join('; ').slice(0, 1_000) })
    }
  }
  return { tasks, broken, unfinished, collected, requested }
}
