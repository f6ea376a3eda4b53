import { execa } from 'execa'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigurationError, SandboxError } from '../../src/errors.js'
import { execCommand } from '../../src/workspace/exec.js'
import { helperFile, helperPid, stopHelper } from '../../src/workspace/spawner.js'
import { createWorkspace, type Workspace } from '../../src/workspace/workspace.js'
import { processesWith, token } from './helpers.js'

const built = fileURLToPath(new URL('../../dist/src/index.js', import.meta.url))

async function gone(marker: string, limitMs = 3000): Promise<boolean> {
  for (const deadline = Date.now() + limitMs; Date.now() < deadline; ) {
    if (processesWith(marker).length === 0) return true
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  return false
}

/** Whether `pid` is gone (or a zombie) within `limitMs`. */
async function exited(pid: number, limitMs = 3000): Promise<boolean> {
  for (const deadline = Date.now() + limitMs; Date.now() < deadline; ) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      if (/^\d+ \(.*\) [ZX]/s.test(stat)) return true
    } catch {
      return true
    }
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  return false
}

describe('the command helper process', () => {
  let ws: Workspace
  beforeAll(async () => {
    ws = await createWorkspace({ exec: { sandbox: 'none' } })
  })
  afterAll(() => ws.dispose())

  it('is compiled beside the package (the tests run after a build)', () => {
    expect(helperFile()).toMatch(/dist\/src\/workspace\/spawner-main\.js$/)
  })

  it('starts commands by default, and the runner itself with `spawner: inline`', async () => {
    const viaHelper = await ws.exec('echo $PPID')
    expect(helperPid()).toBeGreaterThan(0)
    expect(Number(viaHelper.stdout.trim())).toBe(helperPid())
    const inline = await ws.exec('echo $PPID', { spawner: 'inline' })
    expect(Number(inline.stdout.trim())).toBe(process.pid)
  })

  it('keeps every command its own: output, exit code and limits, many at once', async () => {
    const results = await Promise.all(
      Array.from({ length: 24 }, (_, i) => ws.exec(`echo out${i}; echo err${i} >&2; exit ${i % 5}`, { timeoutMs: 5000 })),
    )
    results.forEach((result, i) => expect(result).toMatchObject({ stdout: `out${i}\n`, stderr: `err${i}\n`, exitCode: i % 5 }))
    const slow = await ws.exec('sleep 5', { timeoutMs: 200 })
    expect(slow).toMatchObject({ timedOut: true, exitCode: null })
  })

  it('fails the commands in flight with a SandboxError when the helper dies, and starts a new one for the next', async () => {
    await ws.exec('true')
    const first = helperPid()!
    const running = ws.exec('sleep 5')
    await new Promise((resolve) => setTimeout(resolve, 100))
    process.kill(first, 'SIGKILL')
    await expect(running).rejects.toBeInstanceOf(SandboxError)
    await expect(running).rejects.toThrow(/helper process ended \(SIGKILL\)/)
    const next = await ws.exec('echo again')
    expect(next.stdout).toBe('again\n')
    expect(helperPid()).not.toBe(first)
  })

  it('lets the runner exit while it idles, and ends with the runner', async () => {
    const script = `import { execCommand } from ${JSON.stringify(built)}
const r = await execCommand('echo hi', { sandbox: 'none' }); console.log(r.stdout.trim())`
    const run = await execa(process.execPath, ['--input-type=module', '-e', script], { timeout: 20_000, reject: false })
    expect(run).toMatchObject({ exitCode: 0, stdout: 'hi', timedOut: false })
  })

  it('kills the commands of a runner that is killed, and exits', async () => {
    const marker = token()
    const script = `import { execCommand } from ${JSON.stringify(built)}
import { helperPid } from ${JSON.stringify(built.replace('index.js', 'workspace/spawner.js'))}
setTimeout(() => console.log('helper', helperPid()), 300)
await execCommand('sleep 60; : ${marker}', { sandbox: 'none', timeoutMs: 60_000 })`
    const runner = execa(process.execPath, ['--input-type=module', '-e', script], { reject: false, buffer: true, lines: false })
    let output = ''
    runner.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()))
    for (const deadline = Date.now() + 10_000; !/helper \d+/.test(output) && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
    const helper = Number(/helper (\d+)/.exec(output)?.[1])
    expect(helper).toBeGreaterThan(0)
    expect(processesWith(marker).length).toBeGreaterThan(0)
    runner.kill('SIGKILL')
    await runner
    expect(await gone(marker)).toBe(true)
    expect(await exited(helper)).toBe(true)
  })

  it('refuses an unknown spawner, naming the field', async () => {
    const bad = { spawner: 'elsewhere' } as unknown as { spawner: 'helper' }
    await expect(execCommand('true', { sandbox: 'none', ...bad })).rejects.toBeInstanceOf(ConfigurationError)
    await expect(execCommand('true', { sandbox: 'none', ...bad })).rejects.toThrow('Expected `spawner` to be helper or inline')
  })

  afterAll(() => stopHelper())
})
