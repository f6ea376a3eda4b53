import { describe, expect, it } from 'vitest'
import { ConfigurationError } from '../../src/errors.js'
import { compilePattern, MAX_PATTERN_LENGTH, patternMatches } from '../../src/harness/pattern.js'
import { parseHarness } from '../../src/harness/version.js'

const harnessWith = (match: string, where: 'before' | 'after' = 'before') => ({
  schemaVersion: 1,
  name: 'patterns',
  systemPrompt: 'You are an agent.',
  tools: {
    shell: { description: 'Run a command.', ...(where === 'before' ? { before: [{ match, run: 'true' }] } : { after: [{ kind: 'run', match, run: 'true' }] }) },
    read_file: { description: 'Read a file.' },
    write_file: { description: 'Write a file.' },
    finish: { description: 'Finish.' },
  },
})

describe('harness patterns', () => {
  it('matches with RE2 semantics, anywhere in the subject', () => {
    expect(patternMatches('\\bgit\\b.*\\b(commit|merge)\\b', 'cd x && git commit -m y')).toBe(true)
    expect(patternMatches('^git (commit|revert)', 'echo git commit')).toBe(false)
    expect(patternMatches('(?i)MAKE', 'make all')).toBe(true)
    expect(patternMatches(undefined, 'anything')).toBe(true)
  })

  it('matches a catastrophic-backtracking pattern in one pass over a long subject', () => {
    // A backtracking engine needs about 2^n steps here: n = 100,000 would never end.
    const subject = `${'a'.repeat(100_000)}!`
    expect(compilePattern('(a+)+$').ok).toBe(true)
    expect(patternMatches('(a+)+$', subject)).toBe(false)
    expect(patternMatches('((a*)*)*b', subject)).toBe(false)
    expect(patternMatches('(a|aa)+!', subject)).toBe(true)
  })

  it.each([
    ['a backreference', '(a)\\1'],
    ['a lookahead', 'git(?=commit)'],
    ['a negative lookbehind', '(?<!x)y'],
    ['an invalid pattern', '(unclosed'],
    ['a repeat count past the engine limit', '(a{1000}){1000}'],
    ['a pattern over the length limit', 'x'.repeat(MAX_PATTERN_LENGTH + 1)],
  ])('refuses %s when the harness is read, naming the file and the field', (_name, source) => {
    const result = compilePattern(source)
    expect(result.ok).toBe(false)
    for (const where of ['before', 'after'] as const) {
      let error: unknown
      try {
        parseHarness(harnessWith(source, where), '/project/harnesses/patterns.json')
      } catch (caught) {
        error = caught
      }
      expect(error).toBeInstanceOf(ConfigurationError)
      const field = where === 'before' ? 'tools.shell.before[0].match' : 'tools.shell.after[0].match'
      expect((error as ConfigurationError).field).toBe(field)
      expect((error as ConfigurationError).message).toContain(`/project/harnesses/patterns.json: field \`${field}\``)
      expect((error as ConfigurationError).message).toContain(result.ok ? '' : result.reason)
    }
  })

  it('a refused pattern never matches, if one reaches the matcher at all', () => {
    expect(patternMatches('(a)\\1', 'aa')).toBe(false)
  })
})
