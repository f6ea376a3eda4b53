import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { readdir, readFile, rm } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { readRecord } from '../../src/record/store.js'
import { readTrace } from '../../src/trace/reader.js'
import { cliPath } from '../support/fixture-project.js'
import { startScriptedEndpoint, type ScriptedEndpoint, type ScriptedRequest } from './scripted-endpoint.js'

// A key given as the plugin option `model.apiKey`, holding `"` and `\`, echoed by the endpoint in an error body, a
// tool-call argument and its content (raw, URL-encoded, base64, hex); besides it, environment secrets that are a
// number and common words. None may reach anything the run writes; nothing may break.

const project = resolve(import.meta.dirname, '../fixtures/secrets-project')
const out = join(project, '.self-harness-echo')
const KEY = (JSON.parse(readFileSync(join(project, 'echo-key.json'), 'utf8')) as { apiKey: string }).apiKey
const DEPLOY_TOKEN = 'dtok-echo-5a4b3c2d1e'
const NUMERIC = '4815162342'
const WORDS = ['finished', 'function'] // a status of the trace format and a word of the protocol

const b64 = (text: string) => Buffer.from(text).toString('base64')
const hex = (text: string) => Buffer.from(text).toString('hex')
/** Every form a secret must not appear in. */
const forms = (secret: string) => [secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret), b64(secret), Buffer.from(secret).toString('base64url'), hex(secret)]

/** The endpoint echoes the key it receives (from the Authorization header) and every other secret. */
function answer(request: ScriptedRequest) {
  const key = request.authorization?.replace(/^Bearer /, '') ?? ''
  const echo = `${request.authorization} ${key} ${encodeURIComponent(key)} ${b64(key)} ${hex(key)} ${NUMERIC} ${WORDS.join(' ')} ${DEPLOY_TOKEN}`
  const tag = /^\[([\w-]+)\]/.exec(request.instruction)?.[1]
  if (tag === 'error-echo') {
    return { status: 401, body: JSON.stringify({ error: { message: `Incorrect API key provided: ${key} (${echo})`, type: 'invalid_request_error', code: 'invalid_api_key' } }) }
  }
  if (tag === 'tool-echo' && request.turn === 0) {
    return {
      content: `I was given ${echo}`,
      toolCalls: [
        { name: 'shell', arguments: JSON.stringify({ command: `printf '%s\\n' '${key}' '${b64(key)}' '${NUMERIC}' > echoed.txt && cat echoed.txt && echo '${encodeURIComponent(key)}'` }) },
        { name: 'write_file', arguments: JSON.stringify({ path: 'key.txt', content: `${key}\n${echo}\n` }) },
      ],
    }
  }
  if ((tag === 'tool-echo' && request.turn === 1) || (tag === 'assert-echo' && request.turn === 0)) {
    return { content: echo, toolCalls: [{ name: 'finish', arguments: JSON.stringify({ summary: `done: ${echo}` }) }] }
  }
  throw new Error(`unexpected call: task ${tag}, turn ${request.turn}`)
}

let endpoint: ScriptedEndpoint
beforeAll(async () => {
  await rm(out, { recursive: true, force: true })
  endpoint = await startScriptedEndpoint(answer)
})
afterAll(async () => {
  await endpoint?.close()
  await rm(out, { recursive: true, force: true })
})

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true })
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name))
}

it('keeps an option key, encoded or not, out of the record, journal, traces, cache, report, blob and terminal; odd secrets break nothing', async () => {
  const runsDir = join(out, 'runs')
  const blob = join(out, 'blob', 'blob.json')
  const child = execa(
    process.execPath,
    [cliPath, 'vitest', 'run', '--config', 'vitest.echo.config.ts', '--harness=baseline', '--no-gate', '--report', '--reporter=default', '--reporter=blob', `--outputFile.blob=${blob}`],
    {
      cwd: project,
      env: {
        OPENAI_BASE_URL: endpoint.url,
        OPENAI_API_KEY: '',
        SELF_HARNESS_MODEL: 'scripted',
        SELF_HARNESS_OUTPUT_DIR: out,
        SELF_HARNESS_CACHE: join(out, 'cache'),
        DEPLOY_TOKEN,
        BUILD_SECRET: NUMERIC,
        MY_PASSWORD: WORDS[0],
        APP_TOKEN: WORDS[1],
        NO_COLOR: '1',
      },
      reject: false,
      all: true,
    },
  )
  // The journal lives only while the run does: keep every version of it seen.
  const journalSeen = new Set<string>()
  const watch = setInterval(() => {
    // Records and journals are keyed by harness and model (`runs/<harness>@<model>.journal.jsonl`).
    if (!existsSync(runsDir)) return
    for (const name of readdirSync(runsDir)) if (name.endsWith('.journal.jsonl')) journalSeen.add(readFileSync(join(runsDir, name), 'utf8'))
  }, 5)
  const run = await child.finally(() => clearInterval(watch))

  expect(endpoint.failures).toEqual([])
  expect(run.all).toContain('self-harness baseline')
  const files = await filesUnder(out)
  const kinds = ['runs/baseline.json', '.jsonl', 'baseline.report.html', 'blob.json', '/cache/']
  for (const kind of kinds) expect(files.some((f) => f.includes(kind)), kind).toBe(true)
  const journals = [...journalSeen].filter(Boolean)
  expect(journals.length).toBeGreaterThan(0)

  const texts: Array<[string, string]> = [...(await Promise.all(files.map(async (f) => [f, await readFile(f, 'utf8')] as [string, string]))), ['terminal', run.all ?? ''], ...journals.map((j) => ['journal', j] as [string, string])]
  for (const [where, text] of texts) {
    for (const secret of [KEY, DEPLOY_TOKEN, NUMERIC]) {
      for (const form of forms(secret)) expect(text.includes(form), `${form} in ${where}`).toBe(false)
    }
  }

  // Every trial is in a record that reads back; every trace parses; the common words are gone from free text.
  const record = await readRecord(join(out, 'runs', 'baseline.json'))
  const outcome = (name: string) => record.tasks.find((t) => t.id.includes(name))?.trials[0]?.outcome
  expect([outcome('tool-echo'), outcome('error-echo'), outcome('assert-echo')]).toEqual(['pass', 'error', 'fail'])
  expect(record.tasks.find((t) => t.id.includes('error-echo'))!.trials[0]!.reason).toContain('Incorrect API key provided: [REDACTED]')
  const traces = files.filter((f) => f.endsWith('.jsonl'))
  expect(traces.length).toBe(3)
  for (const file of traces) {
    const events = await readTrace(file)
    expect(events.map((e) => e.kind)).toContain('trial-end')
    for (const event of events) {
      const free = event.kind === 'model-response' ? event.content : event.kind === 'tool-result' ? event.output : event.kind === 'error' ? event.message : null
      // A value that is exactly one of the format's own words (the finish tool's result `finished`) stays.
      if (free === null || WORDS.includes(free)) continue
      for (const word of WORDS) expect(free, `${event.kind} in ${file}`).not.toMatch(new RegExp(`\\b${word}\\b`))
    }
  }
  const html = readFileSync(join(out, 'runs', 'baseline.report.html'), 'utf8')
  expect(html).toContain('function') // the page's own script is intact: redaction never rewrites the page
})
