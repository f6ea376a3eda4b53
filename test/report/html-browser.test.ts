import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { execa } from 'execa'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSimServer } from '../../fixtures/sim/server.js'
import { compareRuns } from '../../src/gate/compare.js'
import type { RunRecord, TaskRecord } from '../../src/record/schema.js'
import { buildRecord } from '../../src/record/store.js'
import type { TraceEvent } from '../../src/trace/events.js'
import { capTrace, loadReportData } from '../../src/report/html/load.js'
import { renderHtmlReport } from '../../src/report/html/render.js'
import { traceKey, type ReportData, type TraceSlice } from '../../src/report/html/types.js'

// The report opened in headless Chromium (Debian package `chromium`), from a file, with no server.

const CHROMIUM = '/usr/bin/chromium'
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']
const project = resolve(import.meta.dirname, '../fixtures/gate-project')
const cli = resolve(import.meta.dirname, '../../dist/src/cli/bin.js')
const formats = resolve(import.meta.dirname, '../../fixtures/formats')

let browser: Browser
let out: string
let reportFile: string

/** Opens a report file; every request the page makes is collected, and page errors fail the test. */
async function open(file: string, hash = ''): Promise<{ page: Page; requests: string[]; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  const requests: string[] = []
  const errors: string[] = []
  page.on('request', (request) => requests.push(request.url()))
  page.on('pageerror', (error) => errors.push(String(error)))
  await page.goto(pathToFileURL(file).href + hash)
  await page.waitForFunction(() => (window as unknown as { __report?: { firstRenderMs: number } }).__report?.firstRenderMs)
  return { page, requests, errors }
}

