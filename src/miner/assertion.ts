import { cut, normalizeText } from './normalize.js'

/** What a failed assertion compared, coarsely: enough to tell a wrong value from a missing file. */
export type AssertionKind = 'value' | 'number' | 'state' | 'missing-file' | 'other'

const REGEX_LITERAL = /(?<=\bto match )\/(?:[^/\\\n]|\\.)+\/[a-z]*/g

/**
 * An assertion message with its values replaced: `expected 'a' to be 'b' // Object.is equality` becomes
 * `expected <str> to be <str>`; arrays and objects become `<arr>` and `<obj>`, numbers `<n>`.
 */
export function normalizeAssertion(message: string): string {
  let line = (message.split('\n').find((l) => l.trim()) ?? '').trim()
  line = line.replace(/^(?:Assertion)?Error:\s*/, '').replace(/\s*\/\/\s*Object\.is equality\s*$/, '')
  line = line.replace(REGEX_LITERAL, '<re>')
  line = normalizeText(line)
  for (let previous = ''; previous !== line; ) {
    previous = line
    line = line.replace(/\[[^[\]]*\]/g, '<arr>').replace(/\{[^{}]*\}/g, '<obj>')
  }
  return cut(line.replace(/[+-]<n>/g, '<n>'), 160)
}

/** The kind of a normalized assertion message. */
export function assertionKind(normalized: string): AssertionKind {
  if (/enoent|no such file/i.test(normalized)) return 'missing-file'
  if (/^expected (true|false|null|undefined|<n>) to be (true|false|null|undefined|truthy|falsy|defined)\b/.test(normalized)) return 'state'
  if (/^expected (<n>|<arr>) to (be|equal|have a length|be greater|be less|be above|be below)/.test(normalized)) return 'number'
  if (/<str>|<re>|<arr>|<obj>|<path>/.test(normalized)) return 'value'
  return 'other'
}

/** The raw expected value of `expected <actual> to <verb> <expected>`, without its quotes, when there is one. */
export function expectedValue(message: string): string | undefined {
  const line = message.split('\n')[0] ?? ''
  const match = / to (?:be|equal|deeply equal|strictly equal|include|contain|match|have property) (['"`])((?:(?!\1)[^\\]|\\.)*)\1/.exec(line)
  return match?.[2]
}
