import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fileURLToPath } from 'node:url'
import { drawLuck } from '../../fixtures/sim/random.js'
import { startSimServer, type SimServer } from '../../fixtures/sim/server.js'
import { drive, simClient, systemPrompt, toolDefs } from './drive.js'

const solutionsDir = fileURLToPath(new URL('./solutions', import.meta.url))
const CHECKSUM = 'Compute the checksum report of data.txt into report.txt.'
const SEED = 11

let server: SimServer
beforeAll(async () => {
  server = await startSimServer({ solutionsDir, seed: SEED })
})
afterAll(() => server.close())

function firstTrial(profile: string, rate: number, slips: boolean): string {
  for (let i = 0; i < 10_000; i++) if (drawLuck(SEED, profile, `checksum-report#${i}`, rate).slips === slips) return `checksum-report#${i}`
  throw new Error('no such trial')
}

describe('seeded luck', () => {
  it('gives the same answer to the same request and trial header', async () => {
    const ask = () =>
      simClient(server.url).chat.completions.create(
        {
          model: 'sim-hasty',
          messages: [
            { role: 'system', content: systemPrompt() },
            { role: 'user', content: CHECKSUM },
          ],
          tools: toolDefs(),
        },
        { headers: { 'x-self-harness-trial': 'checksum-report#3' } },
      )
    const strip = (r: Awaited<ReturnType<typeof ask>>) => r.choices[0]!.message.tool_calls?.map((c) => c.type === 'function' && c.function)
    expect(strip(await ask())).toEqual(strip(await ask()))
  })

  it('draws luck from the seed, the profile and the trial only, at the profile rate', () => {
    expect(drawLuck(1, 'steady', 't#1', 0.03)).toEqual(drawLuck(1, 'steady', 't#1', 0.03))
    const keys = Array.from({ length: 4000 }, (_, i) => `task#${i}`)
    expect(keys.filter((k) => drawLuck(1, 'oracle', k, 0).slips)).toHaveLength(0)
    const rate = keys.filter((k) => drawLuck(1, 'steady', k, 0.03).slips).length / keys.length
    expect(rate).toBeGreaterThan(0.015)
    expect(rate).toBeLessThan(0.05)
    const differs = keys.some((k) => drawLuck(1, 'steady', k, 0.03).slipPick !== drawLuck(2, 'steady', k, 0.03).slipPick)
    expect(differs).toBe(true)
  })

  it('gives the same trial the same slip under two different harnesses', async () => {
    const slipping = firstTrial('hasty', 0.05, true)
    const clean = firstTrial('hasty', 0.05, false)
    const harnessA = { model: 'sim-hasty', instruction: CHECKSUM }
    const harnessB = { ...harnessA, rules: ['Work step by step.'], planning: true, world: { readBack: true, exitCodeFlag: true } }
    const a = await drive(simClient(server.url), { ...harnessA, trial: slipping })
    const b = await drive(simClient(server.url), { ...harnessB, trial: slipping })
    expect(a.world.commands).toHaveLength(2)
    expect(b.world.commands).toEqual(a.world.commands)
    const c = await drive(simClient(server.url), { ...harnessB, trial: clean })
    expect(c.world.commands).toHaveLength(3)
  })

  it('falls back to the instruction when no trial header is sent', async () => {
    const ask = () =>
      fetch(`${server.url}/chat/completions`, {
        method: 'POST',
        headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'sim-steady', messages: [{ role: 'user', content: CHECKSUM }], tools: toolDefs() }),
      }).then(async (r) => ((await r.json()) as { choices: Array<{ message: { tool_calls: Array<{ function: unknown }> } }> }).choices[0]!.message.tool_calls[0]!.function)
    expect(await ask()).toEqual(await ask())
  })
})
