import { describe, expect, it } from 'vitest'
import { describeEdit } from '../../src/report/edit-diff.js'

const harness = { rules: ['Keep answers short.'], limits: { maxTurns: 20 }, planning: { enabled: false }, tools: { shell: { before: ['set -e'] } } }

describe('describeEdit', () => {
  it('reads as a diff of the harness: additions to lists, changed values with the old one, removals', () => {
    expect(
      describeEdit(
        [
          { op: 'add', path: '/rules/-', value: 'Before any git commit, set user.name and user.email.' },
          { op: 'replace', path: '/limits/maxTurns', value: 30 },
          { op: 'replace', path: '/planning/enabled', value: true },
          { op: 'remove', path: '/tools/shell/before/0' },
          { op: 'add', path: '/context', value: { restateInstructionEvery: 3 } },
        ],
        harness,
      ),
    ).toEqual([
      'rules: + "Before any git commit, set user.name and user.email."',
      'limits.maxTurns: 20 -> 30',
      'planning.enabled: false -> true',
      'tools.shell.before: - "set -e"',
      'context: + {"restateInstructionEvery":3}',
    ])
  })

  it('without the harness it applies to, shows the new values only', () => {
    expect(describeEdit([{ op: 'add', path: '/rules/-', value: 'x' }, { op: 'replace', path: '/limits/maxTurns', value: 30 }])).toEqual(['rules: + "x"', 'limits.maxTurns: -> 30'])
  })
})
