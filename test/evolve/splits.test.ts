import { describe, expect, it } from 'vitest'
import { ConfigurationError } from '../../src/errors.js'
import { assignSplit, assignSplits, resolveSplitOptions, type Split } from '../../src/evolve/splits.js'

const ids = (count: number) => Array.from({ length: count }, (_, i) => `tasks/task-${i}.test.ts > does thing ${i}`)
/** The error a call throws; fails the test when it does not throw. */
function thrownBy(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }
  throw new Error('expected the call to throw')
}

const count = (splits: Record<string, Split>, split: Split) => Object.values(splits).filter((s) => s === split).length

/** The first id (from a list) that the stable hash alone puts in `split`. */
function idHashedTo(split: Split): string {
  const defaults = resolveSplitOptions()
  const id = ids(200).find((candidate) => assignSplit(candidate, defaults) === split)
  if (!id) throw new Error(`no id among 200 hashes to ${split}`)
  return id
}

describe('assignSplits', () => {
  it('puts the same task id in the same split on every call', () => {
    const all = ids(300)
    const first = assignSplits(all)
    expect(assignSplits(all)).toEqual(first)
    expect(assignSplits([...all].reverse())).toEqual(first) // order of the ids does not matter
    for (const id of all.slice(0, 20)) expect(assignSplits([id])[id]).toBe(first[id])
  })

  it('gives each split roughly its fraction of many ids', () => {
    const splits = assignSplits(ids(4000))
    expect(count(splits, 'train') / 4000).toBeCloseTo(0.5, 1)
    expect(count(splits, 'validation') / 4000).toBeCloseTo(0.3, 1)
    expect(count(splits, 'sealed') / 4000).toBeCloseTo(0.2, 1)
    const custom = assignSplits(ids(4000), { fractions: { train: 0.2, validation: 0.2, sealed: 0.6 } })
    expect(count(custom, 'train') / 4000).toBeCloseTo(0.2, 1)
    expect(count(custom, 'sealed') / 4000).toBeCloseTo(0.6, 1)
  })

  it('sends every task to one split when that split has the whole range', () => {
    const splits = assignSplits(ids(100), { fractions: { train: 0, validation: 1, sealed: 0 } })
    expect(count(splits, 'validation')).toBe(100)
  })

  it('lets a split tag in the task name win over the hash and over every override', () => {
    const trainById = idHashedTo('train')
    const tagged = `${trainById} @sealed`
    expect(assignSplits([tagged], { overrides: [{ match: '**', split: 'validation' }] })[tagged]).toBe('sealed')
    expect(assignSplits(['tasks/a.test.ts > suite > checks out @validation'])).toEqual({ 'tasks/a.test.ts > suite > checks out @validation': 'validation' })
    expect(assignSplits(['tasks/a.test.ts > @train first'])['tasks/a.test.ts > @train first']).toBe('train')
  })

  it('reads a tag only as a word of its own', () => {
    const options = { overrides: [{ match: '**', split: 'train' as const }] }
    for (const id of ['tasks/a.test.ts > mail me@sealed', 'tasks/a.test.ts > uses @sealedbox', 'tasks/a.test.ts > @validate it']) {
      expect(assignSplits([id], options)[id]).toBe('train')
    }
  })

  it('lets a matching override glob win over the hash, the first match first', () => {
    const id = idHashedTo('train')
    const file = id.split(' > ')[0]!
    expect(assignSplits([id], { overrides: [{ match: `${file} > *`, split: 'sealed' }] })[id]).toBe('sealed')
    expect(
      assignSplits([id], {
        overrides: [
          { match: 'tasks/**', split: 'validation' },
          { match: '**', split: 'sealed' },
        ],
      })[id],
    ).toBe('validation')
    expect(assignSplits([id], { overrides: [{ match: 'other/**', split: 'sealed' }] })[id]).toBe('train') // no match: the hash
  })

  it('matches `*` within a path segment and `**` across segments', () => {
    const overrides = [{ match: 'tasks/*.test.ts > *', split: 'sealed' as const }]
    const flat = 'tasks/a.test.ts > does a'
    const nested = 'tasks/git/b.test.ts > does b'
    const sealed = resolveSplitOptions({ overrides })
    expect(assignSplit(flat, sealed)).toBe('sealed')
    expect(assignSplit(nested, sealed)).toBe(assignSplit(nested, resolveSplitOptions())) // `*` does not cross a `/`
    expect(assignSplit(nested, resolveSplitOptions({ overrides: [{ match: 'tasks/**', split: 'sealed' }] }))).toBe('sealed')
    // glob characters of a regular expression are taken literally
    expect(assignSplit('tasks/a+b.test.ts > x', resolveSplitOptions({ overrides: [{ match: 'tasks/a+b.test.ts > x', split: 'sealed' }] }))).toBe('sealed')
    expect(assignSplit('tasks/aab.test.ts > x', resolveSplitOptions({ overrides: [{ match: 'tasks/a+b.test.ts > x', split: 'sealed' }] }))).not.toBe('sealed')
  })
})

describe('resolveSplitOptions', () => {
  it('fills the default fractions', () => {
    expect(resolveSplitOptions()).toEqual({ fractions: { train: 0.5, validation: 0.3, sealed: 0.2 }, overrides: [] })
  })

  it.each([
    ['do not sum to 1', { train: 0.5, validation: 0.3, sealed: 0.3 }],
    ['sum to less than 1', { train: 0.1, validation: 0.1, sealed: 0.1 }],
    ['hold a negative share', { train: 1.2, validation: -0.2, sealed: 0 }],
    ['hold a share that is not a number', { train: Number.NaN, validation: 0.5, sealed: 0.5 }],
  ])('refuses fractions that %s, naming the field', (_why, fractions) => {
    const error = thrownBy(() => resolveSplitOptions({ fractions }))
    expect(error).toBeInstanceOf(ConfigurationError)
    expect(error).toMatchObject({ code: 'CONFIG_INVALID', field: 'splits.fractions', message: expect.stringContaining('fractions') })
  })

  it('refuses an override naming an unknown split, naming the field', () => {
    const error = thrownBy(() => assignSplits(['a'], { overrides: [{ match: '**', split: 'test' as Split }] }))
    expect(error).toBeInstanceOf(ConfigurationError)
    expect(error).toMatchObject({ code: 'CONFIG_INVALID', field: 'splits.overrides', message: expect.stringContaining('`test`') })
  })
})
