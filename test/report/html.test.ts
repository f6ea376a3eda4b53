import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../../src/cli/main.js'
import { ConfigurationError } from '../../src/errors.js'
import { LedgerEntrySchema } from '../../src/evolve/ledger.js'
import { compareRuns } from '../../src/gate/compare.js'
import { RunRecordSchema, type RunRecord } from '../../src/record/schema.js'
import type { TraceEvent } from '../../src/trace/events.js'
import { parseTrace } from '../../src/trace/reader.js'
import { alignTraces, traceSteps } from '../../src/report/html/align.js'
import { chartSeries } from '../../src/report/html/chart.js'
import { lineageFromLedger } from '../../src/report/html/lineage.js'
import { capTrace, loadReportData } from '../../src/report/html/load.js'
import { renderHtmlReport } from '../../src/report/html/render.js'
import { traceKey, type ReportData } from '../../src/report/html/types.js'
import { buildView } from '../../src/report/html/view.js'

const formats = resolve(import.meta.dirname, '../../fixtures/formats')
const sample = (name: string) => readFile(join(formats, name), 'utf8')

let dir: string
let record: RunRecord
let trace: TraceEvent[]

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'report-html-'))
  record = RunRecordSchema.parse(JSON.parse(await sample('run-record.v1.json')))
  trace = parseTrace(await sample('trace.v1.jsonl'))
})
afterAll(() => rm(dir, { recursive: true, force: true }))

/** A trace of shell calls, each `ok` unless listed in `failing`. */
function shellTrace(commands: string[], failing: string[] = []): TraceEvent[] {
  const events: TraceEvent[] = [{ t: 0, kind: 'trial-start', taskId: 't', trial: 0, harnessId: 'h', model: 'm', instruction: 'do it' }]
  commands.forEach((command, i) => {
    events.push({ t: i * 10 + 1, kind: 'tool-call', turn: i + 1, id: `c${i}`, name: 'shell', arguments: { command } })
    events.push({ t: i * 10 + 2, kind: 'tool-result', turn: i + 1, id: `c${i}`, name: 'shell', ok: !failing.includes(command), durationMs: 1, output: 'exit code: 0', truncated: false })
  })
  events.push({ t: 99, kind: 'trial-end', status: 'finished', turns: commands.length, toolCalls: commands.length, tokens: { prompt: 1, completion: 1 }, durationMs: 99 })
  return events
}

describe('aligning two traces by step', () => {
  it('reads a trace as its tool calls, with the assertion after the end', () => {
    const { steps, end } = traceSteps(trace)
    expect(steps.map((s) => s.tool)).toEqual(['shell', 'finish'])
    expect(steps[0]).toMatchObject({ n: 1, ok: false, argument: "git add VERSION && git commit -q -m 'chore: version file'" })
    expect(steps[0]!.output).toContain('Author identity unknown')
    expect(end[0]).toMatch(/^finished after 2 turn/)
    expect(end.at(-1)).toContain('assertion error ASSERTION')
  })

  it('marks the first step where the two traces part', () => {
    const aligned = alignTraces(shellTrace(['ls', 'git commit', 'cat a']), shellTrace(['ls', 'git config user.name A', 'git commit', 'cat a']))
    expect(aligned.divergeAt).toBe(1)
    expect(aligned.divergence).toBe('the candidate took an extra step')
    expect(aligned.rows.map((r) => [r.baseline?.argument, r.candidate?.argument, r.same])).toEqual([
      ['ls', 'ls', true],
      [undefined, 'git config user.name A', false],
      ['git commit', 'git commit', true],
      ['cat a', 'cat a', true],
    ])
  })

  it('tells a different result of the same call from a different call', () => {
    expect(alignTraces(shellTrace(['ls', 'make'], ['make']), shellTrace(['ls', 'make'])).divergence).toBe('same call, different result')
    expect(alignTraces(shellTrace(['ls', 'make']), shellTrace(['ls', 'cmake'])).divergence).toBe('different call')
    expect(alignTraces(shellTrace(['ls']), shellTrace(['ls'])).divergeAt).toBe(-1)
  })

  it('keeps the start and the end of a long trace and says where it cut', () => {
    const long = shellTrace(Array.from({ length: 300 }, (_, i) => `echo ${i}`))
    const slice = capTrace(long, 100)
    expect(slice.events).toHaveLength(100)
    expect(slice).toMatchObject({ total: 602, omittedAt: 75, omitted: 502 })
    expect(slice.events.at(-1)!.kind).toBe('trial-end')
  })
})

