import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readConversation } from '../../fixtures/sim/conversation.js'
import { heededWeaknesses } from '../../fixtures/sim/guidance.js'
import { PROFILES, type Profile, type Weakness } from '../../fixtures/sim/profiles.js'
import { respondToPropose } from '../../fixtures/sim/respond-to-propose.js'
import { startSimServer, type SimServer } from '../../fixtures/sim/server.js'
import { createModelClient, resolveModelOptions } from '../../src/agent/model.js'
import { buildSystemPrompt } from '../../src/agent/prompt.js'
import { applyPatch, type PatchOp } from '../../src/harness/patch.js'
import type { HarnessSpec } from '../../src/harness/spec.js'
import { DEFAULT_GUARD_BOUNDS } from '../../src/proposer/guard-bounds.js'
import { guardProposal } from '../../src/proposer/guard.js'
import { proposeMessages } from '../../src/proposer/prompt.js'
import { ProposalDraftSchema, type ProposalDraft, type WeaknessLike } from '../../src/proposer/proposal.js'
import { proposeEdits } from '../../src/proposer/propose.js'
import { baselineSpec, suiteTasks, weakness } from './helpers.js'

const harness = baselineSpec()
const suite = suiteTasks()

/** One mined weakness per kind of mistake the simulator makes, written as the miner reports them. */
const WEAKNESSES: Record<Weakness, WeaknessLike> = {
  prereq: weakness(),
  verify: weakness({
    id: 'W-00000b',
    pattern: 'written files lose their last line and are never checked',
    category: 'verification-missing',
    evidence: ["expected 'hello\\n' to be 'hello\\nworld\\n'"],
    exampleTasks: ['tasks/text-crlf-cleanup.test.ts > cleans line endings'],
  }),
  order: weakness({
    id: 'W-00000c',
    pattern: 'steps run before the step they depend on',
    category: 'planning-order',
    evidence: ["$ git add hello.txt\nexit code: 128\nstderr:\nfatal: pathspec 'hello.txt' did not match any files"],
    exampleTasks: ['tasks/git-ignore-build.test.ts > ignores build output'],
  }),
  slow: weakness({
    id: 'W-00000d',
    pattern: 'gives up when a long command is killed',
    category: 'error-recovery',
    evidence: ['$ ./configure --prefix=/opt/tool\ntimed out after 3000 ms; the command was killed'],
    exampleTasks: ['tasks/build-configure-make.test.ts > configures with a prefix and builds'],
  }),
  early: weakness({
    id: 'W-00000e',
    pattern: 'uses a wrong value for something given at the start of the instruction',
    category: 'context-lost',
    evidence: ["expected '8080\\n' to be '8443\\n'"],
    exampleTasks: ['tasks/config-env-port.test.ts > sets the port'],
  }),
}

function ask(profile: Profile, w: WeaknessLike, seed: number, spec: HarnessSpec = harness): ProposalDraft[] {
  const request = { model: `sim-${profile.name}`, messages: proposeMessages(w, spec, 4, DEFAULT_GUARD_BOUNDS) }
  const reply = respondToPropose(request as never, profile, { solutions: [], seed, trialKey: undefined })
  expect(reply.toolCalls).toEqual([])
  const parsed = JSON.parse(reply.content!) as { proposals: unknown[] }
  return parsed.proposals.map((p) => ProposalDraftSchema.parse(p))
}

/** Whether a patch removes the weakness for the profile, judged by the simulator's documented behaviour. */
function fixes(profile: Profile, target: Weakness, patch: PatchOp[]): boolean {
  let next: HarnessSpec
  try {
    next = applyPatch(harness, patch)
  } catch {
    return false
  }
  const tools = Object.entries(next.tools).map(([name, t]) => ({ type: 'function' as const, function: { name, description: t.description } }))
  const conv = readConversation({ model: 'x', messages: [{ role: 'system', content: buildSystemPrompt(next) }, { role: 'user', content: 'task' }], tools })
  const heeded = heededWeaknesses(conv, profile).has(target)
  const feedback = profile.heedsFeedback && next.finalChecks.length > 0
  switch (target) {
    case 'prereq':
      return heeded || feedback || next.tools.shell.before.some((s) => new RegExp(s.match ?? '').test("git commit -qm 'x'")) ||
        (profile.heedsFeedback && next.tools.shell.after.some((a) => a.kind === 'exit-code'))
    case 'verify':
      return heeded || feedback || (profile.heedsFeedback && next.tools.write_file.after.some((a) => a.kind === 'read-back'))
    case 'order':
      return next.planning.enabled
    case 'slow':
      return (next.tools.shell.timeoutMs ?? next.limits.commandTimeoutMs) >= 20_000
    case 'early':
      return next.context.restateInstructionEvery === 2 || (next.context.restateInstructionEvery === 3 && !next.planning.enabled)
  }
}

const SEEDS = Array.from({ length: 24 }, (_, i) => i)
const weakProfiles = [...PROFILES.values()].filter((p) => p.weaknesses.size > 0)

