import { execa } from 'execa'
import type { Readable } from 'node:stream'
import { ConfigurationError, SandboxError } from '../errors.js'
import { bwrapArgs, type BwrapLayout } from './bwrap-args.js'
import { resolveExecOptions, type ExecOptions, type ResolvedExecOptions } from './exec-options.js'
import { createOutputSink } from './output-sink.js'
import { killGroup, trackGroup, untrackGroup, waitForExit } from './process-group.js'
import { countUserTasks, isOtherUser } from './run-as.js'
import { resolveSandbox, type SandboxResolution } from './sandbox.js'

export type { ExecOptions } from './exec-options.js'

/** What a command did. A failing command is a result, not an exception. */
export interface ExecResult {
  /** Exit code; `null` when the command was killed (time limit, output limit, signal). */
  exitCode: number | null
  /** Standard output, bounded by `maxOutputBytes`. */
  stdout: string
  /** Standard error, bounded by `maxOutputBytes`. */
  stderr: string
  /** The time limit passed and the process tree was killed. */
  timedOut: boolean
  /** Output was dropped from stdout or stderr (see `maxOutputBytes`). */
  truncated: boolean
  /** The command wrote more than `maxTotalOutputBytes` and was killed. */
  outputLimited: boolean
  /** The confinement the command ran under. */
  sandbox: 'bwrap' | 'none'
  /** Wall time from start to the last process gone. */
  durationMs: number
}

/** PATH inside the sandbox unless `env.PATH` or `envAllow: ['PATH']` says otherwise. */
export const SANDBOX_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

/** The environment every command starts from: nothing of the runner's. */
export function baseEnv(home: string | undefined, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: SANDBOX_PATH,
    HOME: home ?? '/nonexistent',
    LANG: 'C.UTF-8',
    TERM: 'dumb',
    GIT_CONFIG_NOSYSTEM: '1',
    ...extra,
  }
}

/** Grace for output still in the pipes after the command ended (descendants that escaped the group). */
const DRAIN_MS = 200
/** File descriptor bubblewrap writes its JSON status on. */
const STATUS_FD = 3

/**
 * Runs `bash -c command` confined by the sandbox (see {@link resolveSandbox}), in its own process group, with
 * process and file-size limits; the whole tree is killed on timeout or runaway output.
 */
export async function execCommand(command: string, options: ExecOptions = {}): Promise<ExecResult> {
  const o = resolveExecOptions(options)
  if (command.includes('\0')) {
    throw new ConfigurationError('USAGE', 'Expected a command without NUL bytes; bash cannot receive them.', {
      field: 'command',
    })
  }
  const sandbox = await resolveSandbox(o.sandbox, { runAs: o.runAs, bwrapPath: o.bwrapPath })
  const started = performance.now()
  const script = await limitScript(o, sandbox)
  const bwrap = sandbox.mode === 'bwrap'
  const file = bwrap ? (sandbox.bwrapPath as string) : 'bash'
  const args = bwrap
    ? [...bwrapArgs(layoutOf(o, sandbox)), '--', 'bash', '-c', script, 'bash', command]
    : ['-c', script, 'bash', command]

  const child = execa(file, args, {
    cwd: bwrap ? '/' : (o.cwd ?? '/'),
    env: commandEnv(o, bwrap),
    extendEnv: false,
    reject: false,
    detached: true,
    buffer: false,
    encoding: 'buffer',
    input: o.input,
    stdio: bwrap ? ['pipe', 'pipe', 'pipe', 'pipe'] : ['pipe', 'pipe', 'pipe'],
    ...(isOtherUser(o.runAs) ? { uid: o.runAs.uid, gid: o.runAs.gid } : {}),
  })
  const exited = new Promise<{ code: number | null; error?: Error }>((resolve) => {
    child.once('exit', (code) => resolve({ code }))
    child.once('error', (error) => resolve({ code: null, error }))
  })
  const pgid = child.pid
  if (pgid) trackGroup(pgid)

  let timedOut = false
  let outputLimited = false
  const stdout = createOutputSink(o.maxOutputBytes)
  const stderr = createOutputSink(o.maxOutputBytes)
  const onData = (sink: typeof stdout) => (chunk: Buffer) => {
    sink.push(chunk)
    if (!outputLimited && stdout.totalBytes + stderr.totalBytes > o.maxTotalOutputBytes) {
      outputLimited = true
      killGroup(pgid)
    }
  }
  child.stdout?.on('data', onData(stdout))
  child.stderr?.on('data', onData(stderr))
  let status = ''
  const statusStream = bwrap ? (child.stdio[STATUS_FD] as Readable | undefined) : undefined
  statusStream?.on('data', (chunk: Buffer) => (status += chunk.toString('utf8')))

  const timer = setTimeout(() => {
    timedOut = true
    killGroup(pgid)
  }, o.timeoutMs)
  const outcome = await exited
  clearTimeout(timer)
  killGroup(pgid) // leftovers in the group (background jobs) end with the command
  await drain([child.stdout, child.stderr, statusStream])
  await child
  if (pgid) untrackGroup(pgid)
  const killed = timedOut || outputLimited
  // bubblewrap's pid 1 finishes exiting only once every process of its namespace is gone.
  const sandboxInit = Number(/"child-pid":\s*(\d+)/.exec(status)?.[1] ?? 0)
  if (killed && sandboxInit) await waitForExit(sandboxInit, 2000)

  if (outcome.error) {
    const where = bwrap ? '' : ` in \`${o.cwd ?? '/'}\``
    throw new SandboxError(`Could not start \`${file}\`${where}: ${outcome.error.message}.`, { cause: outcome.error })
  }
  if (bwrap && !killed && !status.includes('"exit-code"')) {
    const message = stderr.text().trim().split('\n')[0] ?? ''
    throw new SandboxError(`bubblewrap could not set up the sandbox: ${message || `exit code ${outcome.code}`}.`)
  }
  return {
    exitCode: killed ? null : outcome.code,
    stdout: stdout.text(),
    stderr: stderr.text(),
    timedOut,
    truncated: stdout.truncated || stderr.truncated,
    outputLimited,
    sandbox: sandbox.mode,
    durationMs: performance.now() - started,
  }
}

