import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { miningReport, mineFailures } from 'self-harness'

/** One measured mining run. */
export interface Row {
  traces: number
  /** `1 thread` or `<n> workers`. */
  mode: string
  /** Size of the trace files, in MiB. */
  dataMB: number
  /** Wall time of `mineFailures` in a fresh process (the best of the repeats). */
  ms: number
  /** CPU time of that process (all threads) during the call. */
  cpuMs: number
  tracesPerSec: number
  /** Peak resident set of that process (worker threads included), in MiB. */
  peakRssMB: number
  /** Peak heap in use on its main thread during the call, in MiB. */
  peakHeapMB: number
  weaknesses: number
  /** The run found the same report as the one-thread run. */
  sameAsOneThread: boolean
}

/** Options of {@link benchMiner}. */
export interface BenchMinerOptions {
  /** Worker threads of the parallel run. @default 2 */
  workers?: number
  /** Seed of the synthetic traces. @default 7 */
  seed?: number
  /** Runs of each mode, alternating; the fastest is reported (the machine may be busy). @default 2 */
  repeats?: number
}

/** What one measuring process reports. */
interface Measured {
  ms: number
  cpuMs: number
  peakRssMB: number
  peakHeapMB: number
  weaknesses: number
  threads: number
  /** Hash of the saved report, to check both modes agree. */
  report: string
}

/**
 * Times `mineFailures` on N synthetic failure traces on disk, in one thread and with worker threads. Each run is a
 * fresh process, as a command is: the JIT warms up from cold in every thread, and peak memory is that run's own.
 */
export async function benchMiner(sizes: number[], options: BenchMinerOptions = {}): Promise<Row[]> {
  const workers = options.workers ?? 2
  const rows: Row[] = []
  for (const size of sizes) {
    const dir = mkdtempSync(join(tmpdir(), 'self-harness-miner-bench-'))
    try {
      const { failures, tasks, bytes } = writeSyntheticTraces(dir, size, options.seed ?? 7)
      const jobsFile = join(dir, 'jobs.json')
      writeFileSync(jobsFile, JSON.stringify(failures))
      let one: Measured | undefined
      let many: Measured | undefined
      for (let r = 0; r < (options.repeats ?? 2); r++) {
        one = fastest(one, await measureInChild(jobsFile, tasks, 0))
        many = fastest(many, await measureInChild(jobsFile, tasks, workers))
      }
      const dataMB = round(bytes / 2 ** 20)
      rows.push(row(size, '1 thread', dataMB, one!, true))
      rows.push(row(size, many!.threads ? `${many!.threads} workers` : '1 thread (no worker)', dataMB, many!, many!.report === one!.report))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }
  return rows
}

function measureInChild(jobsFile: string, totalTasks: number, workers: number): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const args = [fileURLToPath(import.meta.url), '--measure', jobsFile, String(totalTasks), String(workers)]
    execFile(process.execPath, args, { maxBuffer: 1 << 20 }, (error, stdout) => {
      if (error) reject(error)
      else resolve(JSON.parse(stdout) as Measured)
    })
  })
}

/** The measuring process: mines the jobs once and prints what it measured as JSON. */
async function measure(jobsFile: string, totalTasks: number, workers: number): Promise<void> {
  const failures = JSON.parse(readFileSync(jobsFile, 'utf8')) as Array<{ taskId: string; trial: number; tracePath: string }>
  let peakHeap = 0
  const timer = setInterval(() => (peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)), 20)
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  const result = await mineFailures({ failures, totalTasks, workers, workerThreshold: 0 })
  const ms = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  clearInterval(timer)
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)
  const measured: Measured = {
    ms,
    cpuMs: (cpu.user + cpu.system) / 1000,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
    peakHeapMB: peakHeap / 2 ** 20,
    weaknesses: result.weaknesses.length,
    threads: result.threads,
    report: createHash('sha256').update(JSON.stringify(miningReport(result))).digest('hex'),
  }
  process.stdout.write(JSON.stringify(measured))
}

const fastest = (best: Measured | undefined, next: Measured): Measured => (best && best.ms <= next.ms ? best : next)

function row(traces: number, mode: string, dataMB: number, m: Measured, same: boolean): Row {
  return {
    traces,
    mode,
    dataMB,
    ms: Math.round(m.ms),
    cpuMs: Math.round(m.cpuMs),
    tracesPerSec: Math.round(traces / (m.ms / 1000)),
    peakRssMB: round(m.peakRssMB),
    peakHeapMB: round(m.peakHeapMB),
    weaknesses: m.weaknesses,
    sameAsOneThread: same,
  }
}

