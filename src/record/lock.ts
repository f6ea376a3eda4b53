import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs'
import { hostname } from 'node:os'
import { dirname } from 'node:path'
import { z } from 'zod'
import { ConfigurationError } from '../errors.js'

/** Who holds an output directory: written into its lock file. */
export const LockHolderSchema = z.object({
  pid: z.number().int().positive(),
  startedAt: z.string(),
  host: z.string(),
  /** The process's start time as the kernel counts it (Linux), so a reused pid is not taken for the holder. */
  processStart: z.string().optional(),
})
export type LockHolder = z.infer<typeof LockHolderSchema>

/** A held lock. */
export interface RunLock {
  file: string
  holder: LockHolder
  /** The stale lock this one replaced (its holder had died), if any. */
  tookOver: LockHolder | undefined
  /** Removes the lock file if it is still this process's. Safe to call more than once. */
  release(): void
}

/** Start time of a process from `/proc/<pid>/stat` (clock ticks since boot), when the system has one. */
function processStartOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    if (fields[0] === 'Z' || fields[0] === 'X') return 'dead'
    return fields[19]
  } catch {
    return undefined
  }
}

/** Whether the holder of a lock is still running (on another host: assumed so, it cannot be checked). */
export function holderAlive(holder: LockHolder): boolean {
  if (holder.host !== hostname()) return true
  try {
    process.kill(holder.pid, 0)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false
  }
  const start = processStartOf(holder.pid)
  if (start === 'dead') return false
  return !(holder.processStart && start && start !== holder.processStart)
}

function readHolder(file: string): LockHolder | 'missing' | 'unreadable' {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'unreadable'
  }
  try {
    return LockHolderSchema.parse(JSON.parse(text))
  } catch {
    return 'unreadable'
  }
}

/** Creates the lock file only if there is none; false when another process made one first. */
function createExclusive(file: string, holder: LockHolder): boolean {
  let fd: number
  try {
    fd = openSync(file, 'wx')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw new ConfigurationError('CONFIG_INVALID', `Cannot create the lock file ${file}: ${(error as Error).message}`, { cause: error, file })
  }
  try {
    writeSync(fd, `${JSON.stringify(holder)}\n`)
  } finally {
    closeSync(fd)
  }
  return true
}

/** A lock file being written by its creator is given this long before it counts as abandoned. */
const UNREADABLE_GRACE_MS = 5_000

/**
 * Takes the lock of an output directory for this process: one run per output directory at a time. A lock whose
 * holder has died (killed run) is taken over; a live holder's lock is refused with its pid, start time and what to
 * do. The same process may take it again (several vitest projects in one process).
 */
export function acquireRunLock(file: string, what: string): RunLock {
  mkdirSync(dirname(file), { recursive: true })
  const holder: LockHolder = { pid: process.pid, startedAt: new Date().toISOString(), host: hostname(), ...optional(processStartOf(process.pid)) }
  let tookOver: LockHolder | undefined
  for (let attempt = 0; attempt < 5; attempt++) {
    if (createExclusive(file, holder)) return held(file, holder, tookOver)
    const current = readHolder(file)
    if (current === 'missing') continue
    if (current === 'unreadable') {
      const age = Date.now() - (statMtime(file) ?? Date.now())
      if (age < UNREADABLE_GRACE_MS) throw lockedError(file, what, undefined)
      removeIfSame(file, undefined)
      continue
    }
    if (current.pid === process.pid && current.host === holder.host) return held(file, current, tookOver)
    if (holderAlive(current)) throw lockedError(file, what, current)
    // The holder is gone: take over, unless another run took it over first (then the next turn sees a live holder).
    if (removeIfSame(file, current)) tookOver = current
  }
  throw lockedError(file, what, undefined)
}

function optional(processStart: string | undefined): { processStart?: string } {
  return processStart && processStart !== 'dead' ? { processStart } : {}
}

function statMtime(file: string): number | undefined {
  try {
    return statSync(file).mtimeMs
  } catch {
    return undefined
  }
}

/** Removes the lock file if it still names `expected` (or is still unreadable); true when it was removed. */
function removeIfSame(file: string, expected: LockHolder | undefined): boolean {
  const current = readHolder(file)
  if (current === 'missing') return false
  if (expected ? current === 'unreadable' || current.pid !== expected.pid || current.startedAt !== expected.startedAt : current !== 'unreadable') return false
  rmSync(file, { force: true })
  return true
}

function held(file: string, holder: LockHolder, tookOver: LockHolder | undefined): RunLock {
  let released = false
  return {
    file,
    holder,
    tookOver,
    release() {
      if (released) return
      released = true
      const current = readHolder(file)
      if (current !== 'missing' && current !== 'unreadable' && current.pid === holder.pid && current.startedAt === holder.startedAt) rmSync(file, { force: true })
    },
  }
}

function lockedError(file: string, what: string, holder: LockHolder | undefined): ConfigurationError {
  const who = holder ? `another self-harness run (pid ${holder.pid}${holder.host !== hostname() ? ` on ${holder.host}` : ''}, started ${holder.startedAt})` : 'another self-harness run'
  return new ConfigurationError(
    'CONFIG_INVALID',
    `${who} is using ${what}; wait for it to end, or give this run its own output directory (SELF_HARNESS_OUTPUT_DIR or the plugin's outputDir). ` +
      `If no such run exists, delete ${file}.`,
    { file, field: 'outputDir' },
  )
}