function layoutOf(o: ResolvedExecOptions, sandbox: SandboxResolution): BwrapLayout {
  const writable = [o.home, o.cwd].filter((path): path is string => path !== undefined)
  return {
    writable: [...new Set(writable)],
    readOnly: o.readOnlyPaths,
    chdir: o.cwd,
    tmpSizeBytes: o.tmpSizeBytes,
    modern: sandbox.modern,
    statusFd: STATUS_FD,
  }
}

function commandEnv(o: ResolvedExecOptions, bwrap: boolean): Record<string, string> {
  const allowed: Record<string, string> = {}
  for (const name of o.envAllow) {
    const value = process.env[name]
    if (value !== undefined) allowed[name] = value
  }
  const tmpDir = bwrap ? '/tmp' : o.tmpDir
  const tmp: Record<string, string> = tmpDir ? { TMPDIR: tmpDir } : {}
  return baseEnv(o.home, { ...tmp, ...allowed, ...o.env })
}

/** bash prologue: limits as bash builtins (hard and soft, so the command cannot raise them), then the command. */
async function limitScript(o: ResolvedExecOptions, sandbox: SandboxResolution): Promise<string> {
  // bubblewrap's user namespace counts only the sandbox's processes; without it the limit counts every
  // process of the user, so those already running are added.
  const processes = sandbox.mode === 'bwrap' ? o.maxProcesses : o.maxProcesses + (await countUserTasks(o.runAs.uid))
  const blocks = Math.ceil(o.maxFileBytes / 1024)
  return `ulimit -u ${processes} 2>/dev/null; ulimit -f ${blocks} 2>/dev/null; ulimit -c 0 2>/dev/null; eval "set --; $1"`
}

async function drain(streams: Array<Readable | null | undefined>): Promise<void> {
  const open = streams.filter((stream): stream is Readable => !!stream && !stream.readableEnded && !stream.destroyed)
  if (open.length === 0) return
  let timer: NodeJS.Timeout | undefined
  const ended = Promise.all(
    open.map((stream) => new Promise<void>((resolve) => stream.once('close', resolve).once('end', resolve))),
  )
  await Promise.race([ended, new Promise<void>((resolve) => (timer = setTimeout(resolve, DRAIN_MS)))])
  clearTimeout(timer)
  for (const stream of open) stream.destroy()
}
