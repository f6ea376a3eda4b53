import { execa } from 'execa'
import { existsSync } from 'node:fs'
import { rm, symlink, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { homedir, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigurationError } from '../../src/errors.js'
import { createWorkspace, type Workspace } from '../../src/workspace/workspace.js'
import { bwrap, listen, processesWith, token } from './helpers.js'

const project = process.cwd()
const title = bwrap.available ? 'bubblewrap sandbox' : `bubblewrap sandbox (skipped: ${bwrap.reason})`

describe.skipIf(!bwrap.available)(title, () => {
  let ws: Workspace
  beforeAll(async () => {
    ws = await createWorkspace({ exec: { sandbox: 'bwrap' } })
  })
  afterAll(() => ws.dispose())

  /** After every containment check: the same workspace and a new one still run commands. */
  async function expectStillWorks(): Promise<void> {
    expect((await ws.exec('echo ok')).stdout).toBe('ok\n')
    const fresh = await createWorkspace({ exec: { sandbox: 'bwrap' } })
    try {
      expect((await fresh.exec('echo fresh')).stdout).toBe('fresh\n')
    } finally {
      await fresh.dispose()
    }
  }

  it('runs git, bash, coreutils and python3 at the workspace path, as the sandbox user', async () => {
    const result = await ws.exec(
      'pwd && git init -q && git -c user.email=a@b.c -c user.name=A commit -q --allow-empty -m x && ' +
        'git log --format=%s && python3 -c "print(6*7)" && sort <<< $\'b\\na\' | head -1',
    )
    expect(result).toMatchObject({ exitCode: 0, sandbox: 'bwrap' })
    expect(result.stdout).toBe(`${ws.path}\nx\n42\na\n`)
  })

  it('keeps writes outside the workspace from reaching the host', async () => {
    const t = token()
    const targets = [join(project, t), `/etc/${t}`, join(homedir(), t), join(dirname(ws.path), t), `/usr/${t}`]
    const result = await ws.exec(targets.map((target) => `touch ${target}`).join('; '))
    for (const target of targets) expect(existsSync(target), target).toBe(false)
    expect(result.stderr).toMatch(/Read-only file system|No such file or directory/)
    await expectStillWorks()
  })

  it('does not show the home directory, /root, /home or the project checkout', async () => {
    const paths = [homedir(), '/root', '/home', project, join(project, 'package.json'), '/etc/shadow']
    const result = await ws.exec(paths.map((path) => `ls -d ${path} 2>/dev/null && echo VISIBLE ${path}`).join('; '))
    expect(result.stdout).not.toContain('VISIBLE')
    await expectStillWorks()
  })

  it('gives the command a private /tmp: host files there are invisible, its files stay inside', async () => {
    const t = token()
    const hostFile = join(tmpdir(), `${t}-host`)
    await writeFile(hostFile, 'host')
    try {
      const result = await ws.exec(`echo inside > /tmp/${t} && cat /tmp/${t} && test ! -e ${hostFile} && echo unseen`)
      expect(result.stdout).toBe('inside\nunseen\n')
      expect(existsSync(join(tmpdir(), t))).toBe(false)
    } finally {
      await rm(hostFile)
    }
  })

  it('cannot reach a listener on the host loopback, nor a unix socket in the host /tmp', async () => {
    const server = await listen()
    const socketPath = join(tmpdir(), `${token()}.sock`)
    const unix = createServer((s) => s.end('x'))
    await new Promise<void>((resolve) => unix.listen(socketPath, resolve))
    try {
      const tcp = await ws.exec(`exec 3<>/dev/tcp/127.0.0.1/${server.port} && echo CONNECTED`)
      expect(tcp.stdout).not.toContain('CONNECTED')
      expect(tcp.stderr).toContain('Connection refused')
      const unixResult = await ws.exec(
        `python3 -c "import socket; s=socket.socket(socket.AF_UNIX); s.connect('${socketPath}'); print('CONNECTED')"`,
      )
      expect(unixResult.stdout).not.toContain('CONNECTED')
      const interfaces = await ws.exec('tail -n +3 /proc/net/dev | cut -d: -f1')
      expect(interfaces.stdout.trim()).toBe('lo')
      expect(server.connections()).toBe(0)
    } finally {
      await server.close()
      await new Promise<void>((resolve) => unix.close(() => resolve()))
    }
    await expectStillWorks()
  })

  it('contains a fork bomb: the host keeps forking, and nothing of it survives', async () => {
    const t = token()
    const bomb = ws.exec(`: ${t}; bomb() { bomb | bomb & }; bomb; sleep 30`, { timeoutMs: 3000, maxProcesses: 256 })
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect(processesWith(t).length).toBeLessThanOrEqual(256)
    expect((await execa('true', { reject: false })).exitCode).toBe(0) // the runner can still fork
    const result = await bomb
    expect(result.timedOut).toBe(true)
    expect(result.exitCode).toBeNull()
    expect(processesWith(t)).toEqual([])
    await expectStillWorks()
  })

  it('kills a process tree that ignores SIGTERM, background jobs and setsid escapees included', async () => {
    const t = token()
    const started = Date.now()
    const result = await ws.exec(
      `trap '' TERM; (trap '' TERM; sleep 300; : ${t}) & setsid bash -c 'sleep 300; : ${t}' & sleep 300`,
      { timeoutMs: 500 },
    )
    expect(result.timedOut).toBe(true)
    expect(Date.now() - started).toBeLessThan(5000)
    expect(processesWith(t)).toEqual([])
    await expectStillWorks()
  })

  it('ends background jobs when the command ends', async () => {
    const t = token()
    const result = await ws.exec(`(sleep 300; : ${t}) & nohup bash -c 'sleep 300; : ${t}' >/dev/null 2>&1 & echo done`)
    expect(result).toMatchObject({ exitCode: 0, stdout: 'done\n', timedOut: false })
    expect(processesWith(t)).toEqual([])
  })

  it('stops endless output at the total limit, keeping only the head and tail', async () => {
    const before = process.memoryUsage().rss
    const result = await ws.exec('yes endless', { maxOutputBytes: 4096, maxTotalOutputBytes: 256 * 1024 * 1024 })
    expect(result).toMatchObject({ outputLimited: true, truncated: true, exitCode: null, timedOut: false })
    expect(result.stdout.length).toBeLessThan(4096 + 100)
    expect(result.stdout).toMatch(/^endless\n[\s\S]*bytes of output dropped[\s\S]*endless\n$/)
    // 256 MiB went through; memory grows by far less (what is left is garbage not yet collected).
    expect(process.memoryUsage().rss - before).toBeLessThan(128 * 1024 * 1024)
    await expectStillWorks()
  })

  it('kills a command that never ends at the time limit', async () => {
    const result = await ws.exec('while :; do :; done', { timeoutMs: 300 })
    expect(result).toMatchObject({ timedOut: true, exitCode: null })
    expect(result.durationMs).toBeLessThan(3000)
    await expectStillWorks()
  })

  it('limits the size of files a command writes', async () => {
    const result = await ws.exec('head -c 3000000 /dev/zero > big; echo $?; stat -c %s big', { maxFileBytes: 1024 * 1024 })
    const [status, size] = result.stdout.trim().split('\n')
    expect(Number(status)).not.toBe(0)
    expect(Number(size)).toBeLessThanOrEqual(1024 * 1024)
    await ws.exec('rm -f big')
  })

  it('refuses to follow symlinks a command planted to lead read and write outside', async () => {
    await ws.exec('ln -sf /etc/passwd passwd-link && ln -sfn /etc etc-link')
    await expect(ws.read('passwd-link')).rejects.toBeInstanceOf(ConfigurationError)
    await expect(ws.write('etc-link/planted', 'x')).rejects.toBeInstanceOf(ConfigurationError)
    expect(existsSync('/etc/planted')).toBe(false)
    expect(await ws.exists('passwd-link')).toBe(false)
    await rm(join(ws.path, 'passwd-link'))
    await symlink(join(ws.path, 'inside-target'), join(ws.path, 'inside-link'))
    await ws.write('inside-target', 'fine')
    expect(await ws.read('inside-link')).toBe('fine')
  })

  it('does not pass the runner environment, secrets included, unless allowed by name', async () => {
    const name = 'SELF_HARNESS_TEST_API_KEY'
    process.env[name] = `sk-${token()}${token()}`
    try {
      const hidden = await ws.exec('env; cat /proc/1/environ | tr "\\0" "\\n"')
      expect(hidden.stdout).not.toContain(process.env[name])
      expect(hidden.stdout).not.toContain(name)
      const allowed = await ws.exec(`printf %s "$${name}"`, { envAllow: [name] })
      expect(allowed.stdout).toBe(process.env[name])
    } finally {
      delete process.env[name]
    }
  })
})
