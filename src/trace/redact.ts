import { z } from 'zod'
import { TraceEventSchema } from './events.js'

/** What a redacted secret is replaced with. */
export const REDACTED = '[REDACTED]'

/**
 * Shortest value treated as a secret, from any source. Shorter values (`k`, a PIN, `12345`) are not redacted:
 * replacing them would rewrite ordinary words and numbers everywhere.
 */
export const MIN_SECRET_LENGTH = 8

/** Environment variable names whose values are treated as secrets. */
// PASS, *_PWD (MySQL's MYSQL_PWD, not the shell's PWD), AUTH anywhere (npm's NPM_CONFIG__AUTH; not XAUTHORITY or
// SSH_AUTH_SOCK, which are paths), webhook URLs and DSNs carry credentials in their value.
const SECRET_NAME = /KEY|TOKEN|SECRET|PASS(?!THROUGH)|_PWD$|^PWD_|CREDENTIAL|(?<!X)AUTH(?!_SOCK)|COOKIE|PRIVATE|WEBHOOK|DSN|SIGNATURE/i
/** Request headers whose values are credentials. */
const CREDENTIAL_HEADER = /^(?:authorization|proxy-authorization|cookie|x-api-key|api-key)$|token|secret|key/i
/** Object keys whose string values are credentials whatever they hold. */
const CREDENTIAL_KEY = /^(?:authorization|proxy-authorization|cookie|set-cookie|x-api-key|api[-_]?key|password|passwd)$/i

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

/** Keys and enumerated values of the chat-completions protocol, kept as they are (see {@link RedactorSources}). */
const CHAT_WORDS = [
  'id', 'object', 'created', 'model', 'choices', 'index', 'message', 'role', 'content', 'refusal', 'tool_calls',
  'function', 'name', 'arguments', 'type', 'finish_reason', 'usage', 'prompt_tokens', 'completion_tokens',
  'total_tokens', 'logprobs', 'system_fingerprint', 'service_tier', 'annotations', 'audio', 'chat.completion',
  'assistant', 'system', 'user', 'tool', 'developer', 'stop', 'length', 'content_filter', 'function_call',
  'prompt_tokens_details', 'completion_tokens_details', 'cached_tokens', 'reasoning_tokens', 'audio_tokens',
  'accepted_prediction_tokens', 'rejected_prediction_tokens', 'default', 'auto', 'none',
]

/** Where the secrets of a run come from. */
export interface RedactorSources {
  /** Values of the variables named like secrets (*KEY*, *TOKEN*, *SECRET*, *PASS*, *_PWD, *CREDENTIAL*, *AUTH*, *COOKIE*, *PRIVATE*, *WEBHOOK*, *DSN*, *SIGNATURE*), and passwords in URLs. */
  env?: NodeJS.ProcessEnv
  /** Values known to be secret, such as an API key given as an option. Empty and short ones are ignored. */
  values?: ReadonlyArray<string | undefined>
  /** Request headers the client sends: the values of credential headers, with and without their scheme. */
  headers?: Readonly<Record<string, string | undefined>>
  /**
   * Words the program itself writes as whole keys or values (trace kinds, statuses, protocol fields): a key or
   * value exactly equal to one is kept, so a secret that happens to be such a word cannot break a file's format.
   * The trace events' and the chat protocol's words are always included.
   */
  vocabulary?: Iterable<string>
}

/** Redacts a run's secrets from what it writes; one per run, passed to every writer. */
export interface Redactor {
  /** How many secret values it knows (never the values themselves). */
  readonly size: number
  /** The text with every secret, in every encoded form, and every well-known credential shape replaced. */
  text(text: string): string
  /**
   * A copy of a JSON-like value with every string and key redacted; numbers, booleans and the vocabulary are kept,
   * and so are the top-level fields named in `keep` (the project's own identifiers: task ids, harness ids, paths).
   */
  value<T>(value: T, keep?: readonly string[]): T
}

