import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { cacheEntryPath, cacheKey, createCachingClient } from '../../src/agent/cache.js'
import type { ChatCompletion, ChatRequest, ModelClient } from '../../src/agent/model.js'
import { createRedactor } from '../../src/trace/redact.js'

/** A scripted model: answers the expected calls in order and fails loudly on any other. */
function scriptedClient(answers: string[], extra: { temperature?: number } = {}): ModelClient & { calls: ChatRequest[] } {
  const calls: ChatRequest[] = []
  return {
    model: 'scripted',
    ...extra,
    calls,
    async chat(request) {
      calls.push(request)
      const content = answers.shift()
      if (content === undefined) throw new Error(`Unexpected model call #${calls.length}: ${JSON.stringify(request.messages.at(-1))}`)
      return completion(content)
    },
  }
}

function completion(content: string): ChatCompletion {
  return {
    id: `c-${content}`,
    object: 'chat.completion',
    created: 0,
    model: 'scripted',
    choices: [{ index: 0, finish_reason: 'stop', logprobs: null, message: { role: 'assistant', content, refusal: null } }],
    usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
  }
}

const ask = (text: string, trialKey = 'task > a#0'): ChatRequest => ({
  messages: [{ role: 'system', content: 'You are an agent.' }, { role: 'user', content: text }],
  tools: [{ type: 'function', function: { name: 'finish', description: 'Done.', parameters: { type: 'object', properties: {} } } }],
  toolChoice: 'auto',
  trialKey,
})

const contentOf = (response: ChatCompletion) => response.choices[0]?.message.content

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cache-test-'))
})
afterEach(() => rm(dir, { recursive: true, force: true }))

