import { afterAll, beforeAll, describe, expect, it } from 'vitest'
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

const post = (path: string, body: string, headers: Record<string, string> = { authorization: 'Bearer k' }) =>
  fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body })

describe('the simulated model server', () => {
  it('lists its profiles as models, labelled as a simulator', async () => {
    const models = await simClient(server.url).models.list()
    const ids = models.data.map((m) => m.id)
    expect(ids).toEqual(expect.arrayContaining(['sim-oracle', 'sim-steady', 'sim-hasty', 'sim-forgetful']))
    expect(models.data.every((m) => m.owned_by === 'self-harness-simulator')).toBe(true)
  })

  it('answers a chat completion in the API shape, with usage and tool calls as JSON strings', async () => {
    const request = {
      model: 'sim-oracle',
      messages: [
        { role: 'system' as const, content: systemPrompt() },
        { role: 'user' as const, content: GIT },
      ],
      tools: toolDefs(),
    }
    const res = await simClient(server.url).chat.completions.create(request)
    expect(res.id).toMatch(/^chatcmpl-[A-Za-z0-9]{29}$/)
    expect(res.object).toBe('chat.completion')
    expect(res.model).toBe('sim-oracle')
    const choice = res.choices[0]!
    expect(choice.finish_reason).toBe('tool_calls')
    const call = choice.message.tool_calls![0]!
    expect(call.id).toMatch(/^call_[A-Za-z0-9]{24}$/)
    expect(call.type === 'function' && JSON.parse(call.function.arguments)).toEqual({ command: 'git init -q' })
    const chars = JSON.stringify(request).length
    expect(res.usage!.prompt_tokens).toBeGreaterThan(chars / 6)
    expect(res.usage!.prompt_tokens).toBeLessThan(chars / 2)
    expect(res.usage!.total_tokens).toBe(res.usage!.prompt_tokens + res.usage!.completion_tokens)
  })

  it('writes a plan as text when asked for one with tool_choice none', async () => {
    const res = await simClient(server.url).chat.completions.create({
      model: 'sim-steady',
      messages: [
        { role: 'system', content: systemPrompt([], true) },
        { role: 'user', content: GIT },
        { role: 'user', content: 'Write your plan now, using the planning template. Do not act yet.' },
      ],
      tools: toolDefs(),
      tool_choice: 'none',
    })
    expect(res.choices[0]!.finish_reason).toBe('stop')
    expect(res.choices[0]!.message.tool_calls).toBeUndefined()
    expect(res.choices[0]!.message.content).toMatch(/^Plan:\n1\. run `git init -q`/)
  })

  it('answers an unknown task politely and finishes', async () => {
    const res = await simClient(server.url).chat.completions.create({
      model: 'sim-oracle',
      messages: [{ role: 'user', content: 'Paint the fence green.' }],
      tools: toolDefs(),
    })
    const message = res.choices[0]!.message
    expect(message.content).toMatch(/sorry/i)
    expect(message.tool_calls?.[0]?.type === 'function' && message.tool_calls[0].function.name).toBe('finish')
    expect(server.stats().unknownTasks).toBeGreaterThan(0)
  })

  it('refuses a request without a bearer key with 401', async () => {
    const res = await post('/chat/completions', '{}', {})
    expect(res.status).toBe(401)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_api_key')
  })

  it('answers a bad request with 400 and an OpenAI-style error naming the field', async () => {
    const client = simClient(server.url)
    const error = await client.chat.completions
      .create({ model: 'sim-oracle', messages: [{ role: 'wizard', content: 'x' }] } as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming)
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(OpenAI.BadRequestError)
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).status).toBe(400)

    const res = await post('/chat/completions', JSON.stringify({ model: 'sim-oracle', messages: [] }))
    expect(res.status).toBe(400)
    const body = (await res.json()) as { error: { message: string; type: string; param: string } }
    expect(body.error).toMatchObject({ type: 'invalid_request_error', param: 'messages' })
    expect(body.error.message).toContain('`messages`')

    const broken = await post('/chat/completions', '{"model": ')
    expect(broken.status).toBe(400)
  })

  it('answers an unknown model with 404', async () => {
    const error = await simClient(server.url)
      .chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: GIT }] })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(OpenAI.NotFoundError)
  })

  it('counts what it served', async () => {
    const before = server.stats()
    await simClient(server.url).models.list()
    const after = server.stats()
    expect(after.requests).toBe(before.requests + 1)
    expect(after.completions).toBeGreaterThan(0)
    expect(after.byModel['sim-oracle']).toBeGreaterThan(0)
  })
})
