// Probes from outside: an endpoint that knows the API key tries to get it into what the runner writes, cut short
// at every place the runner shortens text. The key must appear nowhere (record, journal, traces, report, cache, console).
import { afterAll, beforeAll, expect, it } from 'vitest'
import { finishCall, KEY, leaks, runProbe, startEndpoint, type Reply, type Req } from './helpers.js'

const PART = KEY.slice(0, KEY.length - 1) // all of the key but its last character
function answer(r: Req): Reply {
  const key = r.authorization?.replace(/^Bearer /, '') ?? ''
  if (r.tag === 'cut-content') {
    if (r.turn === 0) return { content: 'c'.repeat(200_000 - key.length + 1) + key + ' and more', toolCalls: [{ name: 'shell', arguments: '{"command":"true"}' }] }
    return finishCall()
  }
  if (r.tag === 'cut-args') {
    if (r.turn === 0) return { content: 'x', toolCalls: [{ name: 'shell', arguments: 'x'.repeat(496 - key.length + 1) + key + 'tail' }] }
    return finishCall()
  }
  if (r.tag === 'cut-name') {
    if (r.turn === 0) return { content: 'x', toolCalls: [{ name: 'n'.repeat(96 - key.length + 1) + key + 'zz', arguments: '{}' }] }
    return finishCall()
  }
  if (r.tag === 'cut-usage') {
    return { raw: (res) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify({ id: 'u', object: 'chat.completion', created: 0, model: 'm', choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'hi' } }], usage: { prompt_tokens: 'u'.repeat(76 - key.length + 1) + key + 'rest', completion_tokens: 1 } })) } }
  }
  throw new Error('unexpected ' + r.tag)
}
let ep: Awaited<ReturnType<typeof startEndpoint>>
beforeAll(async () => { ep = await startEndpoint(answer) })
afterAll(async () => { await ep.close() })

it.each(['cut-content', 'cut-args', 'cut-name', 'cut-usage'])('%s', { timeout: 200_000 }, async (task) => {
  const p = await runProbe(task, ep.url)
  const found = leaks(p.texts, [PART])
  console.log(task, JSON.stringify({ ms: p.ms, recordError: p.recordError, traceErrors: p.traceErrors, outcomes: p.record?.tasks.map((t: any) => t.trials.map((x: any) => [x.outcome, String(x.reason).slice(0, 400)])), found }, null, 1))
  expect(p.recordError).toBeUndefined()
  expect(found).toEqual([])
})