/** Builds the redactor of a run from all the secrets it knows. Never throws on odd values. */
export function createRedactor(sources: RedactorSources = {}): Redactor {
  const secrets = new Set<string>()
  const add = (value: string | undefined): void => {
    if (typeof value === 'string' && value.length >= MIN_SECRET_LENGTH) secrets.add(value)
  }
  if (sources.env) for (const value of secretValuesFromEnv(sources.env)) add(value)
  for (const value of sources.values ?? []) add(value)
  for (const [name, value] of Object.entries(sources.headers ?? {})) {
    if (CREDENTIAL_HEADER.test(name)) for (const part of headerSecrets(value)) add(part)
  }
  const vocabulary = new Set([...defaultVocabulary(), ...(sources.vocabulary ?? [])])
  const forms = [...new Set([...secrets].flatMap(encodedForms))].sort((a, b) => b.length - a.length)
  const known = forms.length ? new RegExp(forms.map(escapeRegExp).join('|'), 'g') : undefined
  // Forms a tool prints with whitespace inside (base64 wrapped at 76 columns, hex in groups as xxd prints it).
  const spaced = [...new Set([...secrets].flatMap(spacedForms))].sort((a, b) => b.length - a.length)
  const spacedPattern = spaced.length ? new RegExp(spaced.map((form) => [...form].map(escapeRegExp).join('[\\s:.-]{0,3}')).join('|'), 'g') : undefined
  // A large piece of a secret anywhere (its start or its end, at least half of it and 8 characters): what a cut
  // that left no marker, or a secret written in two pieces, leaves behind.
  const pieces = [...new Set([...secrets].flatMap(secretPieces))].sort((a, b) => b.length - a.length)
  const piecePattern = pieces.length ? new RegExp(pieces.map(escapeRegExp).join('|'), 'g') : undefined

  const fragments = [...new Set([...secrets].flatMap((secret) => [secret, JSON.stringify(secret).slice(1, -1)]))]
  const text = (input: string): string => {
    try {
      let out = known ? input.replace(known, REDACTED) : input
      if (spacedPattern) out = out.replace(spacedPattern, REDACTED)
      if (fragments.length) out = redactCutFragments(out, fragments)
      if (piecePattern) out = out.replace(piecePattern, REDACTED)
      for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement)
      return out
    } catch {
      return REDACTED // fail closed
    }
  }
  const walk = (value: unknown, depth: number, seen: WeakSet<object>, keep?: ReadonlySet<string>): unknown => {
    if (typeof value === 'string') return vocabulary.has(value) ? value : text(value)
    if (value === null || typeof value !== 'object') return value
    if (seen.has(value) || depth > 200) return REDACTED
    const toJSON = (value as { toJSON?: unknown }).toJSON
    if (typeof toJSON === 'function') {
      try {
        return walk(toJSON.call(value), depth + 1, seen)
      } catch {
        return REDACTED
      }
    }
    seen.add(value)
    try {
      if (Array.isArray(value)) return value.map((item) => walk(item, depth + 1, seen))
      const out: Record<string, unknown> = {}
      for (const [key, item] of Object.entries(value)) {
        if (keep?.has(key)) {
          Object.defineProperty(out, key, { value: item, enumerable: true, writable: true, configurable: true })
          continue
        }
        let safeKey = vocabulary.has(key) ? key : text(key)
        for (let n = 2; Object.hasOwn(out, safeKey); n++) safeKey = `${text(key)}#${n}`
        const safe = CREDENTIAL_KEY.test(key) && typeof item === 'string' && item.length > 0 ? REDACTED : walk(item, depth + 1, seen)
        // defineProperty: a key such as `__proto__` from the model stays a plain field.
        Object.defineProperty(out, safeKey, { value: safe, enumerable: true, writable: true, configurable: true })
      }
      return out
    } finally {
      seen.delete(value)
    }
  }
  return {
    size: secrets.size,
    text,
    value: <T>(value: T, keep: readonly string[] = []): T => walk(value, 0, new WeakSet(), new Set(keep)) as T,
  }
}

/** Replaces the given secret values (in every encoded form) and well-known credential shapes in `text`. */
export function redactSecrets(text: string, secrets: string[] = []): string {
  return createRedactor({ values: secrets }).text(text)
}

