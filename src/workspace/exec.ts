import { ConfigurationError, SandboxError } from '../errors.js'
import { bwrapArgs, type BwrapLayout } from './bwrap-args.js'
import { resolveExecOptions, type ExecOptions, type ResolvedExecOptions } from './exec-options.js'
import { countUserTasks, isOtherUser } from './run-as.js'
import { resolveSandbox, type SandboxResolution } from './sandbox.js'
import { launch } from './launch.js'

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

  const outcome = await launch({
    file,
    args,
    cwd: bwrap ? '/' : (o.cwd ?? '/'),
    env: commandEnv(o, bwrap),
    input: o.input,
    ...(isOtherUser(o.runAs) ? { uid: o.runAs.uid, gid: o.runAs.gid } : {}),
    timeoutMs: o.timeoutMs,
    maxOutputBytes: o.maxOutputBytes,
    maxTotalOutputBytes: o.maxTotalOutputBytes,
    ...(bwrap ? { statusFd: STATUS_FD } : {}),
  })
  const killed = outcome.timedOut || outcome.outputLimited

  if (outcome.startError !== undefined) {
    const where = bwrap ? '' : ` in \`${o.cwd ?? '/'}\``
    throw new SandboxError(`Could not start \`${file}\`${where}: ${outcome.startError.message}.`, { cause: outcome.startError })
  }
  if (bwrap && !killed && !outcome.status.includes('"exit-code"')) {
    const message = outcome.stderr.trim().split('\n')[0] ?? ''
    throw new SandboxError(`bubblewrap could not set up the sandbox: ${message || `exit code ${outcome.code}`}.`)
  }
  return {
    exitCode: killed ? null : outcome.code,
    stdout: outcome.stdout,
    stderr: outcome.stderr,
    timedOut: outcome.timedOut,
    truncated: outcome.truncated,
    outputLimited: outcome.outputLimited,
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
