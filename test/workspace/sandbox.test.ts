import { afterEach, describe, expect, it, vi } from 'vitest'
import { ConfigurationError, SandboxError } from '../../src/errors.js'
import { bwrapArgs, systemBindArgs } from '../../src/workspace/bwrap-args.js'
import { execCommand } from '../../src/workspace/exec.js'
import { fallbackWarning, resolveSandbox } from '../../src/workspace/sandbox.js'
import { bwrap } from './helpers.js'

const missing = '/nonexistent/bwrap'

describe('resolveSandbox', () => {
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

  it.skipIf(!bwrap.available)('picks bubblewrap under `auto` and `bwrap` when it works here', async () => {
    expect(await resolveSandbox('auto')).toMatchObject({ mode: 'bwrap' })
    expect(await resolveSandbox('bwrap')).toMatchObject({ mode: 'bwrap' })
  })

  it.skipIf(!bwrap.available)('reports a sandbox that cannot be set up as a SandboxError, not as a failed command', async () => {
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
    const visible = [...systemBindArgs(), ...args].join(' ')
    for (const hidden of ['/root', '/home', '/etc/shadow', '/etc/ssl/private', '/etc/gitconfig', '/etc/npmrc', '/var', '/run']) {
      expect(visible).not.toMatch(new RegExp(`(^| )${hidden}( |$)`))
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
