import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { fileURLToPath } from 'node:url'
import OpenAI from 'openai'
import { startSimServer, type SimServer } from '../../fixtures/sim/server.js'
import { simClient, systemPrompt, toolDefs } from './drive.js'

const solutionsDir = fileURLToPath(new URL('./solutions', import.meta.url))
const GIT = 'Commit the greeting file hello.txt with the two lines hello and world.'

let server: SimServer
beforeAll(async () => {
  server = await startSimServer({ solutionsDir })
})
afterAll(() => server.close())
afterEach(() => server.setFaults({}))

const ask = (client = simClient(server.url)) =>
  client.chat.completions.create({
    model: 'sim-oracle',
    messages: [
      { role: 'system', content: systemPrompt() },
      { role: 'user', content: GIT },
    ],
    tools: toolDefs(),
  })
const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (e: unknown) => e)

describe('fault injection', () => {
  it('answers 429 with Retry-After for the next N requests, then recovers', async () => {
    server.setFaults({ rateLimit: { count: 2, retryAfterMs: 2000 } })
    for (let i = 0; i < 2; i++) {
      const error = await failure(ask())
      expect(error).toBeInstanceOf(OpenAI.RateLimitError)
      const headers = (error as InstanceType<typeof OpenAI.RateLimitError>).headers
      expect(headers.get('retry-after')).toBe('2')
      expect(headers.get('retry-after-ms')).toBe('2000')
    }
    await expect(ask()).resolves.toMatchObject({ object: 'chat.completion' })
    expect(server.stats().faults.rateLimit).toBeGreaterThanOrEqual(2)
  })

  it('answers 500 and 503', async () => {
    server.setFaults({ serverError: { count: 1 } })
    const e500 = await failure(ask())
    expect(e500).toBeInstanceOf(OpenAI.InternalServerError)
    expect((e500 as InstanceType<typeof OpenAI.APIError>).status).toBe(500)
    server.setFaults({ serverError: { count: 1, status: 503 } })
    expect(((await failure(ask())) as InstanceType<typeof OpenAI.APIError>).status).toBe(503)
  })

  it('hangs until the client gives up', async () => {
    server.setFaults({ hang: { count: 1 } })
    const started = Date.now()
    const error = await failure(ask(simClient(server.url, 300)))
    expect(error).toBeInstanceOf(OpenAI.APIConnectionTimeoutError)
    expect(Date.now() - started).toBeGreaterThanOrEqual(250)
    await expect(ask()).resolves.toMatchObject({ object: 'chat.completion' })
  })

  it('sends tool-call arguments that are not valid JSON', async () => {
    server.setFaults({ malformedArguments: { count: 1 } })
    const call = (await ask()).choices[0]!.message.tool_calls![0]!
    expect(call.type).toBe('function')
    expect(() => JSON.parse(call.type === 'function' ? call.function.arguments : '')).toThrow()
  })

  it('drops the connection mid-response', async () => {
    server.setFaults({ dropConnection: { count: 1 } })
    expect(await failure(ask())).toBeInstanceOf(Error)
    await expect(ask()).resolves.toMatchObject({ object: 'chat.completion' })
    expect(server.stats().faults.dropConnection).toBe(1)
  })

  it('slows responses down', async () => {
    server.setFaults({ slow: { count: 1, delayMs: 200 } })
    const started = Date.now()
    await ask()
    expect(Date.now() - started).toBeGreaterThanOrEqual(190)
  })

  it('applies probabilities: 1 always, 0 never', async () => {
    server.setFaults({ serverError: { probability: 1 } })
    for (let i = 0; i < 3; i++) expect(await failure(ask())).toBeInstanceOf(OpenAI.InternalServerError)
    server.setFaults({ serverError: { probability: 0 } })
    await expect(ask()).resolves.toMatchObject({ object: 'chat.completion' })
  })

  it('takes fault settings over HTTP and refuses bad ones', async () => {
    const control = new URL('/_control/faults', server.url)
    const set = (body: string) => fetch(control, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
    const ok = await set(JSON.stringify({ serverError: { count: 1, status: 503 } }))
    expect(ok.status).toBe(200)
    expect(((await failure(ask())) as InstanceType<typeof OpenAI.APIError>).status).toBe(503)
    const bad = await set(JSON.stringify({ serverError: { status: 418 } }))
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as { error: { message: string } }).error.message).toContain('serverError.status')
    expect(() => server.setFaults({ hang: { probability: 2 } })).toThrow()
  })

  it('adds the configured latency to every answer', async () => {
    const slow = await startSimServer({ solutionsDir, latencyMs: 150 })
    try {
      const started = Date.now()
      await ask(simClient(slow.url))
      expect(Date.now() - started).toBeGreaterThanOrEqual(140)
    } finally {
      await slow.close()
    }
  })
})
