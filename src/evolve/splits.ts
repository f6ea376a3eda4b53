import { createHash } from 'node:crypto'
import { ConfigurationError } from '../errors.js'

/** Where a task belongs: `train` traces reach the miner and proposer, `validation` decides, `sealed` only reports. */
export type Split = 'train' | 'validation' | 'sealed'

/** How tasks are split. */
export interface SplitOptions {
  /** Shares of the stable hash range. @default { train: 0.5, validation: 0.3, sealed: 0.2 } */
  fractions?: { train: number; validation: number; sealed: number }
  /** Globs on task ids (`*` within a path segment, `**` across) that force a split; the first match wins. */
  overrides?: Array<{ match: string; split: Split }>
}

const SPLITS: readonly Split[] = ['train', 'validation', 'sealed']
const TAG = /(?:^|\s)@(train|validation|sealed)\b/

/** Turns a glob into a regular expression over task ids. */
function globToRegExp(glob: string): RegExp {
  let source = ''
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!
    if (c === '*' && glob[i + 1] === '*') {
      source += '.*'
      i++
    } else if (c === '*') source += '[^/]*'
    else if (c === '?') source += '[^/]'
    else source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&')
  }
  return new RegExp(`^${source}$`)
}

/** Checks split options and fills defaults. */
export function resolveSplitOptions(raw: SplitOptions = {}): Required<SplitOptions> {
  const fractions = raw.fractions ?? { train: 0.5, validation: 0.3, sealed: 0.2 }
  const sum = fractions.train + fractions.validation + fractions.sealed
  if (Object.values(fractions).some((f) => !(f >= 0)) || Math.abs(sum - 1) > 1e-9) {
    throw new ConfigurationError('CONFIG_INVALID', `Expected split \`fractions\` to be non-negative and sum to 1, got ${JSON.stringify(fractions)}.`, { field: 'splits.fractions' })
  }
  for (const override of raw.overrides ?? []) {
    if (!SPLITS.includes(override.split)) {
      throw new ConfigurationError('CONFIG_INVALID', `Expected an override's \`split\` to be train, validation or sealed, got \`${override.split}\`.`, { field: 'splits.overrides' })
    }
  }
  return { fractions, overrides: raw.overrides ?? [] }
}

/**
 * The split of one task: a tag in its name (`@sealed`), else the first matching override glob, else a stable hash
 * of its id. The same id always lands in the same split.
 */
export function assignSplit(taskId: string, options: Required<SplitOptions>): Split {
  const tag = TAG.exec(taskId)?.[1] as Split | undefined
  if (tag) return tag
  for (const override of options.overrides) if (globToRegExp(override.match).test(taskId)) return override.split
  const h = createHash('sha256').update(taskId).digest().readUInt32BE(0) / 2 ** 32
  const { train, validation } = options.fractions
  return h < train ? 'train' : h < train + validation ? 'validation' : 'sealed'
}

/** Splits of many tasks. */
export function assignSplits(taskIds: Iterable<string>, options: SplitOptions = {}): Record<string, Split> {
  const resolved = resolveSplitOptions(options)
  const out: Record<string, Split> = {}
  for (const id of taskIds) out[id] = assignSplit(id, resolved)
  return out
}
