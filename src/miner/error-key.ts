import { cut, normalizeError } from './normalize.js'

/** An error family: well-known error texts that mean the same thing, whatever the tool that printed them. */
interface ErrorFamily {
  key: string
  test: RegExp
}

/**
 * Known families, first match wins. Each maps several wordings to one key, so `Author identity unknown` and
 * `Committer identity unknown` (or `chmod: cannot access` and `tar: Cannot stat`) fall in one cluster.
 */
export const ERROR_FAMILIES: readonly ErrorFamily[] = [
  { key: 'identity unknown', test: /(author|committer) identity unknown|please tell me who you are|unable to auto-detect email/i },
  { key: 'permission denied', test: /permission denied|operation not permitted|eacces/i },
  { key: 'command not found', test: /command not found|: not found\b|no such command|is not recognized as/i },
  { key: 'timed out', test: /^\s*timed out after|\btimed out\b/i },
  { key: 'invalid tool arguments', test: /arguments are not valid json/i },
  { key: 'no such file or directory', test: /no such file or directory|cannot stat|cannot access|did not match any files|no rule to make target|enoent/i },
  { key: 'no such table', test: /no such (table|column)|relation .* does not exist/i },
  { key: 'merge conflict', test: /merge conflict|conflict \(content\)|fix conflicts/i },
  { key: 'nothing to commit', test: /nothing to commit|nothing added to commit/i },
  { key: 'undefined reference', test: /undefined reference to|unresolved external symbol/i },
  { key: 'syntax error', test: /syntax error|unexpected token|parse error/i },
]

/** Error keys that carry no meaning of their own (any failing command gives them). */
export function isGenericErrorKey(key: string): boolean {
  return key === '' || /^exit code <n>$/.test(key) || key === 'failed'
}

const ERRORISH = /\b(fatal|error|denied|not found|no such|unknown|cannot|can't|failed|failure|invalid|undefined|refused|missing|unable|timed out)\b/i

/** The most telling line of an error text: the first that reads like an error, else the first. */
export function errorLine(text: string): string {
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('[harness]') && !/^(stdout|stderr):$/.test(line))
  return lines.find((l) => ERRORISH.test(l) && !/^exit code: -?\d+$/.test(l)) ?? lines[0] ?? ''
}

/**
 * A short key for an error text: its family when it has one, else its most telling line (see {@link errorLine}),
 * normalized and lowercased.
 */
export function errorKey(text: string): string {
  const family = ERROR_FAMILIES.find((f) => f.test.test(text))
  if (family) return family.key
  return cut(normalizeError(errorLine(text)).replace(/^exit code: <n>$/, 'exit code <n>'), 80)
}

/** The part of a tool result that tells what went wrong: `stderr`, else `stdout`, else the result itself. */
export function errorTextOf(output: string): string {
  if (/^\s*timed out after/.test(output)) return output.trimStart().split('\n')[0]!
  const body = output
    .split('\n')
    .filter((line) => !line.startsWith('[harness]'))
    .join('\n')
  const stderr = /(?:^|\n)stderr:\n([\s\S]*)$/.exec(body)?.[1]
  if (stderr?.trim()) return stderr.trim()
  const stdout = /(?:^|\n)stdout:\n([\s\S]*?)(?:\nstderr:\n|$)/.exec(body)?.[1]
  if (stdout?.trim()) return stdout.trim()
  return body.trim()
}
