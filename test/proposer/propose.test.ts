import { describe, expect, it } from 'vitest'
import { applyPatch } from '../../src/harness/patch.js'
import { PROPOSE_MARKER, SURFACE_HEADING } from '../../src/proposer/prompt.js'
import { ProposalSchema } from '../../src/proposer/proposal.js'
import { proposeEdits, resolveProposeOptions } from '../../src/proposer/propose.js'
import { baselineSpec, scriptedClient, weakness } from './helpers.js'

const harness = baselineSpec()
const guardContext = {
  taskIds: ['tasks/git-commit-readme.test.ts > commits a new README', 'tasks/git-tag-release.test.ts > tags a release'],
  instructions: ['Create a file README.md containing the single line "# Inventory service" and commit it to the git repository.'],
}

const RULE = { kind: 'prompt-rule', rationale: 'Commits need an identity.', expectedFlips: ['tasks/git-commit-readme.test.ts > commits a new README'], patch: [{ op: 'add', path: '/rules/-', value: 'Set git user.name and user.email before committing.' }] }
const WRAPPER = { kind: 'tool-wrapper', rationale: 'The harness sets it.', expectedFlips: [], patch: [{ op: 'add', path: '/tools/shell/before/-', value: { match: '\\bgit\\b.*\\bcommit\\b', run: 'git config --global user.name A; git config --global user.email a@b' } }] }
const EXIT = { kind: 'tool-wrapper', rationale: 'Flag failures.', expectedFlips: [], patch: [{ op: 'add', path: '/tools/shell/after/-', value: { kind: 'exit-code' } }] }
const reply = (...proposals: unknown[]) => JSON.stringify({ proposals })

