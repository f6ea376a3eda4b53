import { describe, expect, it } from 'vitest'
import { REDACTED, redactSecrets, secretValuesFromEnv } from '../../src/trace/redact.js'

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
