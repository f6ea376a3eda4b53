import { describe, expect, it } from 'vitest'
import { classifyEndpointError, retryAfterMs } from '../../src/agent/endpoint-error.js'
import { MAX_CONTENT_CHARS, parseCompletion } from '../../src/agent/response.js'
import { completion } from './scripted-endpoint.js'

const refusal = (body: unknown, contentType?: string) => {
  try {
    parseCompletion(body, { contentType })
  } catch (error) {
    return error as { code: string; message: string }
  }
  throw new Error('expected the response to be refused')
}

describe('parseCompletion', () => {
  it.each([
    ['a string', '12', '"12"'],
    ['negative', -3, '-3'],
    ['fractional', 1.5, '1.5'],
    ['huge', 1e308, '1e+308'],
    ['an object', { n: 1 }, '{"n":1}'],
  ])('refuses usage.prompt_tokens that is %s, naming the field and the value', (_, value, shown) => {
    const error = refusal(completion({ usage: { prompt_tokens: value, completion_tokens: 1 } }))
    expect(error.code).toBe('MODEL_BAD_RESPONSE')
    expect(error.message).toContain(`expected \`usage.prompt_tokens\` to be a non-negative integer`)
    expect(error.message).toContain(`got \`${shown}\``)
  })

  it('refuses a response without choices, and content that is not a string or null', () => {
    expect(refusal({ id: 'x' }).message).toMatch(/`choices` to be a non-empty array, got `nothing`/)
    expect(refusal({ choices: [] }).message).toMatch(/`choices` to be a non-empty array/)
    expect(refusal(completion({ content: { text: 'hi' } })).message).toMatch(/`choices\[0\]\.message\.content` to be a string or null/)
    expect(refusal(completion({ toolCalls: 'shell' })).message).toMatch(/`choices\[0\]\.message\.tool_calls` to be an array or null/)
    expect(refusal({ choices: [{ message: 'hi' }] }).message).toMatch(/`choices\[0\]\.message` to be an object/)
  })

  it('says what a body that is not JSON was: an HTML page, an event stream, nothing', () => {
    expect(refusal('<!DOCTYPE html><html><body>502 Bad Gateway</body></html>', 'text/html').message).toMatch(/an HTML or XML page \(content type `text\/html`\)/)
    expect(refusal('data: {"choices":[]}\n\ndata: [DONE]\n', 'text/event-stream').message).toMatch(/an event stream/)
    expect(refusal(undefined, 'application/json').message).toMatch(/an empty body/)
    expect(refusal([1, 2]).message).toMatch(/an array/)
  })

  it('bounds what the model sends: long text is cut with a note, over-long arguments make the call malformed', () => {
    const reply = parseCompletion({
      choices: [{ message: { content: 'x'.repeat(MAX_CONTENT_CHARS + 10), tool_calls: [{ id: 'c1', type: 'function', function: { name: 'shell', arguments: JSON.stringify({ command: 'y'.repeat(200_000) }) } }] } }],
    })
    expect(reply.content!.length).toBeLessThan(MAX_CONTENT_CHARS + 100)
    expect(reply.content).toMatch(/10 more characters cut\]$/)
    expect(reply.toolCalls[0]!.problem).toMatch(/function\.arguments/)
    expect(reply.toolCalls[0]!.arguments.length).toBeLessThanOrEqual(2_100)
  })

  it('keeps absent usage as zero tokens and reads finish_reason', () => {
    const reply = parseCompletion({ choices: [{ message: { content: 'ok' }, finish_reason: 'length' }] })
    expect(reply).toEqual({ content: 'ok', toolCalls: [], finishReason: 'length', tokens: { prompt: 0, completion: 0 } })
  })

  it('marks a malformed tool call instead of refusing the answer, with a made-up id when its own is missing or repeated', () => {
    const reply = parseCompletion(
      completion({
        toolCalls: [
          { id: 'a', type: 'function', function: { name: 'shell', arguments: '{}' } },
          { id: 'a', type: 'function', function: { name: 'shell', arguments: '{}' } },
          { type: 'function', function: { name: 'shell', arguments: '{}' } },
          { id: 'b', type: 'custom', function: { name: 'shell', arguments: '{}' } },
        ],
      }),
    )
    expect(reply.toolCalls.map((c) => [c.id, c.problem === undefined])).toEqual([
      ['a', true],
      ['invalid-1', false],
      ['invalid-2', false],
      ['invalid-3', false],
    ])
    expect(reply.toolCalls[1]!.problem).toMatch(/already used/)
    expect(reply.toolCalls[3]!.problem).toMatch(/`type` to be "function"/)
  })
})

describe('classifyEndpointError', () => {
  it.each([
    [400, 'the request exceeds the available context size, try increasing it', 'context-exceeded'],
    [400, "This model's maximum context length is 4096 tokens context_length_exceeded", 'context-exceeded'],
    [500, 'Failed to parse tool call arguments as JSON', 'model-output'],
    [500, 'The model output does not match the expected format', 'model-output'],
    [400, 'tool_use_failed: Failed to call a function', 'model-output'],
    [500, 'upstream connect error or disconnect/reset before headers', 'retry'],
    [503, 'Service Unavailable', 'retry'],
    [429, 'Rate limit: too many tokens, context length of the queue', 'retry'],
    [401, 'Incorrect API key provided', 'fatal'],
    [404, 'The model `x` does not exist', 'fatal'],
  ] as const)('HTTP %i "%s" is %s', (status, text, expected) => {
    expect(classifyEndpointError(status, text)).toBe(expected)
  })

  it('reads a 400 about response_format as "ask again without it" only when it was asked for', () => {
    expect(classifyEndpointError(400, "Invalid parameter: 'response_format' of type 'json_schema' is not supported", { askedForFormat: true })).toBe('response-format')
    // llama.cpp's server, when it cannot turn the schema into a grammar (seen with a real llama-server).
    expect(classifyEndpointError(400, 'Failed to initialize samplers: failed to parse grammar', { askedForFormat: true })).toBe('response-format')
    expect(classifyEndpointError(500, 'failed to parse grammar', { askedForFormat: true })).toBe('response-format')
    expect(classifyEndpointError(400, 'failed to parse grammar', { askedForFormat: false })).toBe('fatal')
    expect(classifyEndpointError(400, "Invalid parameter: 'response_format'")).toBe('fatal')
  })
})

describe('retryAfterMs', () => {
  const headers = (h: Record<string, string>) => new Headers(h)
  it('reads retry-after-ms, then Retry-After as seconds or an HTTP date', () => {
    expect(retryAfterMs(headers({ 'retry-after-ms': '250', 'retry-after': '9' }))).toBe(250)
    expect(retryAfterMs(headers({ 'retry-after': '100000' }))).toBe(100_000_000)
    expect(retryAfterMs(headers({ 'retry-after': new Date(61_000).toUTCString() }), 1_000)).toBe(60_000)
    expect(retryAfterMs(headers({ 'retry-after': 'soon' }))).toBeUndefined()
    expect(retryAfterMs(undefined)).toBeUndefined()
  })
})
