import { describe, expect, it } from 'vitest'
import { findInstructionQuote, findTaskMention, normalizeText, stringsIn, taskNames } from '../../src/proposer/text-match.js'

describe('task names', () => {
  it('are the id, the file and the file stem', () => {
    expect(taskNames('tasks/git-greeting.test.ts > commits the greeting')).toEqual([
      'tasks/git-greeting.test.ts > commits the greeting',
      'tasks/git-greeting.test.ts',
      'git-greeting',
    ])
    expect(taskNames('abc')).toEqual([])
  })

  it('are found as whole words only, in any case', () => {
    const ids = ['tasks/git-greeting.test.ts > commits']
    expect(findTaskMention('Before GIT-GREETING, set things up.', ids)).toBe('git-greeting')
    expect(findTaskMention('see tasks/git-greeting.test.ts', ids)).toBe('tasks/git-greeting.test.ts')
    expect(findTaskMention('a git-greetings helper', ids)).toBeUndefined()
    expect(findTaskMention('nothing here', ids)).toBeUndefined()
  })
})

describe('instruction quotes', () => {
  const options = { words: 6, chars: 40 }
  const instruction = 'Use port 8443 for the service. Prepare the service config in conf/ and record the port.'

  it('normalize case, spacing and punctuation', () => {
    expect(normalizeText('  Prepare the\tSERVICE-config,  in conf/ ')).toBe('prepare the service config in conf')
    expect(findInstructionQuote('prepare THE service\nconfig, in CONF', [instruction], options)).toBe('prepare the service config in conf')
  })

  it('need six words or forty characters', () => {
    expect(findInstructionQuote('Prepare the service config first.', [instruction], options)).toBeUndefined()
    expect(findInstructionQuote('x', [], options)).toBeUndefined()
    expect(findInstructionQuote('', [instruction], options)).toBeUndefined()
  })

  it('do not count passages the harness already holds', () => {
    const known = 'Always prepare the service config in conf before anything else.'
    expect(findInstructionQuote('prepare the service config in conf', [instruction], { ...options, known })).toBeUndefined()
  })

  it('read every string of a JSON value', () => {
    expect(stringsIn({ a: ['x', { b: 'y', c: 3 }], d: 'z', e: null })).toEqual(['x', 'y', 'z'])
  })
})