type Random = () => number

/** A small seeded generator (mulberry32), so every run writes the same traces. */
function mulberry32(seed: number): Random {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

interface Step {
  name: 'shell' | 'read_file' | 'write_file' | 'finish'
  args: Record<string, string>
  ok: boolean
  output: string
}

interface Failure {
  steps: Step[]
  assertion?: string
  status?: 'finished' | 'max-turns'
}

const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!
const shell = (command: string, output: string, ok = true): Step => ({ name: 'shell', args: { command }, ok, output })
const finish = (summary: string): Step => ({ name: 'finish', args: { summary }, ok: true, output: 'finished' })
const IDENTITY = 'exit code: 128\nstderr:\nAuthor identity unknown\n\n*** Please tell me who you are.\n\nRun\n\n  git config --global user.email "you@example.com"\n  git config --global user.name "Your Name"\n\nfatal: unable to auto-detect email address (got \'nobody@sandbox.(none)\')\n'

/** The failure patterns of the synthetic set; each takes the task's number for its varying parts. */
const PATTERNS: ReadonlyArray<(n: number, random: Random) => Failure> = [
  (n, r) => ({ steps: [shell(`git ${pick(r, ['commit -q -m', 'commit --amend -q -m', 'tag -a v1.' + n + ' -m'])} 'change ${n}'`, IDENTITY, false), finish('Stopped: git failed.')] }),
  (n) => ({ steps: [shell(`./scripts/build-${n}.sh --jobs 4`, 'timed out after 3000 ms; the command was killed', false), finish('Stopped: too slow.')] }),
  (n, r) => {
    const [command, error] = pick(r, [
      [`chmod +x run-${n}.sh`, `chmod: cannot access 'run-${n}.sh': No such file or directory`],
      [`tar -czf out-${n}.tar.gz export`, 'tar: export: Cannot stat: No such file or directory'],
      [`wc -l < errors-${n}.log > count.txt`, `bash: line 1: errors-${n}.log: No such file or directory`],
    ] as const)
    return { steps: [shell(command, `exit code: 1\nstderr:\n${error}\n`, false), finish('Stopped.')] }
  },
  (n) => ({
    steps: [{ name: 'write_file', args: { path: `conf/app-${n}.ini`, content: `[server]\nport = ${8000 + n}\n` }, ok: true, output: `wrote 24 bytes to conf/app-${n}.ini` }, finish('Done.')],
    assertion: `expected '[server]\\nport = ${8000 + n}\\n' to be '[server]\\nport = ${8000 + n}\\nhost = 0.0.0.0\\n' // Object.is equality`,
  }),
  (n) => ({
    steps: [
      shell('ls templates', 'exit code: 0\nstdout:\nwelcome.tmpl\n'),
      shell('mkdir -p out', 'exit code: 0'),
      shell(`sed 's/@CUSTOMER@/Customer ${n} Trading/g' templates/welcome.tmpl > out/welcome.txt`, 'exit code: 0'),
      finish('Done.'),
    ],
    assertion: `expected 'Dear Customer ${n} Trading,' to be 'Dear Customer ${n} Traders,' // Object.is equality`,
  }),
  (n) => ({
    steps: [
      { name: 'write_file', args: { path: `notes-${n}.txt`, content: 'one\n' }, ok: true, output: `wrote 4 bytes to notes-${n}.txt\n[harness] read-back of notes-${n}.txt: MISMATCH, the file holds 4 bytes: one` },
      finish('Done.'),
    ],
    assertion: "expected 'one\\n' to be 'one\\ntwo\\n' // Object.is equality",
  }),
  (n) => ({ steps: [shell(`./deploy-${n}.sh`, `exit code: 126\nstderr:\nbash: line 1: ./deploy-${n}.sh: Permission denied\n`, false), finish('Stopped.')] }),
  (n) => ({ steps: [shell(`sed -i 's/limit = ${n}/limit = ${n + 1}/' app.conf`, 'exit code: 0'), finish('Done.')], assertion: `expected ${n + 1} to be ${n * 2} // Object.is equality` }),
]

/** A one-off: an error text no other trace shares. */
function noise(n: number, random: Random): Failure {
  const word = Math.floor(random() * 1e9).toString(36)
  return { steps: [shell(`tool-${word} --check`, `exit code: 3\nstderr:\nerror: unexpected state ${word}-${n} in module ${word}\n`, false), finish('Stopped.')] }
}

/** Successful exploration before the failing part, so traces have 10-40 events. */
function preamble(random: Random, n: number): Step[] {
  const count = Math.floor(random() * 7)
  return Array.from({ length: count }, (_, i) =>
    i % 2
      ? { name: 'read_file' as const, args: { path: `src/file-${n}-${i}.txt` }, ok: true, output: `line one of ${n}\nline two\n` }
      : shell(pick(random, ['ls -la', 'cat README.md', 'git status --short', 'head -n 20 data.csv']), `exit code: 0\nstdout:\nfile-${n}-${i}\nREADME.md\n`),
  )
}

/** Writes `count` failure traces (about 12 trials of each of count/12 tasks; 8 patterns plus 5% noise), listed by task. */
export function writeSyntheticTraces(dir: string, count: number, seed: number) {
  const random = mulberry32(seed)
  const tasks = Math.max(8, Math.ceil(count / 12))
  const failures: Array<{ taskId: string; trial: number; tracePath: string }> = []
  const trials = new Map<number, number>()
  let bytes = 0
  for (let i = 0; i < count; i++) {
    const task = Math.floor(random() * tasks)
    const trial = trials.get(task) ?? 0
    trials.set(task, trial + 1)
    const failure = random() < 0.05 ? noise(i, random) : PATTERNS[task % PATTERNS.length]!(task, random)
    const text = traceText(`task-${task}`, trial, [...preamble(random, task), ...failure.steps], failure)
    const sub = join(dir, String(Math.floor(i / 1000)))
    if (i % 1000 === 0) mkdirSync(sub, { recursive: true })
    const tracePath = join(sub, `t${i}.jsonl`)
    writeFileSync(tracePath, text)
    bytes += text.length
    failures.push({ taskId: `task-${task}`, trial, tracePath })
  }
  // As a run record lists them: each task with its trials.
  failures.sort((a, b) => Number(a.taskId.slice(5)) - Number(b.taskId.slice(5)) || a.trial - b.trial)
  return { failures, tasks, bytes }
}

function traceText(taskId: string, trial: number, steps: Step[], failure: Failure): string {
  const lines: unknown[] = []
  let t = 0
  const tokens = { prompt: 400, completion: 20 }
  lines.push({ t: t++, kind: 'trial-start', taskId, trial, harnessId: 'bench', model: 'sim-bench', instruction: `Do task ${taskId}: the customer is ${taskId} Traders.` })
  steps.forEach((step, i) => {
    const turn = i + 1
    const id = `call_${turn}_${taskId}`
    lines.push({ t: (t += 3), kind: 'model-request', turn, messages: 2 + 2 * i })
    lines.push({ t: (t += 40), kind: 'model-response', turn, durationMs: 40, content: null, toolCalls: [{ id, name: step.name, arguments: JSON.stringify(step.args) }], tokens })
    lines.push({ t: t++, kind: 'tool-call', turn, id, name: step.name, arguments: step.args })
    lines.push({ t: (t += 20), kind: 'tool-result', turn, id, name: step.name, ok: step.ok, durationMs: 20, output: step.output, truncated: false })
  })
  lines.push({ t: t++, kind: 'trial-end', status: failure.status ?? 'finished', turns: steps.length, toolCalls: steps.length, tokens, durationMs: t })
  if (failure.assertion) lines.push({ t: t++, kind: 'error', source: 'assertion', code: 'ASSERTION', message: failure.assertion })
  return lines.map((line) => JSON.stringify(line)).join('\n') + '\n'
}

function round(x: number): number {
  return Math.round(x * 10) / 10
}

async function main(): Promise<void> {
  const at = process.argv.indexOf('--measure')
  if (at > 0) {
    const [jobsFile, totalTasks, workers] = process.argv.slice(at + 1)
    return measure(jobsFile!, Number(totalTasks), Number(workers))
  }
  const large = process.argv.includes('--large')
  const sizes = large ? [10_000, 20_000, 100_000] : [10_000, 20_000]
  console.log(`miner: mineFailures on synthetic failure traces (8 patterns + 5% noise), one thread vs worker threads, each run a fresh process${large ? '' : '  (add --large for 100k); the worker threshold (`workerThreshold`, 20,000) sits where workers start to pay on 2 cores'}`)
  console.table(await benchMiner(sizes))
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main()
