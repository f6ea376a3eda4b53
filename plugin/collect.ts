import { isAbsolute, relative } from 'node:path'
import type { TestModule } from 'vitest/node'
import type { TaskRecord } from '../src/record/schema.js'
import './context.js'

/** A task file that could not be loaded, with vitest's message. */
export interface BrokenFile {
  file: string
  message: string
}

/** Reads the runner's `task.meta` of every test that ran into task records, with the trials the run asked for. */
export function collectTasks(
  modules: ReadonlyArray<TestModule>,
  root: string,
  /** Trace paths are written relative to this directory (the record's). */
  recordDir: string,
): { tasks: TaskRecord[]; broken: BrokenFile[]; requested: number | undefined } {
  const relativeTrace = (path: string | undefined) => (path && isAbsolute(path) ? relative(recordDir, path) : path)
  const tasks: TaskRecord[] = []
  const broken: BrokenFile[] = []
  let requested: number | undefined
  for (const module of modules) {
    const file = relative(root, module.moduleId)
    let count = 0
    for (const test of module.children.allTests()) {
      const meta = test.meta().selfHarness
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
  return { tasks, broken, requested }
}
