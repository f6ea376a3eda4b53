import { access, readFile } from 'node:fs/promises'
import { basename, dirname, join, relative, resolve } from 'node:path'
import { ConfigurationError } from '../../errors.js'
import { writeFileAtomic } from '../../record/store.js'
import { loadReportData, type LoadReportOptions } from '../../report/html/load.js'
import { renderHtmlReport } from '../../report/html/render.js'
import { stringFlag, type ParsedArgs } from '../args.js'

/** Default file `self-harness report` writes. */
export const DEFAULT_REPORT_FILE = 'report.html'

const USAGE = 'self-harness report <candidate-record> [--baseline=REC] [--verdict=FILE] [--weaknesses=FILE] [--ledger=FILE] [--out=report.html] [--traces=all|failed-and-flipped] [--max-trace-events=400]'
const FLAGS = new Set(['baseline', 'verdict', 'weaknesses', 'ledger', 'out', 'traces', 'max-trace-events'])

const exists = (file: string) => access(file).then(() => true, () => false)

/**
 * Finds what lies beside a record when not given: `<name>.verdict.json`, `<name>.weaknesses.json`, and the
 * verdict's baseline record `<baseline name>.json` when its harness id matches.
 */
export async function reportInputs(args: ParsedArgs, cwd: string): Promise<LoadReportOptions> {
  const [file] = args.positional
  if (!file) throw new ConfigurationError('USAGE', `Expected a candidate record: ${USAGE}`, { field: 'record' })
  const unknown = Object.keys(args.flags).filter((name) => !FLAGS.has(name))
  if (unknown.length) throw new ConfigurationError('USAGE', `Unknown flag \`--${unknown[0]}\`. Usage: ${USAGE}`, { field: unknown[0] })
  const candidate = resolve(cwd, file)
  const dir = dirname(candidate)
  const stem = basename(candidate).replace(/\.json$/, '')
  const given = (name: string) => {
    const value = stringFlag(args, name)
    return value === undefined ? undefined : resolve(cwd, value)
  }
  const beside = async (suffix: string) => {
    const path = join(dir, `${stem}${suffix}`)
    return (await exists(path)) ? path : undefined
  }
  const options: LoadReportOptions = { candidate }
  const verdict = given('verdict') ?? (await beside('.verdict.json'))
  const weaknesses = given('weaknesses') ?? (await beside('.weaknesses.json'))
  const baseline = given('baseline') ?? (verdict ? await baselineOfVerdict(verdict, dir, candidate) : undefined)
  const ledger = given('ledger')
  if (verdict) options.verdict = verdict
  if (weaknesses) options.weaknesses = weaknesses
  if (baseline) options.baseline = baseline
  if (ledger) options.ledger = ledger
  const traces = stringFlag(args, 'traces')
  if (traces !== undefined) {
    if (traces !== 'all' && traces !== 'failed-and-flipped') {
      throw new ConfigurationError('USAGE', `Expected \`--traces\` to be all or failed-and-flipped, got \`${traces}\`.`, { field: 'traces' })
    }
    options.traceTrials = traces
  }
  const max = stringFlag(args, 'max-trace-events')
  if (max !== undefined) options.maxTraceEvents = Number(max)
  return options
}

/** The record `<baseline name>.json` beside the candidate, when the verdict names it and its harness id matches. */
async function baselineOfVerdict(verdictFile: string, dir: string, candidate: string): Promise<string | undefined> {
  let baseline: { name?: unknown; id?: unknown } | undefined
  try {
    baseline = (JSON.parse(await readFile(verdictFile, 'utf8')) as { baseline?: { harness?: { name?: unknown; id?: unknown } } }).baseline?.harness
  } catch {
    return undefined // the loader reports a broken verdict with its file and field
  }
  if (typeof baseline?.name !== 'string') return undefined
  const path = join(dir, `${baseline.name}.json`)
  if (path === candidate || !(await exists(path))) return undefined
  try {
    const record = JSON.parse(await readFile(path, 'utf8')) as { harness?: { id?: unknown } }
    return record.harness?.id === baseline.id ? path : undefined
  } catch {
    return undefined
  }
}

/** `self-harness report <candidate-record> [...]`: writes the HTML report, one self-contained file. */
export async function reportCommand(args: ParsedArgs, cwd: string, out: (text: string) => void): Promise<number> {
  const options = await reportInputs(args, cwd)
  const target = resolve(cwd, stringFlag(args, 'out') ?? DEFAULT_REPORT_FILE)
  const data = await loadReportData(options)
  const html = renderHtmlReport(data)
  await writeFileAtomic(target, html)
  const shown = (file: string | undefined) => (file ? relative(cwd, file) || file : undefined)
  const parts = [
    `${data.candidate.tasks.length} task(s)`,
    data.baseline ? `baseline ${shown(options.baseline)}` : 'no baseline',
    data.verdict ? `verdict ${data.verdict.status}` : 'no verdict',
    `${Object.values(data.traces).filter((trace) => !trace.error).length} trace(s)`,
    ...(data.weaknesses ? [`${data.weaknesses.weaknesses.length} weakness(es)`] : []),
    ...(data.lineage ? [`lineage of ${data.lineage.steps.length} version(s)`] : []),
  ]
  out(`Wrote ${shown(target)} (${(html.length / 1024).toFixed(0)} KiB): ${parts.join(', ')}.`)
  for (const note of data.notes ?? []) out(`  note: ${note}`)
  return 0
}
