import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ConfigurationError } from '../../src/errors.js'
import { fallbackRefusal, secretNamesInEnv } from '../../src/workspace/fallback-policy.js'
import { selfUser } from '../../src/workspace/run-as.js'
import { createWorkspace, type Workspace } from '../../src/workspace/workspace.js'
import { isRoot, token } from '../workspace/helpers.js'

// The fallback without bubblewrap, probed as a hostile command would: the runner's secrets, the run itself and
// the other trials must be out of its reach, or the run must refuse to start.

const open: Workspace[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((ws) => ws.dispose()))
})
async function fallbackWorkspace(): Promise<Workspace> {
  const ws = await createWorkspace({ exec: { sandbox: 'none' } })
  open.push(ws)
  return ws
}

describe.skipIf(!isRoot)('fallback as root: each trial a user of its own (needs root)', () => {
  it("cannot read the runner's environment from /proc, nor its memory", async () => {
    const name = 'SELF_HARNESS_PROBE_API_KEY'
    process.env[name] = `sk-${token()}${token()}`
    try {
      const ws = await fallbackWorkspace()
      const result = await ws.exec(
        `cat /proc/${process.pid}/environ; cat /proc/${process.ppid}/environ; head -c 16 /proc/${process.pid}/mem; ` +
          `grep -l ${name} /proc/[0-9]*/environ 2>/dev/null; echo done`,
      )
      expect(result.stdout).toBe('done\n')
      expect(result.stdout + result.stderr).not.toContain(process.env[name])
      expect(result.stderr).toContain('Permission denied')
    } finally {
      delete process.env[name]
    }
  })

  it('cannot kill the run with kill -9 -1, nor a command of another trial running at the same time', async () => {
    const [a, b] = [await fallbackWorkspace(), await fallbackWorkspace()]
    expect(a.runAs.uid).not.toBe(b.runAs.uid)
    const other = b.exec('sleep 1.5; echo survived', { timeoutMs: 10_000 })
    await new Promise((resolve) => setTimeout(resolve, 300))
    const killer = await a.exec('sleep 30 & job=$!; kill -9 -1; wait $job; echo "after kill, job: $?"')
    expect(killer).toMatchObject({ exitCode: 0, stdout: 'after kill, job: 137\n' }) // its own job died, nothing else
    expect(await other).toMatchObject({ exitCode: 0, stdout: 'survived\n' })
    expect((await a.exec('echo still-works')).stdout).toBe('still-works\n')
  })

  it("cannot read, list or rewrite another trial's files", async () => {
    const [a, b] = [await fallbackWorkspace(), await fallbackWorkspace()]
    await b.write('notes.txt', 'b only\n')
    await b.exec('echo made-by-b > own.txt')
    const files = [join(b.path, 'notes.txt'), join(b.path, 'own.txt'), join(b.path, 'planted.txt'), join(b.path, '..', 'home', 'x')]
    const result = await a.exec(
      `ls ${b.path}; cat ${files[0]} ${files[1]}; echo evil > ${files[0]}; echo evil > ${files[2]}; touch ${files[3]}; ` +
        `mv ${b.path} ${a.path}/stolen; ls ${join(b.path, '..')}; echo done`,
    )
    expect(result.stdout).toBe('done\n')
    expect(result.stderr).toContain('Permission denied')
    expect(await b.read('notes.txt')).toBe('b only\n')
    expect(await b.read('own.txt')).toBe('made-by-b\n')
    expect(existsSync(files[2]!)).toBe(false)
    expect(existsSync(files[3]!)).toBe(false)
  })

  it('hands the user back when the workspace goes, and kills what the trial left running', async () => {
    const ws = await fallbackWorkspace()
    const t = token()
    await ws.exec(`setsid bash -c 'sleep 300; : ${t}' & echo started`)
    await ws.dispose()
    const running = readFileSync('/proc/self/status', 'utf8') // the runner is fine
    expect(running).toContain('State:')
    expect(existsSync(ws.path)).toBe(false)
    expect((await import('../workspace/helpers.js')).processesWith(t)).toEqual([])
  })
})

describe('fallback refusal when commands would run as the runner', () => {
  const facts = { requested: 'auto', resolved: 'none', otherUser: false, secretNames: ['OPENAI_API_KEY'] } as const

  it('refuses a fallback that was not asked for, as the runner, with secrets in its environment', () => {
    expect(fallbackRefusal(facts)).toMatch(/holds secrets \(OPENAI_API_KEY\).*set `sandbox: none` to accept this/)
    expect(fallbackRefusal({ ...facts, requested: 'none' })).toBeUndefined() // asked for explicitly
    expect(fallbackRefusal({ ...facts, resolved: 'bwrap' })).toBeUndefined()
    expect(fallbackRefusal({ ...facts, otherUser: true })).toBeUndefined()
    expect(fallbackRefusal({ ...facts, secretNames: [] })).toBeUndefined()
  })

  it('names the secret variables, never their values', () => {
    const env = { OPENAI_API_KEY: 'sk-abcdefgh12345678', DEPLOY_TOKEN: 'tok-12345678', PATH: '/usr/bin', SHORT_KEY: 'k' }
    expect(secretNamesInEnv(env)).toEqual(['DEPLOY_TOKEN', 'OPENAI_API_KEY'])
    expect(fallbackRefusal({ ...facts, secretNames: secretNamesInEnv(env) })).not.toContain('sk-abcdefgh')
  })

  it('makes createWorkspace refuse under auto without bubblewrap, and accept `sandbox: none`', async () => {
    const name = 'SELF_HARNESS_PROBE_TOKEN'
    process.env[name] = token()
    try {
      // Commands as the runner's own user: what a runner that is not root gets.
      const exec = { runAs: selfUser(), bwrapPath: '/nonexistent/bwrap' }
      const refused = await createWorkspace({ exec: { ...exec, sandbox: 'auto' } }).catch((error: unknown) => error)
      expect(refused).toBeInstanceOf(ConfigurationError)
      expect(refused).toMatchObject({ code: 'CONFIG_INVALID', field: 'sandbox' })
      expect(String(refused)).toContain(name)
      expect(String(refused)).not.toContain(process.env[name])
      const accepted = await createWorkspace({ exec: { ...exec, sandbox: 'none' } })
      open.push(accepted)
      expect((await accepted.exec('echo ran')).stdout).toBe('ran\n')
    } finally {
      delete process.env[name]
    }
  })
})
