import { existsSync, readFileSync, readlinkSync, symlinkSync, unlinkSync } from 'node:fs'
import { describe, expect, it, vi } from 'vitest'
import { acquireTrialUser, TRIAL_UID_BASE, TRIAL_UID_COUNT } from '../../src/workspace/trial-user.js'
import { isRoot, processesWith, token } from './helpers.js'

const dir = '/run/self-harness-uids'
const startOf = (pid: number): string => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!
}

describe.skipIf(!isRoot || !existsSync('/run'))('trial users (needs root and /run)', () => {
  it('takes back leases of processes that are gone, keeps those of live ones, and gives distinct uids', async () => {
    const stale = `${dir}/${TRIAL_UID_BASE + TRIAL_UID_COUNT - 1}`
    const live = `${dir}/${TRIAL_UID_BASE + TRIAL_UID_COUNT - 2}`
    const first = await acquireTrialUser() // makes the directory
    await first?.release()
    symlinkSync('999999999:1', stale) // no such process
    symlinkSync(`1:${startOf(1)}`, live) // pid 1 lives
    try {
      vi.resetModules()
      const fresh = await import('../../src/workspace/trial-user.js') // a new module: it sweeps once
      const users = await Promise.all(Array.from({ length: 20 }, () => fresh.acquireTrialUser()))
      expect(existsSync(stale)).toBe(false)
      expect(readlinkSync(live)).toBe(`1:${startOf(1)}`)
      const uids = users.map((user) => user!.runAs.uid)
      expect(new Set(uids).size).toBe(20)
      for (const uid of uids) expect(readlinkSync(`${dir}/${uid}`)).toBe(`${process.pid}:${startOf(process.pid)}`)
      await Promise.all(users.map((user) => user!.release()))
      for (const uid of uids) expect(existsSync(`${dir}/${uid}`)).toBe(false)
    } finally {
      for (const path of [stale, live]) if (existsSync(path) || isLink(path)) unlinkSync(path)
    }
  })

  it('kills what was left running as the uid when it is released', async () => {
    const user = (await acquireTrialUser())!
    const t = token()
    const { spawn } = await import('node:child_process')
    spawn('setsid', ['bash', '-c', `sleep 300; : ${t}`], { uid: user.runAs.uid, gid: user.runAs.gid, detached: true, stdio: 'ignore' }).unref()
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(processesWith(t)).toHaveLength(1)
    await user.release()
    for (let i = 0; i < 50 && processesWith(t).length; i++) await new Promise((resolve) => setTimeout(resolve, 20))
    expect(processesWith(t)).toEqual([])
  })
})

function isLink(path: string): boolean {
  try {
    readlinkSync(path)
    return true
  } catch {
    return false
  }
}