/** Values of environment variables named like secrets, and passwords written in URL values. */
export function secretValuesFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  const values = new Set<string>()
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || value.length < MIN_SECRET_LENGTH) continue
    if (SECRET_NAME.test(name)) values.add(value)
    const password = urlPassword(value)
    if (password && password.length >= MIN_SECRET_LENGTH) values.add(password)
  }
  return [...values]
}

/**
 * The keys, enumerated values and literals of a zod schema, for {@link RedactorSources.vocabulary}: the words a
 * file of that format holds whatever its content.
 */
export function schemaWords(schema: z.ZodType): string[] {
  const words = new Set<string>()
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit)
    if (!node || typeof node !== 'object') return
    const record = node as Record<string, unknown>
    if (record.properties && typeof record.properties === 'object') for (const key of Object.keys(record.properties)) words.add(key)
    if (Array.isArray(record.enum)) for (const item of record.enum) if (typeof item === 'string') words.add(item)
    if (typeof record.const === 'string') words.add(record.const)
    for (const child of Object.values(record)) visit(child)
  }
  try {
    visit(z.toJSONSchema(schema, { unrepresentable: 'any', io: 'output' }))
  } catch {
    // a schema that cannot be described contributes no words
  }
  return [...words]
}

let traceWords: string[] | undefined
/** The words kept by every redactor: the trace format's and the chat protocol's. */
function defaultVocabulary(): string[] {
  traceWords ??= [...schemaWords(TraceEventSchema), ...CHAT_WORDS]
  return traceWords
}

/** The secret parts of a credential header's value: the whole value, the credential after its scheme, and a Basic password. */
function headerSecrets(value: string | undefined): string[] {
  if (!value) return []
  const parts = [value]
  const scheme = /^\s*(\w+)\s+(\S+)\s*$/.exec(value)
  if (scheme) {
    parts.push(scheme[2]!)
    if (scheme[1]!.toLowerCase() === 'basic') {
      const decoded = Buffer.from(scheme[2]!, 'base64').toString('utf8')
      const colon = decoded.indexOf(':')
      if (colon >= 0) parts.push(decoded, decoded.slice(colon + 1))
    }
  }
  return parts
}

/** The password of a URL value (`https://user:pass@host`), when it is one. */
function urlPassword(value: string): string | undefined {
  if (!/^[a-z][a-z0-9+.-]*:\/\/[^/\s]*@/i.test(value)) return undefined
  try {
    const password = new URL(value).password
    return password ? decodeURIComponent(password) : undefined
  } catch {
    return undefined
  }
}

/**
 * The markers where text was cut (a tool result's cap, a command's dropped output, a preview's `...` or `…`, a
 * message's `[N more characters cut]`), kept when splitting.
 */
const CUT_MARKER = /(\n\[\.\.\. (?:truncated \d+ chars\]|\d+ bytes of output dropped \.\.\.\]\n)|\n?\.\.\. ?\[\d+ more characters cut\]|\.\.\.|…)/
/** Shortest piece of a secret redacted beside a cut marker. */
const FRAGMENT_AT_CUT = 4

/**
 * A text cut short may hold part of a secret where it was cut: beside a truncation marker, the end of a secret's
 * start (or the start of its end) of at least {@link FRAGMENT_AT_CUT} characters is redacted; at the ends of the
 * text, where a cut leaves no marker, a piece of at least half the secret and 6 characters.
 */
function redactCutFragments(text: string, secrets: readonly string[]): string {
  const parts = text.split(CUT_MARKER)
  for (let i = 0; i < parts.length; i += 2) {
    const beforeCut = i < parts.length - 1
    const afterCut = i > 0
    let part = parts[i]!
    for (const secret of secrets) {
      const edge = Math.max(6, Math.ceil(secret.length / 2))
      for (let k = Math.min(secret.length - 1, part.length); k >= FRAGMENT_AT_CUT; k--) {
        if (k < edge && !beforeCut) break
        // The last character decides most candidates at once; the full comparison runs only when it matches.
        if (part.charCodeAt(part.length - 1) === secret.charCodeAt(k - 1) && part.endsWith(secret.slice(0, k))) {
          part = part.slice(0, part.length - k) + REDACTED
          break
        }
      }
      for (let k = Math.min(secret.length - 1, part.length); k >= FRAGMENT_AT_CUT; k--) {
        if (k < edge && !afterCut) break
        if (part.charCodeAt(0) === secret.charCodeAt(secret.length - k) && part.startsWith(secret.slice(secret.length - k))) {
          part = REDACTED + part.slice(k)
          break
        }
      }
    }
    parts[i] = part
  }
  return parts.join('')
}