describe('the simulated model, asked to propose', () => {
  it('answers 3-5 valid proposals, deterministically for a seed and request', () => {
    const steady = PROFILES.get('steady')!
    for (const seed of SEEDS) {
      const drafts = ask(steady, WEAKNESSES.prereq, seed)
      expect(drafts.length).toBeGreaterThanOrEqual(3)
      expect(drafts.length).toBeLessThanOrEqual(5)
      expect(ask(steady, WEAKNESSES.prereq, seed)).toEqual(drafts)
    }
    const answers = new Set(SEEDS.map((seed) => JSON.stringify(ask(steady, WEAKNESSES.prereq, seed))))
    expect(answers.size).toBeGreaterThan(3)
  })

  it('always offers an edit that really fixes the weakness for the profile asked', () => {
    for (const profile of weakProfiles) {
      for (const target of profile.weaknesses) {
        for (const seed of SEEDS) {
          const drafts = ask(profile, WEAKNESSES[target], seed)
          const fixing = drafts.filter((d) => fixes(profile, target, d.patch))
          expect({ profile: profile.name, target, seed, fixing: fixing.length > 0 }).toMatchObject({ fixing: true })
        }
      }
    }
  })

  it('mixes in edits that do nothing, edits that break other tasks, and edits the guards refuse', () => {
    const seen = { neutral: 0, breaking: 0, refused: 0 }
    for (const profile of weakProfiles) {
      for (const target of profile.weaknesses) {
        for (const seed of SEEDS) {
          for (const draft of ask(profile, WEAKNESSES[target], seed)) {
            const verdict = guardProposal({ id: 'p', weaknessId: 'w', ...draft }, harness, suite)
            if (!verdict.ok) {
              // Only the deliberately bad edits are refused: never a fix, never by a false quote.
              expect(['names-task', 'outside-surface', 'weakens-checks']).toContain(verdict.reason)
              expect(fixes(profile, target, draft.patch)).toBe(false)
              seen.refused++
              continue
            }
            const text = JSON.stringify(draft.patch)
            if (/"maxTurns","value":4|"toolResultMaxChars","value":60|test -f DONE|maxMessages/.test(text)) seen.breaking++
            else if (!fixes(profile, target, draft.patch)) seen.neutral++
          }
        }
      }
    }
    expect(seen.neutral).toBeGreaterThan(20)
    expect(seen.breaking).toBeGreaterThan(10)
    expect(seen.refused).toBeGreaterThan(5)
  })

  it('proposes by profile: a rule for the profile that heeds rules, a wrapper for the one that does not', () => {
    const share = (name: string, test: (patch: string) => boolean) =>
      SEEDS.filter((seed) => ask(PROFILES.get(name)!, WEAKNESSES.prereq, seed).some((d) => test(JSON.stringify(d.patch)))).length / SEEDS.length
    const wrapper = (patch: string) => patch.includes('/tools/shell/before/-')
    const fixesSteady = (patch: string) => fixes(PROFILES.get('steady')!, 'prereq', JSON.parse(patch) as PatchOp[])
    // The forgetful profile ignores rules: the before wrapper is its only fix, so it is always there.
    expect(share('forgetful', wrapper)).toBe(1)
    // The steady profile has several fixes (a rule, a wrapper, the exit-code flag, a review) and varies between them.
    expect(share('steady', wrapper)).toBeLessThan(1)
    expect(share('steady', fixesSteady)).toBe(1)
    expect(share('steady', (p) => p.includes('/rules/-') && p.includes('user.email'))).toBeGreaterThan(0)
  })

  it('does not propose what the harness already has', () => {
    const withFix = applyPatch(harness, [{ op: 'replace', path: '/planning/enabled', value: true }])
    const hasty = PROFILES.get('hasty')!
    for (const seed of SEEDS) {
      for (const d of ask(hasty, WEAKNESSES.order, seed, withFix)) {
        expect(guardProposal({ id: 'p', weaknessId: 'w', ...d }, withFix, suite)).not.toMatchObject({ reason: 'no-op' })
      }
    }
  })
})

describe('proposeEdits against the simulated model over HTTP', () => {
  let sim: SimServer
  beforeAll(async () => {
    sim = await startSimServer({ solutionsDir: fileURLToPath(new URL('../sim/solutions', import.meta.url)), seed: 3 })
  })
  afterAll(() => sim.close())

  it('gets 3-5 proposals per weakness, keeps the valid ones and logs the refused ones', async () => {
    const refusedReasons: string[] = []
    for (const [model, targets] of [['sim-steady', ['prereq', 'verify']], ['sim-hasty', ['order', 'slow']], ['sim-forgetful', ['early', 'prereq']]] as const) {
      const client = createModelClient(resolveModelOptions({ baseURL: sim.url, apiKey: 'x', model }))
      for (const target of targets) {
        const result = await proposeEdits({ weakness: WEAKNESSES[target], harness, client, guardContext: suite })
        expect(result.attempts).toBe(1)
        const offered = result.proposals.length + result.refused.length
        expect(offered).toBeGreaterThanOrEqual(3)
        expect(offered).toBeLessThanOrEqual(5)
        expect(result.proposals.length).toBeGreaterThanOrEqual(1)
        for (const p of result.proposals) expect(p.weaknessId).toBe(WEAKNESSES[target].id)
        for (const r of result.refused) {
          expect(r.detail).not.toBe('')
          refusedReasons.push(r.reason)
        }
      }
    }
    expect(refusedReasons.length).toBeGreaterThan(0)
    expect(refusedReasons.every((r) => ['names-task', 'outside-surface', 'weakens-checks'].includes(r))).toBe(true)
    expect(sim.stats().completions).toBe(6)
  })
})
