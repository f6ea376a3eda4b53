import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineAgent } from '../../src/agent/define.js'
import { agentSurface, guardDataProposal } from '../../src/proposer/data-surface.js'
import { proposeDataSystemMessage } from '../../src/proposer/data-prompt.js'
import { resolveGuardBounds } from '../../src/proposer/guard-bounds.js'
import { proposeEdits } from '../../src/proposer/propose.js'
import { proposal, scriptedClient, weakness } from './helpers.js'

// The guards on a team's own harness data: the editable surface its agent declares, the modes it gives fields,
// and the same size, task-name and instruction-quote guards as the built-in harness has.

const schema = z.strictObject({
  instructions: z.string().min(1).describe('The system prompt of the agent.'),
  safety: z.array(z.string()).default([]).describe('Rules the agent must always follow.'),
  tools: z.record(z.string(), z.strictObject({ description: z.string().describe('What the model reads about the tool.'), dangerous: z.boolean().default(false) })),
  maxTurns: z.number().int().default(12).describe('Model calls a run may make.'),
  model: z.string().default('gpt-x'),
})

const agent = defineAgent({
  name: 'test agent',
  harnessSchema: schema,
  editable: [{ path: '/instructions', mode: 'grow-only' }, { path: '/safety', mode: 'never-remove' }, '/tools/*/description', { path: '/maxTurns', min: 4, max: 30 }],
  run: async () => ({ status: 'finished' }),
})
const surface = agentSurface(agent)
const data = schema.parse({
  instructions: 'You are a careful agent. Use the tools, then answer with a summary.',
  safety: ['Never delete files outside the workspace.'],
  tools: { run_command: { description: 'Run a bash command.' }, read_file: { description: 'Read a file.' } },
})
const context = {
  taskIds: ['tasks/commit-changelog.test.ts > commits the changelog @train', 'tasks/tag-release.test.ts > tags a release @train'],
  instructions: ['Add a line "## 1.2.0" to CHANGELOG.md and commit it with the message "docs: changelog for 1.2.0".'],
}
const guard = (patch: Parameters<typeof proposal>[0]) => guardDataProposal(proposal(patch), data, surface, context)

