/** Lower case, with every run of characters other than letters and digits made one space. */
export function normalizeText(text: string): string {
  return text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim()
}

/** Every string anywhere in a JSON value, in order. */
export function stringsIn(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value)
  else if (Array.isArray(value)) for (const item of value) stringsIn(item, out)
  else if (value !== null && typeof value === 'object') for (const item of Object.values(value)) stringsIn(item, out)
  return out
}

const MIN_NAME_CHARS = 4

/**
 * The names a task goes by: its id, its file (the part before ` > `) and the file's stem (`git-greeting` for
 * `tasks/git-greeting.test.ts > commits`). Names shorter than four characters are left out as too generic.
 */
export function taskNames(taskId: string): string[] {
  const file = taskId.split(' > ')[0]!.trim()
  const base = file.split(/[\\/]/).at(-1) ?? file
  const stem = base.replace(/(\.(test|spec|bench))?\.[cm]?[jt]sx?$/i, '')
  return [...new Set([taskId.trim(), file, stem])].filter((name) => name.length >= MIN_NAME_CHARS)
}

/** The first task name (see {@link taskNames}) that occurs in the text as a whole word, case-insensitively. */
export function findTaskMention(text: string, taskIds: readonly string[]): string | undefined {
  const haystack = text.toLowerCase()
  for (const id of taskIds) {
    for (const name of taskNames(id)) {
      const needle = name.toLowerCase()
      for (let at = haystack.indexOf(needle); at >= 0; at = haystack.indexOf(needle, at + 1)) {
        const before = haystack[at - 1]
        const after = haystack[at + needle.length]
        if (!isWordChar(before) && !isWordChar(after)) return name
      }
    }
  }
  return undefined
}

const isWordChar = (char: string | undefined): boolean => char !== undefined && /[\p{L}\p{N}]/u.test(char)

/** What counts as quoting an instruction. */
export interface QuoteOptions {
  /** Consecutive words shared with an instruction. */
  words: number
  /** Consecutive characters shared with an instruction (after normalizing). */
  chars: number
  /** Text already in the harness: passages found in it are not counted as quotes. */
  known?: string
}

/**
 * The first passage of an instruction that the text repeats: `words` consecutive words or `chars` consecutive
 * characters, compared after {@link normalizeText}. Passages the harness already holds are not counted.
 */
export function findInstructionQuote(text: string, instructions: readonly string[], options: QuoteOptions): string | undefined {
  const normalized = normalizeText(text)
  if (!normalized) return undefined
  const known = normalizeText(options.known ?? '')
  const wordSet = shingles(normalized, options.words)
  const charSet = windows(normalized, options.chars)
  for (const item of shingles(known, options.words)) wordSet.delete(item)
  for (const item of windows(known, options.chars)) charSet.delete(item)
  if (wordSet.size === 0 && charSet.size === 0) return undefined
  for (const instruction of instructions) {
    const target = normalizeText(instruction)
    for (const item of shingleList(target, options.words)) if (wordSet.has(item)) return item
    for (let at = 0; at + options.chars <= target.length; at++) {
      const item = target.slice(at, at + options.chars)
      if (charSet.has(item)) return item
    }
  }
  return undefined
}

function shingleList(normalized: string, size: number): string[] {
  const words = normalized ? normalized.split(' ') : []
  const out: string[] = []
  for (let at = 0; at + size <= words.length; at++) out.push(words.slice(at, at + size).join(' '))
  return out
}

const shingles = (normalized: string, size: number): Set<string> => new Set(shingleList(normalized, size))

function windows(normalized: string, size: number): Set<string> {
  const out = new Set<string>()
  for (let at = 0; at + size <= normalized.length; at++) out.add(normalized.slice(at, at + size))
  return out
}
