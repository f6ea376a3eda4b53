import { spawnSync } from 'node:child_process'
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildRecord } from '../../src/record/store.js'
import type { OtlpTraceRequest } from '../../src/trace/otlp.js'

const cli = resolve(import.meta.dirname, '../../dist/src/cli/bin.js')
const formats = resolve(import.meta.dirname, '../../fixtures/formats')
const collectorParser = resolve(import.meta.dirname, '../fixtures/otlp-collector')
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'self-harness-export-'))
  await mkdir(join(dir, 'traces'), { recursive: true })
  await copyFile(join(formats, 'trace.v1.jsonl'), join(dir, 'traces', 'commit-0.jsonl'))
  const trial = { durationMs: 181, tokens: { prompt: 899, completion: 61 }, turns: 2, toolCalls: 2, status: 'finished' }
  const record = buildRecord({
    harness: { name: 'baseline', id: 'b30faca3ce3e2356' },
    model: 'sim-steady',
    trials: 2,
    createdAt: '2026-01-01T00:00:00.000Z',
    tasks: [
      {
        id: 'tasks/commit-file.test.ts > commits a file',
        file: 'tasks/commit-file.test.ts',
        name: 'commits a file',
        trials: [
          { index: 0, outcome: 'fail', reason: 'expected "" to be "chore: version file"', tracePath: 'traces/commit-0.jsonl', ...trial },
          { index: 1, outcome: 'pass', tracePath: 'traces/commit-1.jsonl', ...trial },
        ],
      },
    ],
  })
  await writeFile(join(dir, 'baseline.json'), JSON.stringify(record))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

function run(args: string[]) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(FORCE_COLOR|NO_COLOR|CI|OPENAI_|SELF_HARNESS)/.test(k))) as Record<string, string>
  return execa(process.execPath, [cli, ...args], { cwd: dir, env: { ...env, NO_COLOR: '1' }, extendEnv: false, reject: false })
}

const spansOf = (request: OtlpTraceRequest) => request.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans))

describe('self-harness export', () => {
  it("writes a record's traces as OTLP/JSON, naming the trials whose trace is missing", async () => {
    const result = await run(['export', 'baseline.json', '--out', 'out/traces.otlp.json'])
    expect(result.stderr).toContain('commits a file trial 1: Cannot read the trace')
    expect(result.exitCode).toBe(0)
    expect(result.stdout).toMatch(/^Wrote out\/traces\.otlp\.json: 1 trace\(s\), 5 span\(s\) as OTLP\/JSON\.$/)
    const request = JSON.parse(await readFile(join(dir, 'out', 'traces.otlp.json'), 'utf8')) as OtlpTraceRequest
    const resource = Object.fromEntries(request.resourceSpans[0]!.resource.attributes.map((a) => [a.key, Object.values(a.value)[0]]))
    expect(resource).toMatchObject({ 'service.name': 'self-harness', 'self_harness.harness.name': 'baseline', 'self_harness.model': 'sim-steady' })
    const spans = spansOf(request)
    expect(spans.map((s) => s.name)).toEqual(['invoke_agent self-harness', 'chat sim-steady', 'execute_tool shell', 'chat sim-steady', 'execute_tool finish'])
    expect(spans[0]!.attributes).toContainEqual({ key: 'self_harness.outcome', value: { stringValue: 'fail' } })
  })

  it('prints one trace file as OTLP/JSON on stdout when no --out is given', async () => {
    const result = await run(['export', 'traces/commit-0.jsonl'])
    expect(result.exitCode).toBe(0)
    const spans = spansOf(JSON.parse(result.stdout) as OtlpTraceRequest)
    expect(spans).toHaveLength(5)
    expect(new Set(spans.map((s) => s.traceId)).size).toBe(1)
  })

  it('refuses an unknown format, an unknown flag, a missing file and a file that is neither, with exit code 2', async () => {
    const format = await run(['export', 'baseline.json', '--format=zipkin'])
    expect([format.exitCode, format.stderr.trim()]).toEqual([2, 'self-harness: Expected `--format` to be otlp-json, got `zipkin`.'])
    const flag = await run(['export', 'baseline.json', '--outt=x.json'])
    expect(flag.exitCode).toBe(2)
    expect(flag.stderr).toContain('unknown flag `--outt` for `self-harness export`; did you mean `--out`?')
    expect((await run(['export', 'nothing.json'])).exitCode).toBe(2)
    await writeFile(join(dir, 'other.json'), '{"hello": "world"}\n')
    const other = await run(['export', 'other.json'])
    expect(other.exitCode).toBe(2)
    expect(other.stderr).toContain('other.json')
    const help = await run(['export', '--help'])
    expect(help.exitCode).toBe(0)
    expect(help.stdout).toContain('--format <format>')
  })

  // The Collector's pdata module needs Go 1.26 (the polyglot machines have it); with an older Go or none, the test is skipped.
  const goVersion = /go1\.(\d+)/.exec(spawnSync('go', ['version'], { encoding: 'utf8' }).stdout ?? '')
  const go = goVersion !== null && Number(goVersion[1]) >= 26
  it.skipIf(!go)('writes a file the OpenTelemetry Collector\'s own OTLP/JSON parser reads back, span for span', async () => {
    const out = join(dir, 'collector.otlp.json')
    expect((await run(['export', 'baseline.json', `--out=${out}`])).exitCode).toBe(0)
    const bin = join(dir, 'otlpcheck')
    const build = spawnSync('go', ['build', '-mod=readonly', '-o', bin, '.'], { cwd: collectorParser, encoding: 'utf8', timeout: 280_000, env: { ...process.env, GOTOOLCHAIN: 'local' } })
    expect(build.status, `go build of the Collector parser: ${build.stderr}`).toBe(0) // it may download its modules first
    const parsed = spawnSync(bin, [out], { encoding: 'utf8' })
    expect(parsed.stderr).toBe('')
    expect(parsed.status).toBe(0)
    const spans = JSON.parse(parsed.stdout) as Array<{ TraceID: string; SpanID: string; ParentSpanID: string; Name: string; Kind: string; Status: string; Start: number; End: number; Attributes: Record<string, unknown>; Events: string[] }>
    const ours = spansOf(JSON.parse(await readFile(out, 'utf8')) as OtlpTraceRequest)
    expect(spans.map((s) => [s.TraceID, s.SpanID, s.ParentSpanID, s.Name])).toEqual(ours.map((s) => [s.traceId, s.spanId, s.parentSpanId ?? '', s.name]))
    expect(spans.map((s) => s.Kind)).toEqual(['Internal', 'Client', 'Internal', 'Client', 'Internal'])
    expect(spans[2]).toMatchObject({ Status: 'Error', Attributes: { 'gen_ai.tool.name': 'shell', 'gen_ai.operation.name': 'execute_tool' } })
    expect(spans[1]!.Attributes['gen_ai.usage.input_tokens']).toBe(365)
    expect(spans[0]!.Events).toContain('exception')
    for (const span of spans) expect(span.End).toBeGreaterThanOrEqual(span.Start)
  }, 300_000)
})
