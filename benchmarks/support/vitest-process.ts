import { spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { performance } from 'node:perf_hooks'

/** What one vitest process did. */
export interface VitestRun {
  exitCode: number
  wallMs: number
  /** Peak resident set of vitest and all its workers together, sampled from /proc, in MiB. */
  peakRssMB: number
  /** CPU time (user + system) of vitest and its workers, sampled from /proc (short-lived commands are missed), in ms. */
  cpuMs: number
  stdout: string
  stderr: string
}

/** Options of {@link runVitest}. */
export interface RunVitestOptions {
  /** The project directory (its vitest config is used). */
  cwd: string
  /** Arguments after `vitest`. @default ['run'] */
  args?: string[]
  /** Environment added to this process's. */
  env?: Record<string, string>
  /** Extra Node flags for the main vitest process (e.g. `--cpu-prof`). */
  nodeFlags?: string[]
  /** Interval of the memory sampling. @default 100 */
  sampleMs?: number
}

const require = createRequire(import.meta.url)

/** Path of the installed vitest command. */
export function vitestBin(): string {
  return join(dirname(require.resolve('vitest/package.json')), 'vitest.mjs')
}

/** Runs vitest as a process (as a user or CI would) and measures its wall time, peak memory and CPU. */
export async function runVitest(options: RunVitestOptions): Promise<VitestRun> {
  const started = performance.now()
  const child = spawn(process.execPath, [...(options.nodeFlags ?? []), vitestBin(), ...(options.args ?? ['run'])], {
    cwd: options.cwd,
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  let peak = 0
  let cpuTicks = 0
  const cpuByPid = new Map<number, number>()
  const sample = () => {
    if (!child.pid) return
    const tree = processTree(child.pid)
    let rss = 0
    for (const proc of tree) {
      rss += proc.rssPages
      cpuByPid.set(proc.pid, proc.cpuTicks)
    }
    peak = Math.max(peak, rss)
  }
  const timer = setInterval(sample, options.sampleMs ?? 100)
  const exitCode = await new Promise<number>((resolve) => child.once('close', (code) => resolve(code ?? 1)))
  clearInterval(timer)
  for (const ticks of cpuByPid.values()) cpuTicks += ticks
  const wallMs = performance.now() - started
  return { exitCode, wallMs, peakRssMB: (peak * PAGE) / 2 ** 20, cpuMs: (cpuTicks * 1000) / CLOCK_TICKS, stdout, stderr }
}

const PAGE = 4096
const CLOCK_TICKS = 100

interface ProcInfo {
  pid: number
  ppid: number
  rssPages: number
  /** utime + stime of the process itself. */
  cpuTicks: number
}

/** The process and its descendants, read from /proc (Linux). */
function processTree(root: number): ProcInfo[] {
  const all = new Map<number, ProcInfo>()
  let names: string[]
  try {
    names = readdirSync('/proc')
  } catch {
    return []
  }
  for (const name of names) {
    const pid = Number(name)
    if (!Number.isInteger(pid)) continue
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      // Fields after the command name, which may hold spaces and parentheses.
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      const ppid = Number(rest[1])
      const cpuTicks = Number(rest[11]) + Number(rest[12])
      all.set(pid, { pid, ppid, rssPages: Number(rest[21]), cpuTicks })
    } catch {
      // the process ended while we looked
    }
  }
  const children = new Map<number, ProcInfo[]>()
  for (const proc of all.values()) {
    const list = children.get(proc.ppid) ?? []
    list.push(proc)
    children.set(proc.ppid, list)
  }
  const out: ProcInfo[] = []
  const stack = [root]
  while (stack.length) {
    const pid = stack.pop()!
    const proc = all.get(pid)
    if (proc) out.push(proc)
    for (const child of children.get(pid) ?? []) stack.push(child.pid)
  }
  return out
}
