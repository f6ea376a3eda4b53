import { rm } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { execa } from 'execa'
import { afterAll, describe, expect, it } from 'vitest'
import { startSimServer, type SimServerOptions } from '../../fixtures/sim/server.js'
import { boundWorkers, resolveConcurrency } from '../../plugin/concurrency.js'
import { cliPath } from '../support/fixture-project.js'

// Trials at once are matched to the endpoint: the setting, else the slots llama.cpp's server reports, else vitest's
// own worker count. Measured at the endpoint: the most chat requests in progress at once.

const project = resolve(import.meta.dirname, '../fixtures/evolve-project')
const out = join(project, '.self-harness-concurrency')
afterAll(() => rm(out, { recursive: true, force: true }))

/** One run of the project's 14 tasks with 6 vitest workers against a simulator that answers after 150 ms. */
async function run(sim: Partial<SimServerOptions>, args: string[] = [], env: Record<string, string> = {}) {
  const server = await startSimServer({ solutionsDir: join(project, 'solutions'), seed: 1, latencyMs: 150, ...sim })
  try {
    const result = await execa(process.execPath, [cliPath, 'vitest', 'run', '--harness=baseline', '--no-gate', '--fresh', '--maxWorkers=6', ...args], {
      cwd: project,
      env: { OPENAI_BASE_URL: server.url, OPENAI_API_KEY: 'k', SELF_HARNESS_MODEL: 'sim-steady', SELF_HARNESS_OUTPUT_DIR: join(out, String(Math.random()).slice(2)), NO_COLOR: '1', ...env },
      reject: false,
      all: true,
    })
    return { result, peak: server.stats().peakInFlight }
  } finally {
    await server.close()
  }
}

describe('trials at once', () => {
  it("without a setting or slots, vitest's workers decide (more than two requests at once here)", async () => {
    const { result, peak } = await run({})
    expect(result.exitCode, result.all).toBe(0)
    expect(result.all).not.toContain('trial(s) at once')
    expect(peak).toBeGreaterThan(2)
  })

  it("follow the endpoint's slots (GET /props total_slots), and say so", async () => {
    const { result, peak } = await run({ slots: 2 })
    expect(result.exitCode, result.all).toBe(0)
    expect(result.all).toContain("self-harness: at most 2 trial(s) at once (the endpoint's 2 slot(s))")
    expect(peak).toBeLessThanOrEqual(2)
    expect(peak).toBeGreaterThan(0)
  })

  it('follow --concurrency over the slots, and SELF_HARNESS_CONCURRENCY as the same setting', async () => {
    const flag = await run({ slots: 4 }, ['--concurrency=1'])
    expect(flag.result.exitCode, flag.result.all).toBe(0)
    expect(flag.result.all).toContain('self-harness: at most 1 trial(s) at once (--concurrency)')
    expect(flag.peak).toBe(1)
    const env = await run({}, [], { SELF_HARNESS_CONCURRENCY: '1' })
    expect(env.peak).toBe(1)
  })

  it('refuse a concurrency that is not an integer from 1 to 256, naming the flag (exit 2, no model call)', async () => {
    for (const bad of ['0', '2.5', 'many', '257']) {
      const { result } = await run({}, [`--concurrency=${bad}`])
      expect(result.exitCode, result.all).toBe(2)
      expect(result.all).toContain(`Expected \`--concurrency\` to be an integer from 1 to 256, got \`${bad}\``)
    }
  })
})

describe('resolveConcurrency and boundWorkers', () => {
  it('takes the request over the environment over the option over the slots, and refuses bad values with the field', () => {
    expect(resolveConcurrency({ requested: 2, env: { SELF_HARNESS_CONCURRENCY: '3' }, option: 5, slots: 4 })).toEqual({ limit: 2, source: '--concurrency' })
    expect(resolveConcurrency({ env: { SELF_HARNESS_CONCURRENCY: '3' }, option: 5, slots: 2 })).toEqual({ limit: 3, source: 'SELF_HARNESS_CONCURRENCY' })
    expect(resolveConcurrency({ env: {}, option: 5, slots: 2 })).toEqual({ limit: 5, source: 'the plugin option `concurrency`' })
    expect(resolveConcurrency({ slots: 2 })?.limit).toBe(2)
    expect(resolveConcurrency({})).toBeUndefined()
    expect(() => resolveConcurrency({ env: { SELF_HARNESS_CONCURRENCY: '0' } })).toThrow(/SELF_HARNESS_CONCURRENCY/)
    expect(() => resolveConcurrency({ option: 1.5 })).toThrow(/plugin option `concurrency`/)
  })

  it('lowers vitest workers and per-file concurrency, never raises them', () => {
    const config = { maxWorkers: 8, maxConcurrency: 5 }
    boundWorkers(config, 2)
    expect(config).toEqual({ maxWorkers: 2, maxConcurrency: 2 })
    const small = { maxWorkers: 1, maxConcurrency: 1 }
    boundWorkers(small, 4)
    expect(small).toEqual({ maxWorkers: 1, maxConcurrency: 1 })
  })
})
