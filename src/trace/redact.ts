/** What a redacted secret is replaced with. */
export const REDACTED = '[REDACTED]'

/** Environment variable names whose values are treated as secrets. */
const SECRET_NAME = /KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|^AUTH/i

/** Shortest value taken from the environment; shorter ones would redact ordinary words. */
const MIN_SECRET_LENGTH = 6

/** Well-known credential shapes, redacted even when their value is not known in advance. */
const PATTERNS: Array<[RegExp, string]> = [
  // An Authorization header or field: the whole value, whatever the scheme.
  [/(\bauthorization["']?\s*[:=]\s*["']?)(?![\s"']*\[REDACTED\])[^"'\r\n]+/gi, `$1${REDACTED}`],
  [/(\bbearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi, `$1${REDACTED}`],
  // OpenAI / Anthropic style keys: sk-..., sk-proj-..., sk-ant-...
  [/\bsk-[A-Za-z0-9_-]{16,}/g, REDACTED],
  // GitHub tokens.
  [/\bgh[pousr]_[A-Za-z0-9]{20,}/g, REDACTED],
  [/\bgithub_pat_[A-Za-z0-9_]{20,}/g, REDACTED],
  // Slack tokens: xoxb-, xoxp-, xoxa-, ...
  [/\bxox[a-z]-[A-Za-z0-9-]{10,}/g, REDACTED],
  // AWS access key ids (long-lived and temporary).
  [/\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, REDACTED],
]

/** Replaces the given secret values and well-known credential shapes in `text` with `[REDACTED]`. */
export function redactSecrets(text: string, secrets: string[] = []): string {
  let out = text
  // Longest first, so a secret that contains another is replaced whole.
  const values = [...new Set(secrets)].filter((value) => value.length > 0).sort((a, b) => b.length - a.length)
  for (const value of values) out = out.split(value).join(REDACTED)
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement)
  return out
}

/** Values of environment variables named like secrets (*KEY*, *TOKEN*, *SECRET*, *PASSWORD*, *CREDENTIAL*, AUTH*). */
export function secretValuesFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  const values = new Set<string>()
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && value.length >= MIN_SECRET_LENGTH && SECRET_NAME.test(name)) values.add(value)
  }
  return [...values]
}
