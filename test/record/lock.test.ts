import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { execa } from 'execa'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { acquireRunLock, holderAlive } from '../../src/record/lock.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'record-lock-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** A pid that is surely not running: a child that has exited. */
async function deadPid(): Promise<number> {
  const child = execa(process.execPath, ['-e', ''])
  await child
  return child.pid!
}

it('writes the holder pid and start time, and releases only its own lock', async () => {
  const file = join(dir, 'self-harness.lock')
  const lock = acquireRunLock(file, dir)
  const holder = JSON.parse(await readFile(file, 'utf8'))
  expect(holder).toMatchObject({ pid: process.pid, host: hostname() })
  expect(new Date(holder.startedAt).getTime()).toBeGreaterThan(Date.now() - 60_000)
  expect(acquireRunLock(file, dir).holder.pid).toBe(process.pid) // the same process may take it again
  lock.release()
  await expect(readFile(file)).rejects.toThrow()
})

it('refuses a lock held by a live process, naming its pid, its start time and what to do', async () => {
  const file = join(dir, 'self-harness.lock')
  const holder = execa(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'])
  try {
    const startedAt = new Date().toISOString()
    await writeFile(file, JSON.stringify({ pid: holder.pid, startedAt, host: hostname() }))
    expect(() => acquireRunLock(file, '.self-harness')).toThrow(
      new RegExp(`another self-harness run \\(pid ${holder.pid}, started ${startedAt.replace(/[.]/g, '\\.')}\\) is using \\.self-harness; wait for it`),
    )
    expect(JSON.parse(await readFile(file, 'utf8')).pid).toBe(holder.pid)
  } finally {
    holder.kill()
    await holder.catch(() => {})
  }
})

it('takes over the lock of a process that is gone', async () => {
  const file = join(dir, 'self-harness.lock')
  const pid = await deadPid()
  await writeFile(file, JSON.stringify({ pid, startedAt: '2026-01-01T00:00:00.000Z', host: hostname() }))
  const lock = acquireRunLock(file, dir)
  expect(lock.tookOver?.pid).toBe(pid)
  expect(JSON.parse(await readFile(file, 'utf8')).pid).toBe(process.pid)
  lock.release()
})

it('does not take a reused pid for the holder (Linux: the start time differs)', async () => {
  if (process.platform !== 'linux') return
  // This very process stands in for an unrelated process that got the dead holder's pid.
  expect(holderAlive({ pid: process.pid, startedAt: '', host: hostname(), processStart: '1' })).toBe(false)
  const stat = await readFile(`/proc/${process.pid}/stat`, 'utf8')
  const own = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
  expect(holderAlive({ pid: process.pid, startedAt: '', host: hostname(), processStart: own })).toBe(true)
})

it('takes over a lock file left empty long ago, not one being written now', async () => {
  const file = join(dir, 'self-harness.lock')
  await writeFile(file, '')
  expect(() => acquireRunLock(file, dir)).toThrow(/another self-harness run is using/)
  const { utimes } = await import('node:fs/promises')
  const past = new Date(Date.now() - 60_000)
  await utimes(file, past, past)
  acquireRunLock(file, dir).release()
})
