import { lstat, readdir, readFile, stat } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { SandboxError } from '../errors.js'
import { launch } from './launch.js'

/** The user a command runs as. */
export interface RunAs {
  uid: number
  gid: number
}

/** uid and gid of `nobody`, used for commands when the runner is root. */
export const NOBODY: RunAs = { uid: 65534, gid: 65534 }

/** The runner's own user, or `nobody` when the runner is root (root ignores process limits and file modes). */
export function defaultRunAs(): RunAs {
  const self = selfUser()
  return self.uid === 0 ? NOBODY : self
}

/** The runner's own uid and gid. */
export function selfUser(): RunAs {
  return { uid: process.getuid?.() ?? -1, gid: process.getgid?.() ?? -1 }
}

/** Whether commands run as a different user than the runner (files must then be handed over). */
export function isOtherUser(runAs: RunAs): boolean {
  const self = selfUser()
  return runAs.uid !== self.uid || runAs.gid !== self.gid
}

/**
 * Gives files the runner created under `paths` to `runAs`. Uses `chown -R -h --from`, which walks with
 * directory descriptors and never follows symlinks, so entries swapped in by the sandbox cannot redirect it.
 */
export async function handOver(paths: string[], runAs: RunAs): Promise<void> {
  const self = selfUser()
  const result = await launch({
    file: 'chown',
    args: ['-R', '-h', '-P', `--from=${self.uid}`, `${runAs.uid}:${runAs.gid}`, '--', ...paths],
    cwd: '/',
    env: { PATH: '/usr/bin:/bin' },
    input: '',
    timeoutMs: 60_000,
    maxOutputBytes: 4096,
    maxTotalOutputBytes: 1 << 20,
  })
  if (result.code !== 0) {
    throw new SandboxError(
      `Could not give the workspace to uid ${runAs.uid}: ${result.stderr.trim() || result.startError?.message || 'chown failed'}.`,
    )
  }
}

/**
 * Whether anything under `paths` (themselves included) belongs to `uid`, i.e. whether {@link handOver} has work to
 * do. Read-only and never follows symlinks; stops at the first hit, and answers true past `limit` entries rather than
 * walk a large tree (`chown -R` walks it faster). Spares a `chown` process per command when nothing changed hands.
 */
export async function ownsAnything(paths: string[], uid: number, limit = 2_000): Promise<boolean> {
  const stack = [...paths]
  for (let seen = 0; stack.length; seen++) {
    if (seen >= limit) return true
    const path = stack.pop()!
    const info = await lstat(path).catch(() => undefined)
    if (!info) continue
    if (info.uid === uid) return true
    if (info.isDirectory()) for (const name of await readdir(path).catch(() => [] as string[])) stack.push(join(path, name))
  }
  return false
}

/** Throws unless `runAs` can reach `path` (every parent directory searchable by it). */
export async function assertReachable(path: string, runAs: RunAs): Promise<void> {
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    const info = await stat(dir)
    const bit = info.uid === runAs.uid ? 0o100 : info.gid === runAs.gid ? 0o010 : 0o001
    if ((info.mode & bit) === 0) {
      throw new SandboxError(
        `Expected the workspace root to be reachable by uid ${runAs.uid}, but \`${dir}\` is not searchable by it. ` +
          'Choose a `root` under a world-searchable directory (the default, os.tmpdir(), is).',
      )
    }
    if (dir === dirname(dir)) return
  }
}

const taskCounts = new Map<number, Promise<number>>()

/** Threads the user `uid` runs right now (counted once per process); the process limit counts them too. */
export function countUserTasks(uid: number): Promise<number> {
  let counted = taskCounts.get(uid)
  if (!counted) {
    counted = scanTasks(uid)
    taskCounts.set(uid, counted)
  }
  return counted
}

async function scanTasks(uid: number): Promise<number> {
  let total = 0
  const entries = await readdir('/proc').catch(() => [] as string[])
  await Promise.all(
    entries
      .filter((name) => /^\d+$/.test(name))
      .map(async (pid) => {
        const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '')
        const owner = /^Uid:\s+(\d+)/m.exec(status)?.[1]
        if (owner !== undefined && Number(owner) === uid) total += Number(/^Threads:\s+(\d+)/m.exec(status)?.[1] ?? 1)
      }),
  )
  return total
}
