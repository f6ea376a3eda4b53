import { execa } from 'execa'
import { chmodSync, existsSync, lstatSync, readdirSync, readlinkSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ConfigurationError, SandboxError } from '../../src/errors.js'
import { bwrapArgs, sandboxEtc, systemBindArgs } from '../../src/workspace/bwrap-args.js'
import { execCommand } from '../../src/workspace/exec.js'
import { fallbackWarning, resolveSandbox, WARNED_ENV } from '../../src/workspace/sandbox.js'
import { bwrap } from './helpers.js'

const missing = '/nonexistent/bwrap'

describe('resolveSandbox', () => {
  // A warning printed earlier in this process (bubblewrap missing here) must not hide the one under test.
  beforeEach(() => {
    delete process.env[WARNED_ENV]
  })
  afterEach(() => {
    vi.restoreAllMocks()
  })

  it('uses the fallback for `none`, without probing or warning', async () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    expect(await resolveSandbox('none')).toMatchObject({ mode: 'none', reason: 'the `sandbox: none` setting' })
    expect(write).not.toHaveBeenCalled()
  })

  it('falls back under `auto` when bubblewrap is missing, warning once per process on stderr', async () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    const first = await resolveSandbox('auto', { bwrapPath: missing })
    const second = await resolveSandbox('auto', { bwrapPath: missing })
    const result = await execCommand('echo fallback', { bwrapPath: missing })
    expect(first).toMatchObject({ mode: 'none', reason: `bubblewrap is not installed at ${missing}` })
    expect(second).toEqual(first)
    expect(result).toMatchObject({ sandbox: 'none', stdout: 'fallback\n' })
    expect(write).toHaveBeenCalledTimes(1)
    expect(String(write.mock.calls[0]?.[0])).toBe(fallbackWarning(first.reason))
    expect(fallbackWarning('x')).toMatch(/WARNING: no sandbox: x\..*CAN reach the network/)
  })

  it('throws a SandboxError under `bwrap` when bubblewrap is missing, also from execCommand', async () => {
    await expect(resolveSandbox('bwrap', { bwrapPath: missing })).rejects.toBeInstanceOf(SandboxError)
    await expect(execCommand('true', { sandbox: 'bwrap', bwrapPath: missing })).rejects.toMatchObject({
      code: 'SANDBOX_FAILED',
    })
  })

  it('throws a SandboxError under `bwrap` when bubblewrap is installed but broken', async () => {
    await expect(resolveSandbox('bwrap', { bwrapPath: '/bin/false' })).rejects.toThrow(/does not work here/)
  })

  it('rejects an unknown mode as a configuration error', async () => {
    await expect(resolveSandbox('docker' as never)).rejects.toBeInstanceOf(ConfigurationError)
  })

  it.skipIf(!bwrap.available)('picks bubblewrap under `auto` and `bwrap` when it works here (needs bubblewrap)', async () => {
    expect(await resolveSandbox('auto')).toMatchObject({ mode: 'bwrap' })
    expect(await resolveSandbox('bwrap')).toMatchObject({ mode: 'bwrap' })
  })

  it.skipIf(!bwrap.available)('reports a sandbox that cannot be set up as a SandboxError, not as a failed command (needs bubblewrap)', async () => {
    await expect(execCommand('true', { sandbox: 'bwrap', cwd: '/nonexistent/dir' })).rejects.toThrow(
      /bubblewrap could not set up the sandbox: bwrap: Can't find source path/,
    )
  })

  it('reports a fallback command that cannot start as a SandboxError naming the directory', async () => {
    await expect(execCommand('true', { sandbox: 'none', cwd: '/nonexistent/dir' })).rejects.toThrow(
      /Could not start `bash` in `\/nonexistent\/dir`/,
    )
  })
})

