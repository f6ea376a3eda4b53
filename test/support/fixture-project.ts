import { rm } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll } from 'vitest'
import { startSimServer, type SimServer } from '../../fixtures/sim/server.js'

/** The built command, run as a user would. */
export const cliPath = resolve(import.meta.dirname, '../../dist/src/cli/bin.js')

/** Options of {@link useFixtureProject}. */
export interface FixtureProjectOptions {
  /** Folder under test/fixtures. */
  project: string
  /** Output folder inside the project, removed before and after. */
  output: string
  seed: number
  /** @default 'sim-steady' */
  model?: string
  env?: Record<string, string>
}

/**
 * A fixture project driven through the `self-harness` command against the simulated model over HTTP, with its own
 * output folder; the server starts before the file's tests and everything is cleaned up after.
 */
export function useFixtureProject(options: FixtureProjectOptions) {
  const project = resolve(import.meta.dirname, '../fixtures', options.project)
  const out = join(project, options.output)
  const state: { sim?: SimServer } = {}
  beforeAll(async () => {
    await rm(out, { recursive: true, force: true })
    state.sim = await startSimServer({ solutionsDir: join(project, 'solutions'), seed: options.seed })
  })
  afterAll(async () => {
    await state.sim?.close()
    await rm(out, { recursive: true, force: true })
  })
  return {
    project,
    out,
    get sim(): SimServer {
      return state.sim!
    },
    run: (args: string[], env: Record<string, string> = {}) =>
      execa(process.execPath, [cliPath, ...args], {
        cwd: project,
        env: { OPENAI_BASE_URL: state.sim!.url, OPENAI_API_KEY: 'k', SELF_HARNESS_MODEL: options.model ?? 'sim-steady', SELF_HARNESS_OUTPUT_DIR: out, NO_COLOR: '1', ...options.env, ...env },
        reject: false,
        all: true,
      }),
  }
}
