import { describe, expect, it } from 'vitest'
import { startBudget } from '../../src/agent/budget.js'
import { resolveModelOptions } from '../../src/agent/model.js'
import { resolveCommandModelOptions, resolveRunSettings, runSettingsFromEnv } from '../../src/agent/settings.js'
import { hashOf } from '../../src/json.js'
import { harnessId, parseHarness } from '../../src/harness/version.js'
import { selectRun } from '../../plugin/options.js'
import baselineSpec from '../fixtures/gate-project/harnesses/baseline.json' with { type: 'json' }

const refusal = (fn: () => unknown) => {
  try {
    fn()
  } catch (error) {
    return error as { code: string; field: string; message: string }
  }
  throw new Error('expected a refusal')
}

describe('run settings', () => {
  it("take an old harness file's runTimeoutMs as their default, and the option or the environment over it", () => {
    expect(resolveRunSettings({}, { runTimeoutMs: 45_000 })).toEqual({ runTimeoutMs: 45_000, requestTimeoutMs: 60_000, timeScale: 1 })
    expect(resolveRunSettings({ runTimeoutMs: 30_000 }, { runTimeoutMs: 45_000 }).runTimeoutMs).toBe(30_000)
    const selection = selectRun([], { SELF_HARNESS_RUN_TIMEOUT_MS: '9000', SELF_HARNESS_TIME_SCALE: '2' }, { runTimeoutMs: 30_000, model: { timeoutMs: 20_000 } })
    expect(resolveRunSettings(selection.timing, { runTimeoutMs: 45_000 })).toEqual({ runTimeoutMs: 18_000, requestTimeoutMs: 40_000, timeScale: 2 })
  })

  it.each([
    [{ runTimeoutMs: 3_000_000_000 }, 'runTimeoutMs'],
    [{ runTimeoutMs: 0 }, 'runTimeoutMs'],
    [{ requestTimeoutMs: 1.5 }, 'requestTimeoutMs'],
    [{ timeScale: 0 }, 'timeScale'],
    [{ timeScale: Number.NaN }, 'timeScale'],
    [{ runTimeoutMs: 80_000_000, timeScale: 2 }, 'runTimeoutMs'],
  ])('refuses %o naming the field', (raw, field) => {
    const error = refusal(() => resolveRunSettings(raw))
    expect(error).toMatchObject({ code: 'CONFIG_INVALID', field })
    expect(error.message).toMatch(new RegExp(`^Expected \`${field}`))
  })

  it('refuses environment values that are not numbers, saying where they come from', () => {
    const error = refusal(() => resolveRunSettings(runSettingsFromEnv({ SELF_HARNESS_RUN_TIMEOUT_MS: 'ten minutes' })))
    expect(error.message).toMatch(/SELF_HARNESS_RUN_TIMEOUT_MS.*got `ten minutes`/)
  })

  it('give mine, propose and evolve the same request time limit as runs', () => {
    const env = { SELF_HARNESS_MODEL: 'm', SELF_HARNESS_REQUEST_TIMEOUT_MS: '300000', SELF_HARNESS_TIME_SCALE: '1.5', SELF_HARNESS_MAX_TOKENS: '512' }
    expect(resolveCommandModelOptions({}, env)).toMatchObject({ model: 'm', timeoutMs: 450_000, maxTokens: 512 })
  })
})

describe('model options', () => {
  it.each([
    [{ timeoutMs: 3_000_000_000 }, 'model.timeoutMs'],
    [{ maxRetries: 100 }, 'model.maxRetries'],
    [{ temperature: 9 }, 'model.temperature'],
    [{ maxTokens: 0 }, 'model.maxTokens'],
  ])('refuses %o naming the field', (raw, field) => {
    expect(refusal(() => resolveModelOptions({ model: 'm', ...raw }))).toMatchObject({ code: 'CONFIG_INVALID', field })
  })
})

describe('the harness id', () => {
  it('does not depend on limits.runTimeoutMs, and is unchanged for files that had the old default', () => {
    const base = parseHarness(baselineSpec, 'a.json')
    const slow = parseHarness({ ...baselineSpec, limits: { ...baselineSpec.limits, runTimeoutMs: 900_000 } }, 'b.json')
    expect(slow.id).toBe(base.id)
    expect(slow.spec.limits.runTimeoutMs).toBe(900_000)
    // The id as computed before run settings existed, for a file with runTimeoutMs 120000.
    const { name: _n, description: _d, parent: _p, ...behaviour } = base.spec
    expect(base.spec.limits.runTimeoutMs).toBe(120_000)
    expect(harnessId(base.spec)).toBe(hashOf(behaviour))
  })

  it('refuses a harness runTimeoutMs past one day, naming the field', () => {
    const error = refusal(() => parseHarness({ ...baselineSpec, limits: { ...baselineSpec.limits, runTimeoutMs: 3_000_000_000 } }, 'h.json'))
    expect(error).toMatchObject({ code: 'HARNESS_INVALID', field: 'limits.runTimeoutMs' })
  })
})

describe('the run budget', () => {
  it('scales a command time limit by the time scale and clamps it to the time left', async () => {
    const budget = startBudget(1_000, 2)
    try {
      expect(budget.commandMs(100)).toBe(200)
      expect(budget.commandMs(10_000)).toBeLessThanOrEqual(1_000)
      expect(budget.commandMs(10_000)).toBeGreaterThan(900)
    } finally {
      budget.dispose()
    }
  })

  it('rejects work still running when the limit passes, and any check after it', async () => {
    const budget = startBudget(50)
    const never = new Promise<never>(() => {})
    await expect(budget.race(never)).rejects.toMatchObject({ code: 'RUN_TIMEOUT' })
    expect(() => budget.check()).toThrow(/time limit of 50 ms/)
    expect(budget.commandMs(10_000)).toBe(1)
    budget.dispose()
  })
})
