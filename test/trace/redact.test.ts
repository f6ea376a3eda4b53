import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { capText } from '../../src/agent/context.js'
import { TraceEventSchema } from '../../src/trace/events.js'
import { createRedactor, MIN_SECRET_LENGTH, REDACTED, redactSecrets, schemaWords, secretValuesFromEnv } from '../../src/trace/redact.js'

describe('redactSecrets', () => {
  it('replaces every occurrence of the given secrets, longest first', () => {
    const text = 'key=abcdef123 and again abcdef123456, abcdef123'
    expect(redactSecrets(text, ['abcdef123', 'abcdef123456'])).toBe(`key=${REDACTED} and again ${REDACTED}, ${REDACTED}`)
  })

  it.each([
    ['an OpenAI key', 'export OPENAI_API_KEY=sk-proj-AbCdEf0123456789abcdEF', 'export OPENAI_API_KEY=[REDACTED]'],
    ['an Anthropic key', 'key sk-ant-api03-AAAAAAAAAAAAAAAAAAAA-bbbb done', 'key [REDACTED] done'],
    ['a GitHub token', 'git clone https://ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com/x', 'git clone https://[REDACTED]@github.com/x'],
    ['a fine-grained GitHub token', 'github_pat_11ABCDEFG0123456789_abcdefghij', '[REDACTED]'],
    ['a Slack token', 'SLACK=xoxb-1234567890-abcdefghij', 'SLACK=[REDACTED]'],
    ['an AWS access key id', 'aws_access_key_id = AKIAIOSFODNN7EXAMPLE', 'aws_access_key_id = [REDACTED]'],
    ['a bearer token', 'curl -H "X: Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc"', 'curl -H "X: Bearer [REDACTED]"'],
    ['an Authorization header', 'Authorization: Basic dXNlcjpwYXNz\nnext line', 'Authorization: [REDACTED]\nnext line'],
    ['an authorization field in JSON', '{"authorization":"token abc123xyz","ok":1}', '{"authorization":"[REDACTED]","ok":1}'],
  ])('redacts %s', (_name, input, expected) => {
    expect(redactSecrets(input)).toBe(expected)
  })

  it('leaves ordinary text alone and is idempotent', () => {
    const text = 'task-1234567890abcdefgh: ask-me later; the monkey said "authorization is needed"? no: Bearer x'
    expect(redactSecrets(text)).toBe(text)
    const once = redactSecrets('Authorization: Bearer abcdefghijkl sk-abcdefghijklmnopqrstu')
    expect(redactSecrets(once)).toBe(once)
    expect(once).toBe('Authorization: [REDACTED]')
  })
})

describe('secretValuesFromEnv', () => {
  it('takes values of variables named like secrets, ignoring short values and other names', () => {
    const env = {
      OPENAI_API_KEY: 'sk-long-enough-value',
      GITHUB_TOKEN: 'gh-token-value',
      DB_PASSWORD: 'hunter22',
      MY_SECRET: 'classified',
      AWS_CREDENTIALS_FILE: '/x/creds',
      AUTH_HEADER: 'Basic zzzzzz',
      SHORT_KEY: '12345',
      PATH: '/usr/bin:/bin',
      HOME: '/home/someone',
      SSH_AUTH_SOCK: '/run/agent.sock',
      EMPTY_TOKEN: undefined,
    }
    expect(secretValuesFromEnv(env).sort()).toEqual(
      ['sk-long-enough-value', 'gh-token-value', 'hunter22', 'classified', '/x/creds', 'Basic zzzzzz'].sort(),
    )
  })

  it('reads process.env by default and feeds redactSecrets', () => {
    process.env.SELF_HARNESS_TEST_API_KEY = 'plain-secret-value'
    try {
      expect(secretValuesFromEnv()).toContain('plain-secret-value')
      expect(redactSecrets('value: plain-secret-value', secretValuesFromEnv())).toBe(`value: ${REDACTED}`)
    } finally {
      delete process.env.SELF_HARNESS_TEST_API_KEY
    }
  })
})

