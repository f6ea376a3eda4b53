/** A file `self-harness init` writes: its path in the project and its text. */
export interface ScaffoldFile {
  path: string
  text: string
}

/** Lines `self-harness init` makes sure the project's `.gitignore` has. */
export const GITIGNORE_LINES = ['node_modules/', '.self-harness/', '.vitest-reports/', 'report.html', 'self-harness-report.html']

const VITEST_CONFIG = `import { defineConfig } from 'vitest/config'
import { selfHarness } from 'self-harness/plugin'
import { simulatedModel } from 'self-harness/sim'

// Until OPENAI_BASE_URL or SELF_HARNESS_MODEL names a model, runs use the bundled simulated model: a simulator with
// scripted behaviour, not a real model (its records name the model \`sim-oracle\`). It knows the tasks whose
// solutions are in solutions/. Set OPENAI_BASE_URL, OPENAI_API_KEY and SELF_HARNESS_MODEL for a real endpoint.
const simulated = !process.env.OPENAI_BASE_URL && !process.env.SELF_HARNESS_MODEL

export default defineConfig({
  plugins: [
    ...(simulated ? [simulatedModel({ solutions: 'solutions' })] : []),
    // A gated run (\`--baseline=FILE\`) passes a pull request with no regression; it need not gain.
    selfHarness({ harness: 'baseline', gate: { requireGain: false } }),
  ],
  test: {
    include: ['tasks/**/*.test.ts'],
    testTimeout: 180_000,
  },
})
`

/** The minimal harness: every required field, and the limits spelled out. */
const BASELINE = {
  schemaVersion: 1,
  name: 'baseline',
  description: 'The starting harness: a short system prompt and the four tools.',
  systemPrompt: 'You are an agent working in a Linux terminal. Complete the task in the current directory using the tools. When the task is done, call finish.',
  tools: {
    shell: { description: 'Run a bash command in the workspace and see its exit code and output.' },
    read_file: { description: 'Read a text file.' },
    write_file: { description: 'Write a text file, replacing its content.' },
    finish: { description: 'Declare the task done, with a short summary.' },
  },
  limits: { maxTurns: 20, runTimeoutMs: 120000, commandTimeoutMs: 10000, toolResultMaxChars: 4000 },
}

const INSTRUCTION = 'Read the name in name.txt and write a file greeting.txt that says "Hello, <name>!" on one line.'

const TASK = `import { expect, test } from 'vitest'

// An agent task: a workspace, an instruction, and expectations on the workspace's final state.
test('writes a greeting for the name it reads', async ({ agent, workspace }) => {
  await workspace.write('name.txt', 'Ada\\n')
  await agent.run(${JSON.stringify(INSTRUCTION)})
  expect((await workspace.read('greeting.txt')).trim()).toBe('Hello, Ada!')
})
`

/** What the simulated model knows about the example task (the simulator finds it by \`match\` in the instruction). */
const SOLUTION = {
  task: 'greeting',
  match: 'Read the name in name.txt',
  category: 'files',
  steps: [
    { kind: 'read', path: 'name.txt' },
    { kind: 'write', path: 'greeting.txt', content: 'Hello, Ada!\n' },
  ],
}

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    // Types the test context of a task file: \`agent\`, \`workspace\`, \`harness\`.
    types: ['self-harness/plugin'],
  },
  include: ['tasks'],
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`

/** The CI workflow, made from the package's example: the same steps, with a note of where it came from. */
export function workflowFrom(example: string): string {
  const header = [
    '# Written by `self-harness init` from the example workflow of the self-harness package.',
    '# The gate runs the `candidate` harness against the committed baseline record: add harnesses/candidate.json in',
    '# the pull request that changes the harness, and commit the baseline with `npx self-harness accept`.',
  ]
  return `${header.join('\n')}\n${example}`
}

/**
 * Every file `self-harness init` writes, given the package's example workflow and whether the project's
 * package.json says `"type": "module"` (if not, the config is `vitest.config.mts`, so vite loads it as ESM); pure.
 */
export function scaffoldFiles(exampleWorkflow: string, esmPackage: boolean): ScaffoldFile[] {
  return [
    { path: esmPackage ? 'vitest.config.ts' : 'vitest.config.mts', text: VITEST_CONFIG },
    { path: 'harnesses/baseline.json', text: json(BASELINE) },
    { path: 'tasks/greeting.test.ts', text: TASK },
    { path: 'solutions/greeting.json', text: json(SOLUTION) },
    { path: 'tsconfig.json', text: json(TSCONFIG) },
    { path: '.github/workflows/harness-gate.yml', text: workflowFrom(exampleWorkflow) },
  ]
}

/** The `.gitignore` text with the missing self-harness lines added (the existing lines kept as they are); pure. */
export function mergeGitignore(existing: string | undefined): string | undefined {
  const have = new Set((existing ?? '').split('\n').map((line) => line.trim()))
  const missing = GITIGNORE_LINES.filter((line) => !have.has(line) && !have.has(line.replace(/\/$/, '')))
  if (!missing.length) return undefined
  const base = existing && !existing.endsWith('\n') ? `${existing}\n` : (existing ?? '')
  return `${base}${base ? '\n' : ''}# self-harness\n${missing.join('\n')}\n`
}