describe.skipIf(!existsSync(CHROMIUM))(`the HTML report in headless Chromium (skipped when ${CHROMIUM} is missing: install the Debian package chromium)`, () => {
  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'report-browser-'))
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS })
    // A real run of the fixture project under two harnesses against the simulated model: `breaker` loses a task.
    const sim = await startSimServer({ solutionsDir: join(project, 'solutions'), seed: 1 })
    try {
      const env = { OPENAI_BASE_URL: sim.url, OPENAI_API_KEY: 'test-key', SELF_HARNESS_MODEL: 'sim-steady', NO_COLOR: '1', SELF_HARNESS_OUTPUT_DIR: out }
      const run = (args: string[]) => execa(process.execPath, [cli, 'vitest', 'run', ...args], { cwd: project, env, reject: false, all: true })
      const base = await run(['--harness=baseline', '--no-gate', '--trials=2'])
      expect(existsSync(join(out, 'runs', 'baseline.json')), base.all).toBe(true)
      const gated = await run(['--harness=breaker', '--trials=2', `--baseline=${join(out, 'runs', 'baseline.json')}`])
      expect(gated.exitCode, gated.all).toBe(1)
    } finally {
      await sim.close()
    }
    const data = await loadReportData({
      candidate: join(out, 'runs', 'breaker.json'),
      baseline: join(out, 'runs', 'baseline.json'),
      verdict: join(out, 'runs', 'breaker.verdict.json'),
      weaknesses: join(formats, 'weaknesses.v1.json'),
      ledger: join(formats, 'ledger.v1.jsonl'),
    })
    reportFile = join(out, 'report.html')
    await writeFile(reportFile, renderHtmlReport(data))
  }, 180_000)
  afterAll(async () => {
    await browser?.close()
    await rm(out, { recursive: true, force: true })
  })

  it('renders the verdict with the regression listed, and asks for nothing but its own file', async () => {
    const { page, requests, errors } = await open(reportFile)
    expect(await page.locator('#verdict').getAttribute('data-status')).toBe('regression')
    expect(await page.locator('[data-list="regressions"]').innerText()).toContain('tasks/count-lines.test.ts > counts lines into a report')
    expect(await page.locator('[data-cell="baseline-only"]').innerText()).toContain('count-lines')
    expect(errors).toEqual([])
    expect(requests).toEqual([pathToFileURL(reportFile).href])
    await page.close()
  })

  it('opens a task from the list: its trials and a trace timeline; back returns to the list', async () => {
    const { page, errors } = await open(reportFile)
    await page.click('nav a[data-nav="tasks"]')
    await expect.poll(() => page.locator('#task-rows tr[data-task]').count()).toBe(3)
    await page.locator('#task-rows tr', { hasText: 'writes a note' }).click()
    await page.waitForSelector('#task-title')
    expect(page.url()).toMatch(/#task\/\d+$/)
    expect(await page.locator('#task-title').innerText()).toBe('writes a note')
    expect(await page.locator('.trials[data-side="candidate"] tbody tr').count()).toBe(2)
    expect(await page.locator('.trials[data-side="baseline"] tbody tr').count()).toBe(2)
    expect(await page.locator('#timeline .timeline li.tool-call').count()).toBeGreaterThan(0)
    expect(await page.locator('#timeline .timeline li.trial-end').innerText()).toMatch(/finished/)
    await page.click('.trials[data-side="baseline"] tr[data-trial="1"]')
    await page.waitForSelector('.trials[data-side="baseline"] tr[data-trial="1"].selected')
    expect(await page.locator('#timeline-title').innerText()).toContain('baseline trial #1')
    await page.click('a.back')
    await page.waitForSelector('#view-tasks', { state: 'visible' })
    await page.goBack()
    await page.waitForSelector('#view-task', { state: 'visible' })
    await page.click('nav a[data-nav="weaknesses"]')
    await page.waitForSelector('#view-weaknesses', { state: 'visible' })
    expect(await page.locator('.weakness').count()).toBeGreaterThan(0)
    expect(errors).toEqual([])
    await page.close()
  })

  it('shows a flipped task side by side, with the first divergent step marked', async () => {
    const { page, errors } = await open(reportFile)
    await page.click('[data-list="regressions"] a.task-link')
    await page.waitForSelector('#sbs', { state: 'visible' })
    expect(await page.locator('#sbs .head').nth(1).innerText()).toMatch(/Baseline #\d · pass/)
    expect(await page.locator('#sbs .head').nth(2).innerText()).toMatch(/Candidate #\d · fail/)
    expect(await page.locator('#divergence').innerText()).toContain('first divergence: different call')
    expect(await page.locator('#sbs .step.diverge').first().innerText()).toMatch(/shell|finish/)
    expect(errors).toEqual([])
    await page.close()
  })

  it('draws the lineage chart: an SVG with a point per pass rate', async () => {
    const { page, errors } = await open(reportFile, '#lineage')
    expect(await page.locator('svg.chart').isVisible()).toBe(true)
    expect(await page.locator('svg.chart circle.point.validation').count()).toBe(2)
    expect(await page.locator('svg.chart circle.point.sealed').count()).toBe(2)
    expect(await page.locator('.version .diff-line').count()).toBeGreaterThan(0)
    expect(errors).toEqual([])
    await page.close()
  })

  it('stays responsive with 1,000 tasks x 3 trials', async () => {
    const file = join(out, 'large.html')
    const html = renderHtmlReport(largeReport(1000, 3))
    await writeFile(file, html)
    const { page, requests, errors } = await open(file)
    const first = await page.evaluate(() => ({
      script: (window as unknown as { __report: { firstRenderMs: number } }).__report.firstRenderMs,
      sinceNavigation: performance.getEntriesByName('report-rendered')[0]!.startTime,
    }))
    const timed = (action: string) =>
      page.evaluate((action) => {
        const t0 = performance.now()
        const search = document.getElementById('task-search') as HTMLInputElement
        const filter = document.getElementById('task-filter') as HTMLSelectElement
        if (action === 'tasks') location.hash = 'tasks'
        if (action === 'search') { search.value = 'task-07'; search.dispatchEvent(new Event('input')) }
        if (action === 'clear') { search.value = ''; search.dispatchEvent(new Event('input')) }
        if (action === 'filter') { filter.value = 'failing'; filter.dispatchEvent(new Event('change')) }
        if (action === 'page') (document.getElementById('page-next') as HTMLButtonElement).click()
        if (action === 'open') (document.querySelector('#task-rows tr[data-task]') as HTMLElement).click()
        return new Promise<number>((done) => {
          const check = () => {
            const ready = action === 'open' ? document.querySelector('#timeline .timeline') : action === 'tasks' ? document.querySelector('#task-rows tr[data-task]') : true
            if (ready) { void document.body.offsetHeight; done(performance.now() - t0) } else requestAnimationFrame(check)
          }
          check()
        })
      }, action)
    const times: Record<string, number> = {}
    for (const action of ['tasks', 'search', 'clear', 'filter', 'page', 'open']) times[action] = await timed(action)
    expect(await page.locator('#task-title').isVisible()).toBe(true)
    console.log(`large report (${(html.length / 1e6).toFixed(1)} MB): first render ${first.sinceNavigation.toFixed(0)} ms after navigation (script ${first.script.toFixed(0)} ms); ` +
      Object.entries(times).map(([k, v]) => `${k} ${v.toFixed(0)} ms`).join(', '))
    expect(first.sinceNavigation).toBeLessThan(3000)
    for (const [action, ms] of Object.entries(times)) expect(ms, action).toBeLessThan(500)
    expect(errors).toEqual([])
    expect(requests).toEqual([pathToFileURL(file).href])
    await page.close()
  }, 60_000)
})

/** A synthetic report: `tasks` tasks of `trials` trials, a fifth of them failing, with traces for failed trials. */
function largeReport(tasks: number, trials: number): ReportData {
  let seed = 7
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
  const traces: Record<string, TraceSlice> = {}
  const side = (harness: string, failRate: number): RunRecord => {
    const list: TaskRecord[] = Array.from({ length: tasks }, (_, n) => {
      const id = `tasks/task-${String(n).padStart(4, '0')}.test.ts > does thing ${n}`
      return {
        id, file: id.split(' > ')[0]!, name: `does thing ${n}`,
        trials: Array.from({ length: trials }, (_, index) => {
          const outcome = random() < failRate ? ('fail' as const) : ('pass' as const)
          const tracePath = `traces/${n}/${index}.jsonl`
          if (outcome === 'fail') traces[traceKey(harness === 'baseline' ? 'baseline' : 'candidate', id, index)] = capTrace(syntheticTrace(id, index, 6), 400)
          return { index, outcome, durationMs: 800 + random() * 4000, tokens: { prompt: 2000, completion: 120 }, turns: 6, toolCalls: 6, tracePath, status: 'finished', ...(outcome === 'fail' ? { reason: 'expected 5 to be 6' } : {}) }
        }),
      }
    })
    return buildRecord({ harness: { name: harness, id: `${harness}-id` }, model: 'sim-steady', trials, tasks: list, createdAt: '2026-01-01T00:00:00.000Z' })
  }
  const baseline = side('baseline', 0.2)
  const candidate = side('candidate', 0.2)
  return { baseline, candidate, verdict: compareRuns(baseline, candidate), traces, maxTraceEvents: 400, traceTrials: 'failed-and-flipped' }
}

function syntheticTrace(taskId: string, trial: number, steps: number): TraceEvent[] {
  const events: TraceEvent[] = [{ t: 0, kind: 'trial-start', taskId, trial, harnessId: 'h', model: 'sim-steady', instruction: 'Count the lines of every file and write the total to total.txt.' }]
  for (let i = 1; i <= steps; i++) {
    const command = `grep -c . data/file-${i}.txt >> counts.txt && cat counts.txt | head -n 20`
    events.push(
      { t: i * 100, kind: 'model-request', turn: i, messages: 2 * i },
      { t: i * 100 + 20, kind: 'model-response', turn: i, durationMs: 20, content: null, toolCalls: [{ id: `c${i}`, name: 'shell', arguments: JSON.stringify({ command }) }], tokens: { prompt: 300, completion: 20 } },
      { t: i * 100 + 21, kind: 'tool-call', turn: i, id: `c${i}`, name: 'shell', arguments: { command } },
      { t: i * 100 + 60, kind: 'tool-result', turn: i, id: `c${i}`, name: 'shell', ok: i !== steps - 1, durationMs: 39, output: `exit code: 0\nstdout:\n${'12\n'.repeat(8)}`, truncated: false },
    )
  }
  events.push({ t: steps * 100 + 80, kind: 'trial-end', status: 'finished', turns: steps, toolCalls: steps, tokens: { prompt: 1800, completion: 120 }, durationMs: steps * 100 + 80 })
  events.push({ t: steps * 100 + 90, kind: 'error', source: 'assertion', code: 'ASSERTION', message: 'expected 5 to be 6' })
  return events
}