describe('the evolve ledger as a lineage', () => {
  it('reads the accepted versions, their edits and their pass counts', async () => {
    const { lineage, notes } = lineageFromLedger(await sample('ledger.v1.jsonl'), 'ledger.jsonl')
    expect(notes).toEqual([])
    expect(lineage!.steps.map((s) => [s.iteration, s.harnessId, s.parent])).toEqual([[0, '055feaf06c0fe973', undefined], [1, '9303802178af0d19', '055feaf06c0fe973']])
    expect(lineage!.steps[1]!.edits.some((e) => e.startsWith('add finalChecks'))).toBe(true)
    expect(lineage!.refused).toBeGreaterThan(0)
    const series = chartSeries(lineage!)
    expect(series.validation.map((p) => p.count)).toEqual([{ passed: 10, tasks: 21 }, { passed: 17, tasks: 21 }])
    expect(series.sealed.map((p) => p.count)).toEqual([{ passed: 4, tasks: 10 }, { passed: 5, tasks: 10 }])
  })

  it('accepts every line the evolve side writes', async () => {
    const lines = (await sample('ledger.v1.jsonl')).trim().split('\n')
    for (const line of lines) expect(LedgerEntrySchema.safeParse(JSON.parse(line)).success).toBe(true)
    expect(() => lineageFromLedger(lines.join('\n'), 'l')).not.toThrow()
  })

  it('leaves out a last line cut short and refuses a damaged line before it', async () => {
    const cut = lineageFromLedger(await sample('ledger.v1.truncated-tail.jsonl'), 'cut.jsonl')
    expect(cut.notes.join()).toMatch(/cut short/)
    expect(() => lineageFromLedger('{"schemaVersion":1,"kind":"start"\n{}\n', 'bad.jsonl')).toThrow(/bad\.jsonl: line 1/)
  })
})

