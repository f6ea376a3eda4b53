import { describe, expect, it } from 'vitest'
import { CATEGORY_LABELS, parseCategory } from '../../src/miner/categories.js'
import { guessCategory } from '../../src/miner/category.js'
import { extractFeatures } from '../../src/miner/features.js'
import { craftTrace } from './traces.js'

describe('trials that used every turn', () => {
  it('are filed as out of turns, before the rules that would call them planning/order', () => {
    const quiet = craftTrace('t', 'Count the lines.', [{ shell: 'ls' }, { shell: 'wc -l a.txt' }], { status: 'max-turns', assertion: 'expected 3 to be 4' })
    const missing = craftTrace('t', 'Commit the file.', [{ shell: 'git add VERSION', exit: 128, stderr: "fatal: pathspec 'VERSION' did not match: No such file or directory" }], { status: 'max-turns' })
    for (const events of [quiet, missing]) {
      const features = extractFeatures(events)
      expect(features.maxTurns).toBe(true)
      expect(guessCategory(features)).toBe('out-of-turns')
    }
    expect(CATEGORY_LABELS['out-of-turns']).toBe('out of turns')
    expect(parseCategory('max turns')).toBe('out-of-turns')
  })

  it('keep their other categories when the run did not run out of turns', () => {
    const missing = craftTrace('t', 'Commit the file.', [{ shell: 'git add VERSION', exit: 128, stderr: 'fatal: No such file or directory' }, { finish: 'Could not.' }], { status: 'finished' })
    expect(guessCategory(extractFeatures(missing))).not.toBe('out-of-turns')
  })
})