describe('guards on a custom editable surface', () => {
  it('accepts an edit that adds a rule to grow-only instructions, with the id of the patched data', () => {
    const value = `${data.instructions}\nBefore any git commit, make sure git user.name and user.email are configured.`
    const result = guard([{ op: 'replace', path: '/instructions', value }])
    expect(result.ok).toBe(true)
    if (!result.ok) return
    expect((result.spec as typeof data).instructions).toBe(value)
    expect(result.harnessId).toBe(agent.format.id(result.spec))
    expect(result.harnessId).not.toBe(agent.format.id(data))
  })

  it('accepts edits of a tool description through a wildcard and of a bounded number within its bounds', () => {
    expect(guard([{ op: 'replace', path: '/tools/run_command/description', value: 'Run a bash command; check its exit code.' }]).ok).toBe(true)
    expect(guard([{ op: 'replace', path: '/maxTurns', value: 20 }]).ok).toBe(true)
    expect(guard([{ op: 'add', path: '/safety/-', value: 'Never print secrets.' }]).ok).toBe(true)
  })

  it('refuses editing a field that is not editable', () => {
    expect(guard([{ op: 'replace', path: '/model', value: 'gpt-bigger' }])).toMatchObject({ ok: false, reason: 'outside-surface', detail: expect.stringContaining('`/model` is not part of the editable surface') })
    expect(guard([{ op: 'replace', path: '/tools/run_command/dangerous', value: true }])).toMatchObject({ ok: false, reason: 'outside-surface' })
  })

  it('refuses replacing a parent of editable fields, which would change more than they are', () => {
    const result = guard([{ op: 'replace', path: '/tools', value: { run_command: { description: 'x', dangerous: true } } }])
    expect(result).toMatchObject({ ok: false, reason: 'outside-surface', detail: expect.stringContaining('would change more than its editable fields') })
  })

  it('refuses removing a never-remove field or one of its items, and emptying it', () => {
    expect(guard([{ op: 'remove', path: '/safety/0' }])).toMatchObject({ ok: false, reason: 'weakens-checks', detail: expect.stringContaining('never-remove') })
    expect(guard([{ op: 'remove', path: '/safety' }])).toMatchObject({ ok: false, reason: 'weakens-checks' })
    expect(guard([{ op: 'replace', path: '/safety', value: [] }])).toMatchObject({ ok: false, reason: 'weakens-checks', detail: expect.stringContaining('would lose items') })
  })

  it('refuses shrinking a grow-only field, even by replacing it with shorter text', () => {
    expect(guard([{ op: 'replace', path: '/instructions', value: 'You are an agent.' }])).toMatchObject({ ok: false, reason: 'weakens-checks', detail: expect.stringContaining('may only grow') })
    expect(guard([{ op: 'remove', path: '/instructions' }])).toMatchObject({ ok: false, reason: 'weakens-checks' })
  })

  it('refuses pasting a task instruction into the harness', () => {
    const value = `${data.instructions}\nAdd a line "## 1.2.0" to CHANGELOG.md and commit it with the message "docs: changelog for 1.2.0".`
    expect(guard([{ op: 'replace', path: '/instructions', value }])).toMatchObject({ ok: false, reason: 'quotes-instruction' })
  })

  it('refuses naming a task', () => {
    const value = `${data.instructions}\nFor commit-changelog, set the git identity first.`
    expect(guard([{ op: 'replace', path: '/instructions', value }])).toMatchObject({ ok: false, reason: 'names-task' })
  })

  it('refuses an oversized patch, too many operations, and a number out of bounds', () => {
    const value = `${data.instructions}\n${'Always double-check every step. '.repeat(100)}`
    expect(guard([{ op: 'replace', path: '/instructions', value }])).toMatchObject({ ok: false, reason: 'too-large' })
    const many = Array.from({ length: 5 }, (_, i) => ({ op: 'add' as const, path: '/safety/-', value: `rule ${i}` }))
    expect(guard(many)).toMatchObject({ ok: false, reason: 'too-large' })
    expect(guard([{ op: 'replace', path: '/maxTurns', value: 200 }])).toMatchObject({ ok: false, reason: 'outside-surface', detail: expect.stringContaining('[4, 30]') })
  })

  it('refuses a patch the agent schema rejects, and one that changes nothing', () => {
    expect(guard([{ op: 'replace', path: '/maxTurns', value: 'many' }])).toMatchObject({ ok: false })
    expect(guard([{ op: 'replace', path: '/tools/read_file/description', value: 7 }])).toMatchObject({ ok: false, reason: 'invalid-patch' })
    expect(guard([{ op: 'replace', path: '/tools/read_file/description', value: 'Read a file.' }])).toMatchObject({ ok: false, reason: 'no-op' })
  })

  it('refuses prototype keys anywhere in the patch', () => {
    expect(guard([{ op: 'add', path: '/tools/__proto__/description', value: 'x' }])).toMatchObject({ ok: false, reason: 'outside-surface' })
  })
})

describe('the proposer on a custom surface', () => {
  it("describes the team's fields from its zod schema, with descriptions, modes and bounds", () => {
    const text = proposeDataSystemMessage(4, resolveGuardBounds(), surface)
    expect(text).toContain('- /instructions (string; grow only')
    expect(text).toContain('The system prompt of the agent.')
    expect(text).toContain('- /tools/*/description (string; may be changed): What the model reads about the tool.')
    expect(text).toContain('- /maxTurns (integer, 4..30; may be changed): Model calls a run may make.')
    expect(text).toContain('- /safety (array; never remove')
    expect(text).not.toContain('/rules/-')
  })

  it('shows only the editable fields to the model and keeps the edits that pass the guards', async () => {
    const good = { kind: 'prompt-rule', rationale: 'set the identity', expectedFlips: [], patch: [{ op: 'replace', path: '/instructions', value: `${data.instructions}\nConfigure git user.name and user.email before committing.` }] }
    const bad = { kind: 'context-policy', rationale: 'bigger model', expectedFlips: [], patch: [{ op: 'replace', path: '/model', value: 'gpt-bigger' }] }
    const shrink = { kind: 'prompt-rule', rationale: 'shorter', expectedFlips: [], patch: [{ op: 'replace', path: '/instructions', value: 'Be quick.' }] }
    const client = scriptedClient([JSON.stringify({ proposals: [good, bad, shrink] })])
    const result = await proposeEdits({ weakness: weakness(), harness: data, surface, client, count: 3, guardContext: context })
    expect(result.proposals.map((p) => p.rationale)).toEqual(['set the identity'])
    expect(result.refused.map((r) => r.reason)).toEqual(['outside-surface', 'weakens-checks'])
    const user = String(client.requests[0]!.messages[1]!.content)
    expect(user).toContain('"instructions"')
    expect(user).not.toContain('"model"')
    expect(user).not.toContain('dangerous')
  })
})
