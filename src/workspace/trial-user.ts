import { spawnSync } from 'node:child_process'
import { randomInt } from 'node:crypto'
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, symlinkSync, unlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { SandboxError } from '../errors.js'
import { launch } from './launch.js'
import type { RunAs } from './run-as.js'

/** First uid (and gid) of the pool each fallback trial gets its own user from: past the subordinate-id ranges. */
export const TRIAL_UID_BASE = 2_000_000_000
/** Size of the pool. */
export const TRIAL_UID_COUNT = 1_000_000

/** A uid and gid held by one workspace until it is released. */
export interface TrialUser {
  runAs: RunAs
  /** Kills every process left of this user, then gives the uid back to the pool. */
  release(): Promise<void>
}

/**
 * Leases a uid no other live workspace on this machine holds, for a root runner without bubblewrap, so commands
 * of one trial cannot signal, read or write those of another. A lease is a symbolic link
 * `<dir>/<uid>` -> `<pid>:<start time>` (made atomically); one whose process is gone is taken back. Returns
 * undefined when the pool's ids are not mapped in this user namespace (then every trial shares `nobody`).
 */
export async function acquireTrialUser(): Promise<TrialUser | undefined> {
  const range = mappedPool()
  if (!range) return undefined
  const dir = leaseDir()
  const holder = `${process.pid}:${startTime(process.pid)}`
  if (!swept) {
    swept = true
    await sweep(dir, holder)
  }
  for (let attempt = 0; attempt < 64; attempt++) {
    const uid = range.from + randomInt(range.count)
    const lease = join(dir, String(uid))
    const claimed = claim(lease, holder)
    if (!claimed) continue
    const runAs = { uid, gid: uid }
    held.add(lease)
    hookExit()
    // A uid without a lease runs nothing (every holder kills before it lets go); one taken back from a holder
    // that died may: what it left must not see this trial.
    if (claimed === 'reclaimed') await killUser(runAs)
    let released = false
    return {
      runAs,
      async release() {
        if (released) return
        released = true
        await killUser(runAs)
        held.delete(lease)
        removeLease(lease, holder)
      },
    }
  }
  throw new SandboxError(`Could not lease a user id for the trial from ${dir}: every id tried was taken.`)
}

/** Sends SIGKILL to every process of `runAs` (`kill -9 -1` as that user: the kernel does it in one step). */
export async function killUser(runAs: RunAs): Promise<void> {
  await launch({
    file: 'bash',
    args: ['-c', 'kill -9 -1 2>/dev/null; exit 0'],
    cwd: '/',
    env: { PATH: '/usr/bin:/bin' },
    input: '',
    uid: runAs.uid,
    gid: runAs.gid,
    timeoutMs: 10_000,
    maxOutputBytes: 1024,
    maxTotalOutputBytes: 4096,
  })
}

const held = new Set<string>()
let hooked = false
let swept = false

/** Takes back the leases of processes that are gone (killed before they could give them back), once per process. */
async function sweep(dir: string, holder: string): Promise<void> {
  let names: string[] = []
  try {
    names = readdirSync(dir)
  } catch {
    return
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue
    const lease = join(dir, name)
    if (claim(lease, holder) !== 'reclaimed') continue
    await killUser({ uid: Number(name), gid: Number(name) })
    removeLease(lease, holder)
  }
}

function hookExit(): void {
  if (hooked) return
  hooked = true
  process.once('exit', () => {
    const holder = `${process.pid}:${startTime(process.pid)}`
    for (const lease of held) {
      const uid = Number(basename(lease))
      spawnSync('bash', ['-c', 'kill -9 -1 2>/dev/null; exit 0'], { uid, gid: uid, cwd: '/', env: { PATH: '/usr/bin:/bin' }, stdio: 'ignore', timeout: 5_000 })
      removeLease(lease, holder)
    }
  })
}

/** Takes `lease` for `holder` (`fresh`), or takes it back when its holder is gone (`reclaimed`). */
function claim(lease: string, holder: string): 'fresh' | 'reclaimed' | undefined {
  if (link(holder, lease)) return 'fresh'
  const stale = readLease(lease)
  if (stale === undefined || isAlive(stale)) return undefined
  // Only the process that makes the marker may take the stale lease back; a crash between leaves the uid unused.
  const marker = `${lease}.reclaim`
  if (!link(holder, marker)) return undefined
  try {
    if (readLease(lease) !== stale) return undefined
    // Replaced in one step (rename over the stale link): the uid is never without a lease in between.
    const mine = `${lease}.${process.pid}.new`
    symlinkSync(holder, mine)
    renameSync(mine, lease)
    return 'reclaimed'
  } catch {
    return undefined
  } finally {
    removeLease(marker, holder)
  }
}

function link(target: string, path: string): boolean {
  try {
    symlinkSync(target, path)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw new SandboxError(`Could not lease a user id for the trial at ${path}: ${(error as Error).message}.`, { cause: error })
  }
}

function readLease(path: string): string | undefined {
  try {
    return readlinkSync(path)
  } catch {
    return undefined
  }
}

function removeLease(lease: string, holder: string): void {
  try {
    if (readlinkSync(lease) === holder) unlinkSync(lease)
  } catch {
    // gone already
  }
}

function isAlive(holder: string): boolean {
  const [pid, start] = holder.split(':')
  return startTime(Number(pid)) === start
}

/** A process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat): with the pid, it names one process. */
function startTime(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? ''
  } catch {
    return 'gone'
  }
}

/** The directory of leases: root's own, not writable by others (in /run when there is one). */
function leaseDir(): string {
  const dir = isDir('/run') ? '/run/self-harness-uids' : join(tmpdir(), 'self-harness-uids-0')
  try {
    mkdirSync(dir, { mode: 0o700 })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new SandboxError(`Could not make the user id lease directory ${dir}: ${(error as Error).message}.`, { cause: error })
    }
  }
  const info = lstatSync(dir)
  if (!info.isDirectory() || info.uid !== 0 || (info.mode & 0o022) !== 0) {
    throw new SandboxError(`Expected ${dir} to be a directory of root's, writable by root alone; remove it and run again.`)
  }
  return dir
}

function isDir(path: string): boolean {
  try {
    return lstatSync(path).isDirectory()
  } catch {
    return false
  }
}

/** The part of the pool mapped in this process's user namespace, for uids and gids alike. */
function mappedPool(): { from: number; count: number } | undefined {
  let from = TRIAL_UID_BASE
  let to = TRIAL_UID_BASE + TRIAL_UID_COUNT
  for (const file of ['/proc/self/uid_map', '/proc/self/gid_map']) {
    let best: [number, number] | undefined
    for (const [inside = 0, , count = 0] of readMap(file)) {
      const lo = Math.max(from, inside)
      const hi = Math.min(to, inside + count)
      if (hi > lo && (!best || hi - lo > best[1] - best[0])) best = [lo, hi]
    }
    if (!best) return undefined
    ;[from, to] = best
  }
  return { from, count: to - from }
}

function readMap(file: string): number[][] {
  try {
    return readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((line) => line.trim().split(/\s+/).map(Number))
      .filter((parts) => parts.length === 3 && parts.every(Number.isFinite))
  } catch {
    return [[0, 0, 4294967295]] // no map: the initial namespace
  }
}
