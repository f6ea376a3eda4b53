import { execa } from 'execa'
import { existsSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TRIAL_UID_BASE } from '../../src/workspace/trial-user.js'
import { createWorkspace, type Workspace } from '../../src/workspace/workspace.js'
import { isRoot, killAll, listen, processesWith, token } from './helpers.js'

const project = process.cwd()

/** Zombies and dying processes take a moment to leave /proc after a group kill. */
async function survivors(marker: string): Promise<number[]> {
  for (let i = 0; i < 50; i++) {
    const pids = processesWith(marker)
    if (pids.length === 0) return pids
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return processesWith(marker)
}

describe('fallback without bubblewrap (sandbox: none): what it confines', () => {
  let ws: Workspace
  beforeAll(async () => {
    ws = await createWorkspace({ exec: { sandbox: 'none' } })
  })
  afterAll(() => ws.dispose())

  it('runs in the workspace with a private HOME and TMPDIR and nothing of the runner environment', async () => {
    const name = 'SELF_HARNESS_TEST_SECRET'
    process.env[name] = token()
    try {
      const result = await ws.exec('pwd; echo "$HOME"; echo "$TMPDIR"; env; tr "\\0" "\\n" < /proc/$$/environ')
      expect(result).toMatchObject({ exitCode: 0, sandbox: 'none' })
      const [pwd, home, tmp] = result.stdout.split('\n')
      expect(pwd).toBe(ws.path)
      expect(home).toBe(join(ws.path, '..', 'home'))
      expect(tmp).toBe(join(ws.path, '..', 'tmp'))
      expect(result.stdout).not.toContain(process.env[name])
      expect(result.stdout).not.toMatch(/VITEST|npm_|NODE_/)
    } finally {
      delete process.env[name]
    }
  })

  it('kills the process group at the time limit, SIGTERM-ignoring members and background jobs included', async () => {
    const t = token()
    const result = await ws.exec(`trap '' TERM; (trap '' TERM; sleep 300; : ${t}) & sleep 300; : ${t}`, {
      timeoutMs: 400,
    })
    expect(result).toMatchObject({ timedOut: true, exitCode: null })
    expect(await survivors(t)).toEqual([])
    expect((await ws.exec('echo ok')).stdout).toBe('ok\n')
  })

  it('caps endless output and kills the writer', async () => {
    const result = await ws.exec('yes', { maxOutputBytes: 1024, maxTotalOutputBytes: 8 * 1024 * 1024 })
    expect(result).toMatchObject({ outputLimited: true, truncated: true, exitCode: null })
    expect(result.stdout.length).toBeLessThan(1200)
  })

  it('contains a fork bomb with the process limit', async () => {
    const t = token()
    const bomb = ws.exec(`: ${t}; bomb() { bomb | bomb & }; bomb; sleep 30`, { timeoutMs: 2500, maxProcesses: 128 })
    await new Promise((resolve) => setTimeout(resolve, 1200))
    expect(processesWith(t).length).toBeLessThanOrEqual(128 + 50)
    expect((await execa('true', { reject: false })).exitCode).toBe(0)
    expect((await bomb).timedOut).toBe(true)
    expect(await survivors(t)).toEqual([])
    expect((await ws.exec('echo ok')).stdout).toBe('ok\n')
  })

  it.skipIf(!isRoot)('as root, runs commands as a user of the trial\'s own: no writes to /etc, the project or HOME; no reading /root (needs root)', async () => {
    const t = token()
    const targets = [`/etc/${t}`, join(project, t), join(homedir(), t)]
    const result = await ws.exec(`id -u; ${targets.map((target) => `touch ${target}`).join('; ')}; ls /root`)
    expect(result.stdout.trim()).toBe(String(ws.runAs.uid))
    expect(ws.runAs.uid).toBeGreaterThanOrEqual(TRIAL_UID_BASE)
    for (const target of targets) expect(existsSync(target), target).toBe(false)
    expect(result.stderr).toContain('Permission denied')
  })

  it.skipIf(isRoot)('as an ordinary user, runs commands as that user (file modes confine nothing more) (needs a non-root runner)', async () => {
    const result = await ws.exec('id -u')
    expect(result.stdout.trim()).toBe(String(process.getuid?.()))
  })

  it.skipIf(!isRoot)('as root, ends a process that left the group with setsid when the workspace goes (needs root)', async () => {
    const t = token()
    const own = await createWorkspace({ exec: { sandbox: 'none' } })
    const result = await own.exec(`setsid bash -c 'sleep 300; : ${t}' & sleep 0.3; echo back`)
    expect(result).toMatchObject({ exitCode: 0, stdout: 'back\n' })
    expect(processesWith(t)).toHaveLength(1) // it outlived the command, as an escapee does
    await own.dispose()
    expect(await survivors(t)).toEqual([])
  })

  describe('documented limits (what only bubblewrap prevents)', () => {
    it('can reach the network, here a listener on the host loopback', async () => {
      const server = await listen()
      try {
        const result = await ws.exec(`exec 3<>/dev/tcp/127.0.0.1/${server.port} && head -1 <&3`)
        expect(result.stdout).toBe('hello\n')
      } finally {
        await server.close()
      }
    })

    it('can read world-readable files outside the workspace, such as the project checkout', async () => {
      const result = await ws.exec(`head -c 1 ${join(project, 'package.json')}`)
      expect(result.stdout).toBe('{')
    })

    it.skipIf(isRoot)('cannot stop a process that leaves the group with setsid from outliving the command (needs a non-root runner; as root it ends with the workspace)', async () => {
      const t = token()
      // The escapee keeps stdout open: the command still returns, shortly after its shell ends.
      const result = await ws.exec(`setsid bash -c 'sleep 300; : ${t}' & sleep 0.3; echo back`)
      const escaped = processesWith(t)
      killAll(escaped)
      expect(escaped.length).toBe(1)
      expect(result).toMatchObject({ exitCode: 0, stdout: 'back\n' })
      expect(result.durationMs).toBeLessThan(2000)
    })
  })
})