const NAMED_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/**
 * The forms a secret can take in what the runner writes: raw, JSON-escaped (once and twice, and with `<` or `<>&'`
 * as `\u` escapes), URL-encoded (path and form style, either hex case), HTML-escaped, base64 and base64url at each of
 * the three byte alignments (the characters fixed by the secret's bytes alone), and hex.
 */
function encodedForms(secret: string): string[] {
  const forms = new Set([secret])
  const json = JSON.stringify(secret).slice(1, -1)
  forms.add(json)
  forms.add(JSON.stringify(json).slice(1, -1))
  const unicodeEscape = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`
  forms.add(json.replace(/[<\u2028\u2029]/g, unicodeEscape)) // JSON in an HTML script block
  forms.add(json.replace(/[<>&'\u2028\u2029]/g, unicodeEscape))
  const url = encodeURIComponent(secret)
  const formStyle = new URLSearchParams([['', secret]]).toString().slice(1)
  for (const encoded of [url, formStyle, encodeURI(secret)]) {
    forms.add(encoded)
    forms.add(encoded.replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()))
  }
  forms.add(secret.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`))
  forms.add(secret.replace(/[&<>"']/g, (c) => NAMED_ENTITIES[c]!))
  const bytes = Buffer.from(secret, 'utf8')
  for (const alignment of [0, 1, 2]) {
    const stable = alignedBase64(bytes, alignment)
    forms.add(stable)
    forms.add(stable.replace(/\+/g, '-').replace(/\//g, '_'))
  }
  forms.add(bytes.toString('hex'))
  forms.add(bytes.toString('hex').toUpperCase())
  for (const form of fullyEscapedForms(secret)) forms.add(form)
  return [...forms].filter((form) => form.length >= MIN_SECRET_LENGTH)
}

/** Every character of the secret percent-encoded, or `\u`-escaped, whether it needed it or not. */
function fullyEscapedForms(secret: string): string[] {
  const bytes = [...Buffer.from(secret, 'utf8')]
  const percent = bytes.map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')
  const units = Array.from({ length: secret.length }, (_, i) => secret.charCodeAt(i))
  const unicode = units.map((u) => `\\u${u.toString(16).padStart(4, '0')}`).join('')
  return [percent, percent.toUpperCase(), unicode, unicode.replace(/[a-f]/g, (c) => c.toUpperCase())]
}

/** The base64 and hex forms of a secret, to be matched with whitespace or separators between characters. */
function spacedForms(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8')
  const forms = [0, 1, 2].map((alignment) => alignedBase64(bytes, alignment))
  forms.push(bytes.toString('hex'), bytes.toString('hex').toUpperCase())
  return forms.filter((form) => form.length >= MIN_SECRET_LENGTH)
}

/** The starts and ends of a secret at least half its length and 8 characters long (shorter than the whole). */
function secretPieces(secret: string): string[] {
  const least = Math.max(MIN_SECRET_LENGTH, Math.ceil(secret.length / 2))
  const pieces: string[] = []
  for (let k = secret.length - 1; k >= least; k--) pieces.push(secret.slice(0, k), secret.slice(secret.length - k))
  return pieces
}

/**
 * The base64 characters that depend only on the secret's bytes when it starts `alignment` bytes into a 3-byte
 * group: whatever surrounds it, its base64 contains exactly these characters.
 */
function alignedBase64(bytes: Buffer, alignment: number): string {
  const encoded = Buffer.concat([Buffer.alloc(alignment), bytes]).toString('base64')
  const from = Math.ceil((8 * alignment) / 6)
  const to = Math.floor((8 * (alignment + bytes.length)) / 6)
  return encoded.slice(from, to)
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