describe('bubblewrap arguments', () => {
  const args = bwrapArgs({ writable: ['/w/home', '/w/work'], readOnly: ['/opt/tool'], chdir: '/w/work', tmpSizeBytes: 1024, modern: true })

  it('unshares every namespace, the network included, and dies with the runner', () => {
    for (const flag of ['--unshare-user', '--unshare-pid', '--unshare-ipc', '--unshare-net', '--die-with-parent', '--new-session', '--disable-userns']) {
      expect(args).toContain(flag)
    }
  })

  it('binds the system read-only, and only the given directories read-write at their own paths', () => {
    const pairs = (flag: string) => args.flatMap((arg, i) => (arg === flag ? [`${args[i + 1]}=${args[i + 2]}`] : []))
    expect(pairs('--bind')).toEqual(['/w/home=/w/home', '/w/work=/w/work'])
    expect(pairs('--ro-bind')).toContain('/usr=/usr')
    expect(pairs('--ro-bind')).toContain('/opt/tool=/opt/tool')
    // Every host path the sandbox sees: the system, the private /etc, and what the layout names.
    const sources = ['--bind', '--ro-bind', '--ro-bind-try', '--dev-bind'].flatMap((flag) => pairs(flag).map((pair) => pair.split('=')[0]))
    const system = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32']
    expect(sources.filter((source) => ![...system, sandboxEtc(), '/opt/tool', '/w/home', '/w/work'].includes(source!))).toEqual([])
    expect(pairs('--ro-bind')).toContain(`${sandboxEtc()}=/etc`)
    expect(systemBindArgs().join(' ')).toContain(`--ro-bind ${sandboxEtc()} /etc`)
  })

  it('shares one copy of /etc between runner processes, unless the shared one could have been changed by others', async () => {
    const built = new URL('../../dist/src/workspace/bwrap-args.js', import.meta.url).href
    const etcOf = async (): Promise<string> =>
      (await execa(process.execPath, ['--input-type=module', '-e', `import { sandboxEtc } from '${built}'; console.log(sandboxEtc())`])).stdout.trim()
    const shared = sandboxEtc()
    expect(shared).toMatch(new RegExp(`self-harness-etc-${process.getuid?.() ?? -1}-[0-9a-f]{16}$`))
    expect(await etcOf()).toBe(shared)
    chmodSync(shared, 0o777)
    try {
      const other = await etcOf()
      expect(other).not.toBe(shared)
      expect(existsSync(other)).toBe(false) // a private copy, removed when its process exited
    } finally {
      chmodSync(shared, 0o755)
    }
  })

  it("gives the sandbox a copy of the /etc entries tools need, and none of the host's secrets", () => {
    const etc = sandboxEtc()
    expect(statSync(etc).mode & 0o777).toBe(0o755)
    const names = readdirSync(etc)
    for (const needed of ['passwd', 'group', 'nsswitch.conf'].filter((name) => existsSync(join('/etc', name)))) expect(names).toContain(needed)
    for (const secret of ['shadow', 'gshadow', 'gitconfig', 'npmrc', 'sudoers', 'ssh']) expect(names).not.toContain(secret)
    if (existsSync('/etc/ssl')) expect(readdirSync(join(etc, 'ssl')).sort()).toEqual(['certs', 'openssl.cnf'].filter((name) => existsSync(join('/etc/ssl', name))))
    if (existsSync('/etc/localtime') && lstatSync('/etc/localtime').isSymbolicLink()) {
      expect(readlinkSync(join(etc, 'localtime'))).toBe(readlinkSync('/etc/localtime'))
    }
    expect(args.slice(args.indexOf('--remount-ro', args.indexOf('--tmpfs') + 3))).toContain('/')
  })

  it('gives /tmp and /dev/shm a size and leaves out the newer flags for an older bubblewrap', () => {
    expect(args.join(' ')).toContain('--size 1024 --tmpfs /tmp')
    const old = bwrapArgs({ writable: [], readOnly: [], tmpSizeBytes: 1024, modern: false })
    expect(old).not.toContain('--size')
    expect(old).not.toContain('--disable-userns')
  })
})
