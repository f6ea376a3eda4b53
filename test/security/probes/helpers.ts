import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { execa } from 'execa'
import { readRecord } from '../../../src/record/store.js'
import { readTrace } from '../../../src/trace/reader.js'

export const project = resolve(import.meta.dirname, '../../fixtures/probes-project')
export const cli = resolve(import.meta.dirname, '../../../dist/src/cli/bin.js')

export interface Req { tag: string; turn: number; authorization?: string; body: any; messages: any[] }
export type Reply =
  | { content?: string | null; toolCalls?: Array<{ id?: string; name: string; arguments: string }>; finish?: string }
  | { raw: (res: ServerResponse) => void }

export function finishCall(summary = 'done') {
  return { content: null, toolCalls: [{ name: 'finish', arguments: JSON.stringify({ summary }) }] }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

export async function startEndpoint(answer: (r: Req) => Reply) {
  const requests: Req[] = []
  const failures: string[] = []
  let n = 0
  const sockets = new Set<any>()
  const server = createServer(async (req, res) => {
    const send = (status: number, body: string) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(body) }
    try {
      if (req.method === 'GET' && req.url?.endsWith('/models')) return send(200, JSON.stringify({ object: 'list', data: [{ id: 'scripted', object: 'model' }] }))
      const body = JSON.parse(await readBody(req))
      const user = body.messages.find((m: any) => m.role === 'user')
      const instruction = typeof user?.content === 'string' ? user.content : ''
      const r: Req = { tag: /^\[([\w-]+)\]/.exec(instruction)?.[1] ?? '', turn: body.messages.filter((m: any) => m.role === 'assistant').length, authorization: req.headers.authorization, body, messages: body.messages }
      requests.push(r)
      const reply = answer(r)
      if ('raw' in reply) return reply.raw(res)
      n++
      send(200, JSON.stringify({
        id: `x-${n}`, object: 'chat.completion', created: 0, model: 'scripted',
        choices: [{ index: 0, finish_reason: reply.toolCalls?.length ? 'tool_calls' : 'stop', message: { role: 'assistant', content: reply.content ?? null,
          ...(reply.toolCalls?.length ? { tool_calls: reply.toolCalls.map((c, i) => ({ id: c.id ?? `call-${n}-${i}`, type: 'function', function: { name: c.name, arguments: c.arguments } })) } : {}) } }],
        usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
      }))
    } catch (error) {
      failures.push((error as Error).stack ?? String(error))
      send(500, JSON.stringify({ error: { message: `scripted endpoint: ${(error as Error).message}` } }))
    }
  })
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)) })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}/v1`, requests, failures, close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()) }) }
}

export async function filesUnder(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return []
  const entries = await readdir(dir, { withFileTypes: true, recursive: true })
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name))
}

export async function runProbe(task: string, url: string, env: Record<string, string> = {}, timeout = 170_000, outDir?: string) {
  const out = outDir ?? join(tmpdir(), 'self-harness-probes', task.replace('*', 'all'))
  await rm(out, { recursive: true, force: true })
  const started = Date.now()
  const journals = new Set<string>()
  const child = execa(process.execPath, [cli, 'vitest', 'run', '--harness=baseline', '--no-gate', '--report', task.includes('*') ? 'tasks/' + task.replace('*', '') : `tasks/${task}.test.ts`], {
    cwd: project,
    env: { OPENAI_BASE_URL: url, OPENAI_API_KEY: KEY, SELF_HARNESS_MODEL: 'scripted', SELF_HARNESS_OUTPUT_DIR: out, SELF_HARNESS_CACHE: join(out, 'cache'), NO_COLOR: '1', DEPLOY_TOKEN, ...env },
    reject: false, all: true, timeout,
  })
  const watch = setInterval(() => {
    const runs = join(out, 'runs')
    if (!existsSync(runs)) return
    try { for (const name of readdirSync(runs)) if (name.endsWith('.journal.jsonl')) journals.add(readFileSync(join(runs, name), 'utf8')) } catch {}
  }, 20)
  const result = await child.finally(() => clearInterval(watch))
  const ms = Date.now() - started
  const files = await filesUnder(out)
  let record: any, recordError: string | undefined
  try { record = await readRecord(join(out, 'runs', 'baseline.json')) } catch (e) { recordError = String(e) }
  const traceErrors: string[] = []
  const events: any[] = []
  for (const f of files.filter((f) => f.endsWith('.jsonl') && !f.includes('journal'))) {
    try { events.push(...(await readTrace(f))) } catch (e) { traceErrors.push(`${f}: ${e}`) }
  }
  const texts: Array<[string, string]> = [...(await Promise.all(files.map(async (f) => [f, await readFile(f, 'latin1')] as [string, string]))), ['terminal', result.all ?? ''], ...[...journals].map((j) => ['journal', j] as [string, string])]
  return { out, result, ms, files, record, recordError, traceErrors, events, texts }
}

export const KEY = 'Zq9vAttackKey7731xP'
export const DEPLOY_TOKEN = 'dtok-attack-99887766'
export function leaks(texts: Array<[string, string]>, forms: string[]): string[] {
  const found: string[] = []
  for (const [where, text] of texts) for (const form of forms) if (text.includes(form)) found.push(`${JSON.stringify(form)} in ${where}`)
  return found
}
export function stdForms(s: string) {
  return [s, encodeURIComponent(s), Buffer.from(s).toString('base64'), Buffer.from(s).toString('hex')]
}
