import { describe, expect, it } from 'vitest'
import { PROFILES } from '../../fixtures/sim/profiles.js'
import { parseChatRequest, type ChatRequest } from '../../fixtures/sim/request.js'
import { respondToMine } from '../../fixtures/sim/respond-to-mine.js'
import { clusterFailures } from '../../src/miner/cluster.js'
import { extractFeatures } from '../../src/miner/features.js'
import { parseNaming } from '../../src/miner/name-clusters.js'
import { miningMessages } from '../../src/miner/prompt.js'
import { gitIdentityFailure, timeoutFailure } from './traces.js'

const context = { solutions: [], seed: 0, trialKey: undefined }

function requestFor(profile: string, messages: ReturnType<typeof miningMessages>): ChatRequest {
  const parsed = parseChatRequest({ model: `sim-${profile}`, messages })
  if (!parsed.ok) throw new Error(parsed.message)
  return parsed.request
}

/** A cluster whose signature varies with `n` (the simulator's luck is drawn from it). */
function clusterMessages(n: number) {
  const items = [0, 1].map((i) => ({ taskId: `t${i}`, trial: 0, features: extractFeatures(n % 2 ? gitIdentityFailure(`t${i}`) : timeoutFailure(`t${i}`)) }))
  const [cluster] = clusterFailures(items)
  return miningMessages({ ...cluster!, key: `${cluster!.key}#${n}` })
}

describe('the simulated model answering mining requests', () => {
  it('names a cluster from its evidence, as JSON the miner accepts', () => {
    const reply = respondToMine(requestFor('oracle', clusterMessages(1)), PROFILES.get('oracle')!, context)
    expect(reply.toolCalls).toEqual([])
    expect(parseNaming(reply.content)).toEqual({
      ok: true,
      naming: {
        pattern: 'git identity not configured before commit',
        category: 'prerequisite-missing',
        explanation: expect.stringContaining('`git commit` fails because git user.name and user.email are not set'),
      },
    })
    const slow = parseNaming(respondToMine(requestFor('oracle', clusterMessages(2)), PROFILES.get('oracle')!, context).content)
    expect(slow.ok && slow.naming.category).toBe('error-recovery')
  })

  it('gives mixed quality, deterministically: some vague names, some prose that a retry turns into JSON', () => {
    const steady = PROFILES.get('steady')!
    const answers = Array.from({ length: 200 }, (_, n) => {
      const messages = clusterMessages(n)
      const first = respondToMine(requestFor('steady', messages), steady, context)
      expect(respondToMine(requestFor('steady', messages), steady, context)).toEqual(first)
      const retried = respondToMine(requestFor('steady', [...messages, { role: 'assistant', content: first.content ?? '' }, { role: 'user', content: 'Again, as JSON.' }]), steady, context)
      return { first: parseNaming(first.content), retried: parseNaming(retried.content) }
    })
    const vague = answers.filter((a) => a.first.ok && a.first.naming.category === 'other').length
    const prose = answers.filter((a) => !a.first.ok).length
    expect(vague).toBeGreaterThan(5)
    expect(vague).toBeLessThan(50)
    expect(prose).toBeGreaterThan(5)
    expect(prose).toBeLessThan(40)
    expect(answers.every((a) => a.retried.ok)).toBe(true)
  })
})
