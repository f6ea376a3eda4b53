import { execa } from 'execa'

/** Options of one command. */
export interface ExecOptions {
  /** Working directory. */
  cwd?: string
  /** HOME of the command (a private, empty directory per trial). */
  home?: string
  /** Time limit; the whole process tree is killed when it passes. @default 10000 */
  timeoutMs?: number
  /** Bytes of stdout and of stderr kept; the rest is dropped and `truncated` is set. @default 65536 */
  maxOutputBytes?: number
  /** Extra environment variables (the runner's environment is not inherited). */
  env?: Record<string, string>
  /** Text written to the command's stdin. */
  input?: string
}

/** What a command did. A failing command is a result, not an exception. */
export interface ExecResult {
  exitCode: number | null
  stdout: string
  stderr: string
  timedOut: boolean
  truncated: boolean
  durationMs: number
}

/** The environment every command starts from: nothing of the runner's but PATH. */
export function baseEnv(home: string | undefined, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: home ?? '/nonexistent',
    LANG: 'C.UTF-8',
    TERM: 'dumb',
    GIT_CONFIG_NOSYSTEM: '1',
    ...extra,
  }
}

/** Runs `bash -c command` in its own process group, killed as a whole on timeout. */
export async function execCommand(command: string, options: ExecOptions = {}): Promise<ExecResult> {
  const timeoutMs = options.timeoutMs ?? 10_000
  const maxBytes = options.maxOutputBytes ?? 65_536
  const started = performance.now()
  const child = execa('bash', ['-c', command], {
    cwd: options.cwd,
    env: baseEnv(options.home, options.env),
    extendEnv: false,
    reject: false,
    detached: true,
    input: options.input ?? '',
    maxBuffer: maxBytes,
    stripFinalNewline: false,
    encoding: 'utf8',
  })
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    killGroup(child.pid)
  }, timeoutMs)
  const result = await child
  clearTimeout(timer)
  killGroup(child.pid) // leftovers in the group (background jobs) die with the command
  return {
    exitCode: timedOut ? null : (result.exitCode ?? null),
    stdout: String(result.stdout ?? ''),
    stderr: String(result.stderr ?? ''),
    timedOut,
    truncated: Boolean(result.isMaxBuffer),
    durationMs: performance.now() - started,
  }
}

function killGroup(pid: number | undefined): void {
  if (!pid) return
  try {
    process.kill(-pid, 'SIGKILL')
  } catch {
    // already gone
  }
}
