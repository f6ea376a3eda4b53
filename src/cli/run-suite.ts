import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readRunOutcome, RUN_REQUEST_ENV, RunRequestSchema, type RunOutcome, type RunRequest } from '../run/request.js'
import { forwardWarnings } from './forward-warnings.js'
import { launchVitest } from './launch-vitest.js'

/** How {@link runSuite} starts vitest. */
export interface RunSuiteOptions {
  /** The vitest project (its config uses the self-harness plugin). */
  cwd: string
  /** vitest's own arguments (`run`, reporters, shards, filters). */
  vitestArgs: string[]
  /** Environment of the vitest process (the model endpoint); the run request is added to it. */
  env?: Record<string, string>
  /** Inherit stdio (the user watches) or capture it; captured warnings are passed on once. @default 'pipe' */
  stdio?: 'inherit' | 'pipe'
}

/** What one run gave: vitest's exit code, the outcome the plugin wrote (none when it was killed), the output. */
export interface SuiteResult {
  exitCode: number
  outcome: RunOutcome | undefined
  stdout: string
  stderr: string
  /** A flag vitest refused before starting (`--trails`). */
  unknownOption?: string
}

/**
 * Runs the project's tasks once as `request` asks: writes the request (validated) to a file of its own, starts vitest
 * with it, and reads back the outcome. The one way the `self-harness` command, adaptive trials, calibrate and evolve
 * start a run.
 */
export async function runSuite(request: Omit<RunRequest, 'version' | 'outcomeFile'>, options: RunSuiteOptions): Promise<SuiteResult> {
  const dir = await mkdtemp(join(tmpdir(), 'self-harness-run-'))
  try {
    const outcomeFile = join(dir, 'outcome.json')
    const requestFile = join(dir, 'request.json')
    await writeFile(requestFile, JSON.stringify(RunRequestSchema.parse({ ...request, version: 1, outcomeFile })))
    const stdio = options.stdio ?? 'pipe'
    const result = await launchVitest({ cwd: options.cwd, args: options.vitestArgs, env: { ...options.env, [RUN_REQUEST_ENV]: requestFile }, stdio })
    if (stdio === 'pipe') forwardWarnings(`${result.stderr}\n${result.stdout}`)
    return { ...result, outcome: readRunOutcome(outcomeFile) }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