describe('proposeEdits', () => {
  it('asks with the marker, the weakness and the editable surface, and keeps valid edits', async () => {
    const client = scriptedClient([reply(RULE, WRAPPER, EXIT)])
    const result = await proposeEdits({ weakness: weakness(), harness, client, guardContext })
    expect(result.attempts).toBe(1)
    expect(result.refused).toEqual([])
    expect(result.proposals.map((p) => p.kind)).toEqual(['prompt-rule', 'tool-wrapper', 'tool-wrapper'])
    for (const p of result.proposals) {
      expect(ProposalSchema.parse(p)).toEqual(p)
      expect(p.weaknessId).toBe('W-1a2b3c')
      expect(() => applyPatch(harness, p.patch)).not.toThrow()
    }
    expect(new Set(result.proposals.map((p) => p.id)).size).toBe(3)

    const [system, user] = client.requests[0]!.messages
    expect(system!.role).toBe('system')
    expect(String(system!.content).startsWith(PROPOSE_MARKER)).toBe(true)
    expect(String(system!.content)).toMatch(/Propose 4 diverse, minimal edits/)
    const text = String(user!.content)
    expect(text).toMatch(/^Weakness W-1a2b3c: commits fail because the git identity is not configured/)
    expect(text).toMatch(/Category: prerequisite-missing/)
    expect(text).toMatch(/Author identity unknown/)
    expect(text).toMatch(/- tasks\/git-commit-readme\.test\.ts > commits a new README/)
    const surface = JSON.parse(/```json\n([\s\S]*?)```/.exec(text.slice(text.indexOf(SURFACE_HEADING)))![1]!)
    expect(Object.keys(surface).sort()).toEqual(['context', 'finalChecks', 'limits', 'maxFinishRejections', 'planning', 'rules', 'systemPrompt', 'tools'])
    expect(surface.limits).toEqual({ maxTurns: 20, commandTimeoutMs: 1500, toolResultMaxChars: 4000 })
    expect(surface.tools.shell).not.toHaveProperty('enabled')
  })

  it('retries malformed output with the problem fed back, then succeeds', async () => {
    const client = scriptedClient(['Sure! Here are my ideas: add a rule about git.', `Here you go:\n\`\`\`json\n${reply(RULE, EXIT)}\n\`\`\``])
    const result = await proposeEdits({ weakness: weakness(), harness, client, guardContext })
    expect(result.attempts).toBe(2)
    expect(result.proposals).toHaveLength(2)
    expect(result.refused).toEqual([])
    const second = client.requests[1]!.messages
    expect(second).toHaveLength(4)
    expect(second[2]).toEqual({ role: 'assistant', content: 'Sure! Here are my ideas: add a rule about git.' })
    expect(String(second[3]!.content)).toMatch(/could not be used:\n- the answer holds no JSON object/)
  })

  it('retries when one proposal breaks the schema, naming the field', async () => {
    const broken = { ...RULE, kind: 'magic', patch: [{ op: 'add', path: '/rules/-' }] }
    const client = scriptedClient([reply(broken, EXIT), reply(RULE, EXIT)])
    const result = await proposeEdits({ weakness: weakness(), harness, client, guardContext })
    expect(result.attempts).toBe(2)
    expect(String(client.requests[1]!.messages[3]!.content)).toMatch(/proposal 0: field `kind`/)
    expect(result.proposals).toHaveLength(2)
  })

  it('drops the answer with a reason when it stays malformed after the retries', async () => {
    const client = scriptedClient(['{"proposals": [', 'no json at all'])
    const result = await proposeEdits({ weakness: weakness(), harness, client, guardContext, retries: 1 })
    expect(result.attempts).toBe(2)
    expect(result.proposals).toEqual([])
    expect(result.refused).toEqual([{ raw: 'no json at all', reason: 'malformed', detail: 'the answer holds no JSON object (after 2 attempts)' }])
  })

  it('keeps the valid proposals of a last answer and drops the malformed ones with a reason', async () => {
    const client = scriptedClient([reply({ kind: 'prompt-rule' }), reply(RULE, { kind: 'prompt-rule', rationale: 'x', patch: 'add a rule' })])
    const result = await proposeEdits({ weakness: weakness(), harness, client, guardContext, retries: 1 })
    expect(result.proposals).toHaveLength(1)
    expect(result.refused).toHaveLength(1)
    expect(result.refused[0]).toMatchObject({ reason: 'malformed', detail: expect.stringMatching(/proposal 1: field `patch`/) })
  })

  it('logs an empty answer after the retries', async () => {
    const client = scriptedClient([reply(), reply(), reply()])
    const result = await proposeEdits({ weakness: weakness(), harness, client, guardContext })
    expect(result.attempts).toBe(3)
    expect(result.refused).toEqual([{ raw: reply(), reason: 'malformed', detail: 'the proposals array is empty (after 3 attempts)' }])
  })

  it('runs every proposal through the guards and logs each refusal with its reason', async () => {
    const naming = { ...RULE, patch: [{ op: 'add', path: '/rules/-', value: 'In git-tag-release, tag after committing.' }] }
    const sandbox = { kind: 'tool-wrapper', rationale: 'Faster.', expectedFlips: [], patch: [{ op: 'add', path: '/sandbox', value: 'none' }] }
    const disable = { kind: 'tool-wrapper', rationale: 'No shell.', expectedFlips: [], patch: [{ op: 'replace', path: '/tools/shell/enabled', value: false }] }
    const polluting = JSON.parse(`{"kind": "context-policy", "rationale": "x", "patch": [{"op": "replace", "path": "/context", "value": {"__proto__": {"polluted": 1}}}]}`)
    const client = scriptedClient([reply(naming, sandbox, disable, RULE, polluting)])
    const result = await proposeEdits({ weakness: weakness(), harness, client, guardContext, count: 5 })
    expect(result.attempts).toBe(1)
    expect(result.proposals.map((p) => p.kind)).toEqual(['prompt-rule'])
    expect(result.refused.map((r) => r.reason)).toEqual(['names-task', 'outside-surface', 'outside-surface', 'outside-surface'])
    expect(result.refused[1]!.detail).toMatch(/`\/sandbox` is not part of the editable surface/)
    expect(result.refused[2]!.detail).toMatch(/switched on or off/)
    expect(result.refused[3]!.detail).toMatch(/__proto__/)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('drops duplicates that make the same harness and proposals past the count', async () => {
    const sameRule = { ...RULE, kind: 'prompt-rule', rationale: 'Same rule, other words.' }
    const client = scriptedClient([reply(RULE, sameRule, WRAPPER, EXIT, { ...EXIT, patch: [{ op: 'replace', path: '/planning/enabled', value: true }] })])
    const result = await proposeEdits({ weakness: weakness(), harness, client, guardContext, count: 3 })
    expect(result.proposals).toHaveLength(2)
    expect(result.refused.map((r) => r.reason)).toEqual(['duplicate', 'over-count', 'over-count'])
  })

  it('clamps the count to 3..5 and validates its options', () => {
    expect(resolveProposeOptions({})).toEqual({ count: 4, retries: 2 })
    expect(resolveProposeOptions({ count: 1 }).count).toBe(3)
    expect(resolveProposeOptions({ count: 9 }).count).toBe(5)
    expect(() => resolveProposeOptions({ retries: -1 })).toThrow(/Expected `retries` to be a non-negative integer, got `-1`/)
    expect(() => resolveProposeOptions({ count: 2.5 })).toThrow(/`count`/)
  })

  it('lets a model failure propagate', async () => {
    const client = scriptedClient([])
    await expect(proposeEdits({ weakness: weakness(), harness, client, guardContext })).rejects.toThrow(/Unexpected model call #1/)
  })
})
