// Probes from outside: an endpoint that knows the API key sends it encoded as tools print it (every byte
// percent-encoded or \u-escaped, base64 wrapped by `base64`, hex grouped by `xxd`, in two halves, as a tool name).
import { afterAll, beforeAll, expect, it } from 'vitest'
import { finishCall, KEY, leaks, runProbe, startEndpoint, stdForms, type Reply, type Req } from './helpers.js'

const uEsc = (s: string) => [...s].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')
const pct = (s: string) => [...Buffer.from(s)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('')
const half = Math.floor(KEY.length / 2)

function answer(r: Req): Reply {
  const key = r.authorization?.replace(/^Bearer /, '') ?? ''
  if (r.tag === 'secret-unicode') {
    if (r.turn === 0) return { content: 'ok', toolCalls: [{ name: 'shell', arguments: `{"command":"echo ${uEsc(key)} > /dev/null; echo hi"}` }] }
    return finishCall()
  }
  if (r.tag === 'secret-percent') {
    if (r.turn === 0) return { content: `see ${pct(key)} and more`, toolCalls: [{ name: 'shell', arguments: JSON.stringify({ command: `echo ${pct(key)}` }) }] }
    return finishCall()
  }
  if (r.tag === 'secret-split') {
    if (r.turn === 0) return { content: `part one ${key.slice(0, half)} .`, toolCalls: [{ name: 'shell', arguments: JSON.stringify({ command: `printf '%s' '${key.slice(0, half)}' > a; true` }) }] }
    if (r.turn === 1) return { content: `part two ${key.slice(half)} .`, toolCalls: [{ name: 'shell', arguments: JSON.stringify({ command: `printf '%s' '${key.slice(half)}' >> a; wc -c a` }) }] }
    return finishCall()
  }
  if (r.tag === 'secret-b64wrap') {
    if (r.turn === 0) return { content: 'ok', toolCalls: [{ name: 'write_file', arguments: JSON.stringify({ path: 'k.txt', content: `${'x'.repeat(50)}${key}\n` }) }] }
    if (r.turn === 1) return { content: 'ok', toolCalls: [{ name: 'shell', arguments: JSON.stringify({ command: 'base64 k.txt; base64 -w 10 k.txt; xxd k.txt; od -c k.txt' }) }] }
    return finishCall()
  }
  if (r.tag === 'secret-reverse') {
    if (r.turn === 0) return { content: `rev ${[...key].reverse().join('')} / ${Buffer.from(key, 'utf16le').toString('base64')} / ${key.split('').join(' ')}`, toolCalls: [] }
    return finishCall()
  }
  if (r.tag === 'secret-name') {
    if (r.turn === 0) return { content: 'ok', toolCalls: [{ id: `${uEsc(key)}`, name: `x${pct(key)}`, arguments: '{}' }] }
    return finishCall()
  }
  throw new Error('unexpected ' + r.tag)
}

let ep: Awaited<ReturnType<typeof startEndpoint>>
beforeAll(async () => { ep = await startEndpoint(answer) })
afterAll(async () => { await ep.close() })

function decodedLeak(texts: Array<[string, string]>, decode: (t: string) => string): string[] {
  return texts.filter(([, t]) => { try { return decode(t).includes(KEY) } catch { return false } }).map(([w]) => w)
}

it.each(['secret-unicode', 'secret-percent', 'secret-split', 'secret-b64wrap', 'secret-reverse', 'secret-name'])('%s', async (task) => {
  const p = await runProbe(task, ep.url)
  console.log(task, p.ms, 'ms; recordError', p.recordError, 'traceErrors', p.traceErrors, p.result.exitCode)
  console.log(task, 'outcomes', JSON.stringify(p.record?.tasks.map((t: any) => t.trials.map((x: any) => [x.outcome, x.reason]))))
  const raw = leaks(p.texts, stdForms(KEY))
  const unicode = decodedLeak(p.texts, (t) => t.replace(/\\\\u([0-9a-f]{4})/g, (_, h) => String.fromCharCode(parseInt(h, 16))).replace(/\\u([0-9a-f]{4})/g, (_, h) => String.fromCharCode(parseInt(h, 16))))
  const percent = decodedLeak(p.texts, (t) => t.replace(/(%[0-9A-F]{2})+/gi, (m) => { try { return decodeURIComponent(m) } catch { return m } }))
  const joined = decodedLeak(p.texts, (t) => t.replace(/\s+/g, ''))
  const halves = p.texts.filter(([, t]) => t.includes(KEY.slice(0, half)) && t.includes(KEY.slice(half))).map(([w]) => w)
  const b64lines = decodedLeak(p.texts, (t) => Buffer.from((t.match(/[A-Za-z0-9+/=\n]{20,}/g) ?? []).map((s) => s.replace(/\n/g, '')).join(''), 'base64').toString('latin1'))
  console.log(task, JSON.stringify({ raw, unicode, percent, joined, halves, b64lines }, null, 1))
  expect(p.failures ?? []).toEqual([])
  expect({ raw, unicode, percent, halves }).toEqual({ raw: [], unicode: [], percent: [], halves: [] })
})