describe('createRedactor', () => {
  // Printable text with the characters that escape naive redaction: quotes, backslashes, URL and HTML specials.
  const secretArb = fc.string({ unit: fc.constantFrom(...'abcXYZ019"\\\'/+=%&<> :-_é✓'.split('')), minLength: MIN_SECRET_LENGTH, maxLength: 40 })
  const contextArb = fc.string({ maxLength: 30 })

  const bytes = (encoding: BufferEncoding) => (t: string) => Buffer.from(t).toString(encoding)
  const decodeBytes = (encoding: BufferEncoding) => (t: string) => Buffer.from(t, encoding).toString()
  const encodings: Array<[string, (text: string) => string, ((text: string) => string)?]> = [
    ['raw', (t) => t],
    ['JSON-escaped', (t) => JSON.stringify(t).slice(1, -1)],
    ['JSON-escaped twice', (t) => JSON.stringify(JSON.stringify(t)).slice(1, -1)],
    ['URL-encoded', (t) => encodeURIComponent(t)],
    ['URL-encoded with lowercase hex', (t) => encodeURIComponent(t).replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase())],
    ['JSON for a script block', (t) => JSON.stringify(t).slice(1, -1).replace(/</g, '\\u003c')],
    ['form-encoded', (t) => new URLSearchParams({ q: t }).toString().slice(2)],
    ['base64', bytes('base64'), decodeBytes('base64')],
    ['base64url', bytes('base64url'), decodeBytes('base64url')],
    ['hex', bytes('hex'), decodeBytes('hex')],
    ['HTML-escaped', (t) => t.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)],
  ]

  it.each(encodings)('removes a secret embedded anywhere in %s text', (_name, encode, decode) => {
    fc.assert(
      fc.property(secretArb, contextArb, contextArb, (secret, before, after) => {
        const redactor = createRedactor({ values: [secret] })
        const out = redactor.text(encode(`${before}${secret}${after}`))
        if (decode) expect(decode(out)).not.toContain(secret) // what is left no longer decodes to it
        else expect(out).not.toContain(encode(secret))
        expect(out).toContain(REDACTED)
      }),
      { numRuns: 200 },
    )
  })

  it('redacts values, never the format: any value stays JSON-serializable and keeps its shape', () => {
    fc.assert(
      fc.property(secretArb, fc.jsonValue(), (secret, value) => {
        const redactor = createRedactor({ values: [secret] })
        const out = redactor.value({ payload: value, echo: `x${secret}y` })
        expect(() => JSON.parse(JSON.stringify(out))).not.toThrow()
        expect(JSON.stringify(out)).not.toContain(JSON.stringify(secret).slice(1, -1))
        expect(typeof out.payload).toBe(value === null ? 'object' : typeof value)
      }),
      { numRuns: 200 },
    )
  })

  it('never throws, whatever the secrets and the text', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 20 }), { maxLength: 5 }), fc.string(), (secrets, text) => {
        const redactor = createRedactor({ values: secrets, headers: { authorization: secrets[0] } })
        expect(typeof redactor.text(text)).toBe('string')
      }),
      { numRuns: 500 },
    )
  })

  it('takes secrets from the environment, the options and the credential headers, not from other headers', () => {
    const redactor = createRedactor({
      env: { DEPLOY_TOKEN: 'dtok-0123456789', PATH: '/usr/bin:/bin', PROXY_URL: 'http://user:pr0xy-passw0rd@proxy:3128' },
      values: ['option-key-0123456789', undefined, ''],
      headers: { authorization: 'Bearer header-key-0123456789', 'x-self-harness-trial': 'tasks/a.test.ts#0' },
    })
    expect(redactor.size).toBe(5) // token, proxy password, option key, the header value and its credential
    const out = redactor.text('dtok-0123456789 option-key-0123456789 header-key-0123456789 pr0xy-passw0rd tasks/a.test.ts#0 /usr/bin:/bin')
    expect(out).toBe(`${REDACTED} ${REDACTED} ${REDACTED} ${REDACTED} tasks/a.test.ts#0 /usr/bin:/bin`)
  })

  it('redacts the part of a secret left where a text was cut', () => {
    const secret = 'cut-secret-0123456789'
    const redactor = createRedactor({ values: [secret] })
    const capped = capText(`output ${secret} more`, 'output cut-secr'.length).text
    expect(capped).toContain('cut-secr') // the cap leaves a piece of the secret ...
    expect(redactor.text(capped)).toBe(`output ${REDACTED}\n[... truncated ${'et-0123456789 more'.length} chars]`) // ... redacted
    const dropped = `head cut-se\n[... 999 bytes of output dropped ...]\n456789 tail`
    expect(redactor.text(dropped)).toBe(`head ${REDACTED}\n[... 999 bytes of output dropped ...]\n${REDACTED} tail`)
    // Where no marker says so, only a piece of at least half the secret is taken for a cut one.
    expect(redactor.text(`sliced cut-secret-01`)).toBe(`sliced ${REDACTED}`)
    expect(redactor.text(`ends with cut-s`)).toBe('ends with cut-s')
  })

  it(`ignores values shorter than ${MIN_SECRET_LENGTH} characters`, () => {
    const redactor = createRedactor({ values: ['k', '12345', 'abcdefg'], env: { SHORT_KEY: '1234567' } })
    expect(redactor.size).toBe(0)
    expect(redactor.text('k 12345 abcdefg 1234567')).toBe('k 12345 abcdefg 1234567')
  })

  it('keeps numbers, booleans, the format words and the named top-level fields; redacts keys and credential fields', () => {
    const redactor = createRedactor({ values: ['4815162342', 'finished', 'sk-secret-key-1'] })
    const out = redactor.value(
      { kind: 'trial-end', status: 'finished', t: 4815162342, ok: true, taskId: 'x 4815162342', note: 'finished at 4815162342', args: { 'sk-secret-key-1': 1, password: 'p', __proto__x: 2 } },
      ['taskId'],
    )
    expect(out).toEqual({
      kind: 'trial-end',
      status: 'finished',
      t: 4815162342,
      ok: true,
      taskId: 'x 4815162342',
      note: `${REDACTED} at ${REDACTED}`,
      args: { [REDACTED]: 1, password: REDACTED, __proto__x: 2 },
    })
    const hostile = redactor.value(JSON.parse('{"__proto__": {"polluted": "sk-secret-key-1"}}'))
    expect(Object.getPrototypeOf(hostile)).toBe(Object.prototype)
    expect(JSON.stringify(hostile)).toBe(`{"__proto__":{"polluted":"${REDACTED}"}}`)
  })

  it('survives cycles and odd objects', () => {
    const redactor = createRedactor({ values: ['cyclic-secret'] })
    const a: Record<string, unknown> = { name: 'cyclic-secret' }
    a.self = a
    expect(redactor.value(a)).toEqual({ name: REDACTED, self: REDACTED })
    expect(redactor.value({ when: new Date(0) })).toEqual({ when: '1970-01-01T00:00:00.000Z' })
  })
})

describe('schemaWords', () => {
  it('lists the keys, enumerated values and literals of a schema', () => {
    const words = schemaWords(TraceEventSchema)
    for (const word of ['trial-start', 'tool-call', 'finished', 'max-turns', 'instruction', 'arguments', 'durationMs', 'assertion']) expect(words).toContain(word)
  })
})
