import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * How a generated task does its work:
 * - `agent`: the self-harness runner, and `agent.run` plays the solution against the model (the simulator);
 * - `workspace`: the self-harness runner, but the test runs the solution's commands itself (no model call);
 * - `plain`: plain vitest (no plugin): the test makes a workspace with `createWorkspace` and runs the same commands.
 */
export type TaskKind = 'agent' | 'workspace' | 'plain'

/** Options of {@link writeTaskProject}. */
export interface TaskProjectOptions {
  /** Directory to (re)create. It must lie inside this package, so `self-harness` resolves to it by self-reference. */
  dir: string
  kind: TaskKind
  /** Number of tasks (tests). */
  tasks: number
  /** Tests per file; 1 gives one file per task, as task suites are usually written. @default 1 */
  testsPerFile?: number
  /** Shell commands of the solution, run in order; the simulated model plays each as one `shell` call, then `finish`. */
  commands: string[]
  /** File the test checks after the work, and the content it expects. */
  check: { file: string; content: string }
  /** vitest `maxWorkers`. */
  maxWorkers: number
  /** vitest `pool`. @default 'forks' */
  pool?: 'forks' | 'threads'
  /** Run the tests of a file concurrently, this many at a time (`sequence.concurrent`, `maxConcurrency`). */
  concurrentPerFile?: number
  /** The plugin's `model` option (retries and time limit). */
  model?: { maxRetries?: number; timeoutMs?: number }
  /** The sandbox of every command, on both sides. @default 'auto' */
  sandbox?: 'auto' | 'bwrap' | 'none'
  /** Node flags of the workers (vitest `execArgv`), e.g. `--cpu-prof`. */
  execArgv?: string[]
}

/** The harness of generated projects: the minimal baseline of the gate fixture. */
const HARNESS = {
  schemaVersion: 1,
  name: 'baseline',
  systemPrompt: 'You are an agent working in a Linux terminal. Complete the task in the current directory using the tools. When the task is done, call finish.',
  tools: {
    shell: { description: 'Run a bash command in the workspace and see its exit code and output.' },
    read_file: { description: 'Read a text file.' },
    write_file: { description: 'Write a text file, replacing its content.' },
    finish: { description: 'Declare the task done, with a short summary.' },
  },
  limits: { maxTurns: 20, runTimeoutMs: 120_000, commandTimeoutMs: 10_000, toolResultMaxChars: 4000 },
}

/** The phrase the simulator finds the solution by; every task's instruction contains it. */
const MATCH = 'Do the benchmark chore'

/** Root of this package (dist/benchmarks/support -> package root, or benchmarks/support from source). */
export const packageRoot = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../../' : '../../', import.meta.url))

/** Where generated projects go: a gitignored folder inside the package. */
export const benchRoot = join(packageRoot, '.bench')

/** Writes a vitest project of generated tasks and returns the directory of the simulator's solutions. */
export function writeTaskProject(options: TaskProjectOptions): { solutionsDir: string } {
  const { dir, kind } = options
  rmSync(dir, { recursive: true, force: true })
  const perFile = options.testsPerFile ?? 1
  const solutionsDir = join(dir, 'solutions')
  mkdirSync(join(dir, 'tasks'), { recursive: true })
  mkdirSync(join(dir, 'harnesses'), { recursive: true })
  mkdirSync(solutionsDir, { recursive: true })
  writeFileSync(join(dir, 'harnesses', 'baseline.json'), JSON.stringify(HARNESS, null, 2))
  writeFileSync(
    join(solutionsDir, 'chore.json'),
    JSON.stringify({ task: 'chore', match: MATCH, category: 'files', steps: options.commands.map((command) => ({ kind: 'shell', command })) }, null, 2),
  )
  const sandbox = options.sandbox ?? 'auto'
  const test = {
    include: ['tasks/**/*.test.ts'],
    testTimeout: 120_000,
    isolate: false,
    pool: options.pool ?? 'forks',
    maxWorkers: options.maxWorkers,
    ...(options.concurrentPerFile ? { sequence: { concurrent: true }, maxConcurrency: options.concurrentPerFile } : {}),
    ...(options.execArgv ? { execArgv: options.execArgv } : {}),
  }
  const plugin = kind === 'plain' ? '' : `selfHarness(${JSON.stringify({ sandbox, ...(options.model ? { model: options.model } : {}) })})`
  writeFileSync(
    join(dir, 'vitest.config.mjs'),
    [
      "import { defineConfig } from 'vitest/config'",
      kind === 'plain' ? '' : "import { selfHarness } from 'self-harness/plugin'",
      `export default defineConfig({ plugins: [${plugin}], test: ${JSON.stringify(test)} })`,
      '',
    ].join('\n'),
  )
  const files = Math.ceil(options.tasks / perFile)
  for (let f = 0; f < files; f++) {
    const lines = kind === 'plain' ? ["import { expect, test } from 'vitest'", "import { createWorkspace } from 'self-harness'", ''] : ["import { expect, test } from 'vitest'", '']
    for (let t = f * perFile; t < Math.min(options.tasks, (f + 1) * perFile); t++) lines.push(taskSource(t, options, sandbox))
    writeFileSync(join(dir, 'tasks', `task-${String(f).padStart(5, '0')}.test.ts`), lines.join('\n'))
  }
  return { solutionsDir }
}

function taskSource(n: number, options: TaskProjectOptions, sandbox: string): string {
  const check = `expect(await workspace.read(${JSON.stringify(options.check.file)})).toBe(${JSON.stringify(options.check.content)})`
  const run = options.commands.map((command) => `  await workspace.exec(${JSON.stringify(command)})`).join('\n')
  switch (options.kind) {
    case 'agent':
      return [
        `test('chore ${n}', async ({ agent, workspace }) => {`,
        `  const run = await agent.run(${JSON.stringify(`${MATCH} number ${n} in this directory.`)})`,
        "  expect(run.status).toBe('finished')",
        `  ${check}`,
        '})',
        '',
      ].join('\n')
    case 'workspace':
      return [`test('chore ${n}', async ({ workspace }) => {`, run, `  ${check}`, '})', ''].join('\n')
    case 'plain':
      return [
        `test('chore ${n}', async () => {`,
        `  const workspace = await createWorkspace({ exec: { sandbox: ${JSON.stringify(sandbox)} } })`,
        '  try {',
        run.replace(/^/gm, '  '),
        `    ${check}`,
        '  } finally {',
        '    await workspace.dispose()',
        '  }',
        '})',
        '',
      ].join('\n')
  }
}