describe('createCachingClient', () => {
  it('answers a repeated request from disk without calling the model', async () => {
    const first = createCachingClient(scriptedClient(['live answer']), { dir, mode: 'read-write' })
    expect(contentOf(await first.chat(ask('write a note')))).toBe('live answer')
    expect(first.stats()).toEqual({ hits: 0, misses: 1, writes: 1, failedWrites: 0 })

    // A fresh client over the same directory, as a replayed run: the scripted model has nothing left to say.
    const model = scriptedClient([])
    const replay = createCachingClient(model, { dir, mode: 'read-write' })
    const answer = await replay.chat(ask('write a note'))
    expect(contentOf(answer)).toBe('live answer')
    expect(answer.usage?.prompt_tokens).toBe(3)
    expect(model.calls).toHaveLength(0)
    expect(replay.stats()).toEqual({ hits: 1, misses: 0, writes: 0, failedWrites: 0 })
  })

  it('misses for another trial key, message, tool set, tool choice or temperature', async () => {
    const cache = createCachingClient(scriptedClient(['a']), { dir, mode: 'read-write' })
    await cache.chat(ask('write a note'))
    const variants: ChatRequest[] = [
      ask('write a note', 'task > a#1'),
      ask('write a memo'),
      { ...ask('write a note'), tools: [] },
      { ...ask('write a note'), toolChoice: 'none' },
      { ...ask('write a note'), temperature: 0.7 } as ChatRequest,
    ]
    const model = scriptedClient(variants.map((_, i) => `v${i}`))
    const other = createCachingClient(model, { dir, mode: 'read-write' })
    for (const [i, request] of variants.entries()) expect(contentOf(await other.chat(request))).toBe(`v${i}`)
    expect(model.calls).toHaveLength(variants.length)
    expect(other.stats()).toMatchObject({ hits: 0, misses: variants.length })
  })

  it('keys on the model name and the client temperature', async () => {
    const request = ask('write a note')
    const base = cacheKey('m', request, 0)
    expect(cacheKey('m', request, 0)).toBe(base)
    expect(cacheKey('other', request, 0)).not.toBe(base)
    expect(cacheKey('m', request, 1)).not.toBe(base)
    // The abort signal does not decide the answer.
    expect(cacheKey('m', { ...request, signal: new AbortController().signal }, 0)).toBe(base)
    // Key order inside a message does not matter.
    const reordered: ChatRequest = { ...request, messages: request.messages.map((m) => Object.fromEntries(Object.entries(m).reverse()) as typeof m) }
    expect(cacheKey('m', reordered, 0)).toBe(base)

    await createCachingClient(scriptedClient(['cold'], { temperature: 0 }), { dir }).chat(request)
    const model = scriptedClient(['warm'], { temperature: 0.9 })
    expect(contentOf(await createCachingClient(model, { dir }).chat(request))).toBe('warm')
  })

  it('never writes in read-only mode', async () => {
    const model = scriptedClient(['live'])
    const cache = createCachingClient(model, { dir, mode: 'read-only' })
    expect(contentOf(await cache.chat(ask('write a note')))).toBe('live')
    expect(cache.stats()).toEqual({ hits: 0, misses: 1, writes: 0, failedWrites: 0 })
    expect(await readdir(dir)).toEqual([])
  })

  it('reads in read-only mode what a read-write run stored', async () => {
    await createCachingClient(scriptedClient(['stored']), { dir }).chat(ask('write a note'))
    const cache = createCachingClient(scriptedClient([]), { dir, mode: 'read-only' })
    expect(contentOf(await cache.chat(ask('write a note')))).toBe('stored')
    expect(cache.stats()).toMatchObject({ hits: 1, writes: 0 })
  })

  it('calls the model and overwrites the entry in refresh mode', async () => {
    await createCachingClient(scriptedClient(['old']), { dir }).chat(ask('write a note'))
    const refresh = createCachingClient(scriptedClient(['new']), { dir, mode: 'refresh' })
    expect(contentOf(await refresh.chat(ask('write a note')))).toBe('new')
    expect(refresh.stats()).toEqual({ hits: 0, misses: 1, writes: 1, failedWrites: 0 })
    expect(contentOf(await createCachingClient(scriptedClient([]), { dir }).chat(ask('write a note')))).toBe('new')
  })

  it('treats a corrupt or foreign entry as a miss and rewrites it', async () => {
    const file = cacheEntryPath(dir, cacheKey('scripted', ask('write a note'), undefined))
    await createCachingClient(scriptedClient(['first']), { dir }).chat(ask('write a note'))
    await writeFile(file, '{"schemaVersion":1,"key":"trunc')
    const cache = createCachingClient(scriptedClient(['second']), { dir })
    expect(contentOf(await cache.chat(ask('write a note')))).toBe('second')
    expect(cache.stats()).toEqual({ hits: 0, misses: 1, writes: 1, failedWrites: 0 })
    expect(JSON.parse(await readFile(file, 'utf8')).response.choices[0].message.content).toBe('second')

    // An entry that parses but was stored under another key (a file copied by hand) is not trusted either.
    const entry = JSON.parse(await readFile(file, 'utf8'))
    await writeFile(file, JSON.stringify({ ...entry, key: 'f'.repeat(64) }))
    const again = createCachingClient(scriptedClient(['third']), { dir })
    expect(contentOf(await again.chat(ask('write a note')))).toBe('third')
  })

  it('stores one file per key under a two-level fan-out, with no temporary files left', async () => {
    const cache = createCachingClient(scriptedClient(['a', 'b']), { dir })
    await cache.chat(ask('one'))
    await cache.chat(ask('two'))
    const key = cacheKey('scripted', ask('one'), undefined)
    expect(cacheEntryPath(dir, key)).toBe(join(dir, key.slice(0, 2), key.slice(2, 4), `${key}.json`))
    const files = (await readdir(dir, { recursive: true })).filter((f) => f.endsWith('.json') || f.endsWith('.tmp'))
    expect(files).toHaveLength(2)
    expect(files.every((f) => f.endsWith('.json'))).toBe(true)
  })

  it('stores nothing when the model fails, and passes the failure on', async () => {
    const cache = createCachingClient(scriptedClient([]), { dir })
    await expect(cache.chat(ask('write a note'))).rejects.toThrow(/Unexpected model call/)
    expect(cache.stats()).toEqual({ hits: 0, misses: 1, writes: 0, failedWrites: 0 })
    expect(await readdir(dir)).toEqual([])
  })

  it('returns the answer even when the entry cannot be written', async () => {
    await writeFile(join(dir, 'blocker'), '')
    const cache = createCachingClient(scriptedClient(['live']), { dir: join(dir, 'blocker') })
    expect(contentOf(await cache.chat(ask('write a note')))).toBe('live')
    expect(cache.stats()).toMatchObject({ writes: 0, failedWrites: 1 })
  })

  it('refuses an unknown mode', () => {
    expect(() => createCachingClient(scriptedClient([]), { dir, mode: 'sometimes' as never })).toThrow(/Expected `cache.mode`/)
  })

  it('stores responses redacted, the live answer unchanged, and a redacted entry still replays', async () => {
    const secret = 'sk-"cache\\key"-0123456789'
    const answer = `echo ${secret} / ${encodeURIComponent(secret)} / ${Buffer.from(secret).toString('base64')}`
    const redact = createRedactor({ values: [secret, 'assistant'] })
    const live = createCachingClient(scriptedClient([answer]), { dir, redact })
    expect(contentOf(await live.chat(ask('leak it')))).toBe(answer)
    const files = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile())
    expect(files).toHaveLength(1)
    const stored = await readFile(join(files[0]!.parentPath, files[0]!.name), 'utf8')
    for (const form of [secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret), Buffer.from(secret).toString('base64')]) {
      expect(stored).not.toContain(form)
    }
    const replay = createCachingClient(scriptedClient([]), { dir, redact })
    const replayed = await replay.chat(ask('leak it'))
    expect(contentOf(replayed)).toMatch(/^echo \[REDACTED\] \/ \[REDACTED\] \/ \[REDACTED\][A-Za-z0-9+/=]{0,4}$/)
    expect(replayed.choices[0]!.message.role).toBe('assistant') // protocol words are kept, even one equal to a secret
    expect(replay.stats().hits).toBe(1)
  })
})
