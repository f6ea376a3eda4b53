import { describe, expect, it } from 'vitest'
import { compareRuns as compareNow } from '../../src/gate/compare.js'
import type { GatePolicyInput } from '../../src/gate/policy.js'
import type { RunRecord as Rec } from '../../src/record/schema.js'

// These cases pin the per-look test itself: one look at the full alpha, in mode promote (a net gain required).
const compareRuns = (b: Rec, c: Rec, p: GatePolicyInput = {}) => compareNow(b, c, { mode: 'promote', followUpShare: 0, ...p })
import { renderVerdict } from '../../src/report/terminal.js'
import { run, stable } from './records.js'

const pad = stable(8, 'ppppp')
const baseline = run({ ...pad, 'git > commits': 'ppppp', 'fmt > formats': 'fffff', 'net > flaky': 'ppfff' })
const candidate = run(
  { ...pad, 'git > commits': 'fffff', 'fmt > formats': 'ppppp', 'net > flaky': 'pffff' },
  { harness: { name: 'candidate', id: 'h-cand' } },
)

describe('renderVerdict', () => {
  it('shows the status, the counts and each regression and fix with its trials and p-value', () => {
    const text = renderVerdict(compareRuns(baseline, candidate), { color: false })
    expect(text).toContain('✖ REGRESSION')
    expect(text).toContain('exit 1')
    expect(text).toMatch(/git > commits\s+5\/5 → 0\/5\s+p=0\.004 \(adj 0\.0079\)/)
    expect(text).toMatch(/fmt > formats\s+0\/5 → 5\/5/)
    expect(text).toContain('Flaky, no significant change (1)')
    expect(text).toContain('net > flaky')
    expect(text).toContain('11 tasks')
    expect(text).not.toContain('\u001b[')
  })

  it('colours only when asked', () => {
    expect(renderVerdict(compareRuns(baseline, candidate), { color: true })).toContain('\u001b[')
  })

  it('lists invalid and undecided tasks with their error trials', () => {
    const invalid = renderVerdict(
      compareRuns(run({ ...pad, a: 'ppppp' }), run({ ...pad, a: 'fffee' })),
      { color: false },
    )
    expect(invalid).toContain('? INSUFFICIENT EVIDENCE')
    expect(invalid).toMatch(/a\s+5\/5 → 0\/3 \+2 err/)
    const undecided = renderVerdict(compareRuns(run({ a: 'p', b: 'p' }), run({ a: 'f', b: 'p' })), { color: false })
    expect(undecided).toContain('Suspected regressions')
    expect(undecided).toMatch(/a\s+1\/1 → 0\/1/)
  })

  it('explains a refusal', () => {
    const text = renderVerdict(compareRuns(run({ a: 'p' }), run({ b: 'p' })), { color: false })
    expect(text).toContain('NOT COMPARABLE')
    expect(text).toContain('different task sets')
  })

  it('shows split pass counts', () => {
    const verdict = compareRuns(baseline, candidate, {
      rule: 'split',
      splits: { 'git > commits': 'train', 'fmt > formats': 'validation', 'net > flaky': 'sealed' },
    })
    const text = renderVerdict(verdict, { color: false })
    expect(text).toContain('Splits')
    expect(text).toMatch(/sealed\s+1 tasks\s+0\.4 → 0\.2\s+worse \(reported only\)/)
  })
})

describe('pass@k and pass^k, the classes and the follow-up in every rendering', () => {
  const before = run({ ...stable(4, 'ppp'), a: 'ppp', b: 'fff' })
  const after = run({ ...stable(4, 'ppp'), a: 'fff', b: 'ppp' }, { harness: { name: 'candidate', id: 'h-cand' } })
  const verdict = compareNow(before, after)

  it('puts them in the verdict, per task and overall', () => {
    expect(verdict.passK).toEqual({ k: 3, baseline: { passAtK: 5 / 6, passHatK: 5 / 6 }, candidate: { passAtK: 5 / 6, passHatK: 5 / 6 } })
    expect(verdict.tasks.find((t) => t.id === 'a')?.passK?.candidate).toEqual({ passAtK: 0, passHatK: 0 })
    expect(verdict.stability).toMatchObject({ stable: 5, failing: 1 })
  })

  it('shows them in the terminal, the step summary and the HTML report', async () => {
    const { renderVerdictMarkdown } = await import('../../src/report/markdown.js')
    const { renderHtmlReport } = await import('../../src/report/html/render.js')
    const text = renderVerdict(verdict, { color: false })
    expect(text).toContain('pass@3 83.3% → 83.3% · pass^3 83.3% → 83.3%')
    expect(text).toContain('stability: 5 stable')
    expect(text).toContain('self-harness vitest run --harness=candidate --trials=3 --baseline=<baseline.json> --adaptive=')
    const markdown = renderVerdictMarkdown(verdict)
    expect(markdown).toContain('| candidate | 83.3% | 83.3% |')
    expect(markdown).toContain('### Suspected regressions (1)')
    expect(markdown).toContain('**Suspected regression**')
    const html = renderHtmlReport({ candidate: after, baseline: before, verdict, traces: {}, maxTraceEvents: 10, traceTrials: 'all' } as never)
    expect(html).toContain('pass@3')
    expect(html).toContain('pass^3')
    expect(html).toContain('data-follow-up')
  })
})

describe('renderVerdictMarkdown', () => {
  it('writes pass sums as the console does, and marks a final verdict as superseding an earlier look', async () => {
    const { renderVerdictMarkdown } = await import('../../src/report/markdown.js')
    const verdict = compareRuns(run({ ...stable(5, 'ppp'), a: 'ppf', b: 'pff' }), run({ ...stable(5, 'ppp'), a: 'ppf', b: 'pff' }, { harness: { name: 'candidate', id: 'h-cand' } }), { mode: 'check' })
    expect(verdict.counts.baselinePasses).toBeCloseTo(6, 5)
    const sums = renderVerdictMarkdown({ ...verdict, counts: { ...verdict.counts, baselinePasses: 19 / 3, candidatePasses: 6 } })
    expect(sums).toContain('| 7 | 6.3 | 6 |')
    expect(sums).not.toContain('6.333')
    const first = renderVerdictMarkdown(verdict)
    expect(first).toMatch(/^## self-harness: Accepted: no regression \(exit 0\)/)
    const final = renderVerdictMarkdown(verdict, undefined, { supersedes: 1 })
    expect(final).toMatch(/^## self-harness final verdict: Accepted: no regression \(exit 0\)/)
    expect(final).toContain('supersedes the look 1 verdict above')
  })
})