describe('renderHtmlReport', () => {
  const data = (): ReportData => {
    const candidate: RunRecord = { ...record, harness: { name: 'fixer', id: 'f1' } }
    candidate.tasks = record.tasks.map((t) => (t.id.includes('commit-file') ? { ...t, trials: t.trials.map((x) => ({ ...x, outcome: 'pass' as const })) } : t))
    const traces = { [traceKey('baseline', record.tasks[0]!.id, 0)]: capTrace(trace, 400), [traceKey('candidate', record.tasks[0]!.id, 0)]: capTrace(trace, 400) }
    return { candidate, baseline: record, verdict: compareRuns(record, candidate, { underpowered: 'strict' }), traces, maxTraceEvents: 400, traceTrials: 'all' }
  }

  it('makes one self-contained file: no external URL, the data escaped', () => {
    const input = data()
    input.candidate.tasks[1] = { ...input.candidate.tasks[1]!, name: '</script><script>alert(1)</script>' }
    const html = renderHtmlReport(input)
    expect(html).not.toMatch(/https?:\/\//)
    expect(html).not.toMatch(/<link|<img|@import|url\(/)
    expect(html.match(/<script/g)!.length).toBe(html.match(/<\/script>/g)!.length)
    expect(html).not.toContain('<script>alert(1)')
    expect(html).toContain("default-src 'none'")
  })

  it('shows the verdict and its fixes, and puts the flipped task first with a side-by-side block', () => {
    const input = data()
    const html = renderHtmlReport(input)
    expect(html).toContain('data-status="accepted"')
    expect(html).toMatch(/Fixes \(1\)[\s\S]*commit-file/)
    const { view, lazy } = buildView(input)
    expect(view.tasks[0]!.change).toBe('fix')
    expect(view.passSet.candidateOnly).toEqual([0])
    const flip = lazy[view.tasks[0]!.flip!] as { aligned?: { divergeAt: number } }
    expect(flip.aligned!.divergeAt).toBe(-1) // the same trace on both sides
  })

  it('draws the lineage chart as inline SVG with a point per known pass rate', async () => {
    const { lineage } = lineageFromLedger(await sample('ledger.v1.jsonl'), 'l')
    const html = renderHtmlReport({ ...data(), lineage: lineage! })
    const svg = /<svg class="chart"[\s\S]*?<\/svg>/.exec(html)![0]
    expect(svg.match(/<circle class="point validation"/g)).toHaveLength(2)
    expect(svg.match(/<circle class="point sealed"/g)).toHaveLength(2)
  })
})

describe('loadReportData and self-harness report', () => {
  async function project(): Promise<string> {
    const runs = join(dir, 'runs')
    await mkdir(runs, { recursive: true })
    await writeFile(join(runs, 'baseline.json'), await sample('run-record.v1.json'))
    const first = join(runs, record.tasks[0]!.trials[0]!.tracePath!)
    await mkdir(dirname(first), { recursive: true })
    await writeFile(first, await sample('trace.v1.jsonl'))
    return join(runs, 'baseline.json')
  }

  it('reads traces relative to the record, and tells which could not be read', async () => {
    const file = await project()
    const data = await loadReportData({ candidate: file, weaknesses: join(formats, 'weaknesses.v1.json'), ledger: join(formats, 'ledger.v1.jsonl') })
    expect(data.traceTrials).toBe('all')
    const first = data.traces[traceKey('candidate', record.tasks[0]!.id, 0)]!
    expect(first.events).toHaveLength(11)
    expect(data.traces[traceKey('candidate', record.tasks[0]!.id, 1)]!.error).toMatch(/Cannot read the trace/)
    expect(data.notes!.join()).toMatch(/5 trace\(s\) could not be read/)
    expect(data.weaknesses!.weaknesses.length).toBeGreaterThan(0)
    expect(data.lineage!.steps).toHaveLength(2)
  })

  it('reads only failed trials when asked', async () => {
    const data = await loadReportData({ candidate: await project(), traceTrials: 'failed-and-flipped' })
    expect(Object.keys(data.traces)).toEqual([0, 1].map((i) => traceKey('candidate', record.tasks[0]!.id, i)))
  })

  it('refuses bad input with the file and the field', async () => {
    const file = await project()
    await expect(loadReportData({ candidate: join(dir, 'missing.json') })).rejects.toThrow(/No run record/)
    await expect(loadReportData({ candidate: file, verdict: join(formats, 'verdict.v1.broken-field.json') })).rejects.toThrow(ConfigurationError)
    await expect(loadReportData({ candidate: file, verdict: join(formats, 'verdict.v1.json') })).rejects.toThrow(/judges harness e2767ac5a49c8448/)
    await expect(loadReportData({ candidate: join(formats, 'run-record.v2-schema.json') })).rejects.toThrow(ConfigurationError)
    await expect(loadReportData({ candidate: file, maxTraceEvents: 0 })).rejects.toThrow(/`maxTraceEvents`/)
    await expect(loadReportData({ candidate: file, ledger: join(formats, 'ledger.v1.corrupt-middle.jsonl') })).rejects.toThrow(/line \d+/)
  })

  it('writes the report from the command line (exit 0), and exits 2 on bad input', async () => {
    const file = await project()
    const out = join(dir, 'out', 'report.html')
    expect(await main(['report', file, `--out=${out}`, `--ledger=${join(formats, 'ledger.v1.jsonl')}`], dir)).toBe(0)
    expect(await readFile(out, 'utf8')).toMatch(/^<!doctype html>[\s\S]*<svg class="chart"/)
    expect(await main(['report', join(dir, 'missing.json')], dir)).toBe(2)
    expect(await main(['report'], dir)).toBe(2)
    expect(await main(['report', file, '--bogus'], dir)).toBe(2)
    expect(await main(['report', file, '--verdict=' + join(formats, 'verdict.v1.broken-field.json')], dir)).toBe(2)
  })
})
