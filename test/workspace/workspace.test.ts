import { existsSync, readdirSync, statSync } from 'node:fs'
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigurationError, SandboxError } from '../../src/errors.js'
import { defaultRunAs, NOBODY } from '../../src/workspace/run-as.js'
import { createWorkspace } from '../../src/workspace/workspace.js'
import { isRoot } from './helpers.js'

describe.each(['auto', 'none'] as const)('workspace (sandbox: %s)', (sandbox) => {
  it('is a fresh directory with a private home, owned by the command user, removed by dispose', async () => {
    const ws = await createWorkspace({ exec: { sandbox } })
    expect(statSync(ws.path).uid).toBe(ws.runAs.uid)
    expect(statSync(ws.path).mode & 0o777).toBe(0o700)
    expect(existsSync(join(ws.path, '..', 'home'))).toBe(true)
    expect((await ws.exec('ls -A | wc -l')).stdout.trim()).toBe('0')
    await ws.dispose()
    expect(existsSync(ws.path)).toBe(false)
  })

  it('hands files written by the runner to the command user, so commands can change them', async () => {
    const ws = await createWorkspace({ exec: { sandbox } })
    try {
      await ws.write('deep/dir/notes.txt', 'one\n')
      expect((await ws.exec('echo two >> deep/dir/notes.txt && mkdir deep/dir/sub && cat deep/dir/notes.txt')).stdout).toBe(
        'one\ntwo\n',
      )
      // Files placed by other means after the first command: announced with handOver().
      const source = await mkdtemp(join(tmpdir(), 'fixture-'))
      await writeFile(join(source, 'data.txt'), 'three\n')
      await cp(source, join(ws.path, 'fixture'), { recursive: true })
      await rm(source, { recursive: true })
      ws.handOver()
      expect((await ws.exec('echo four >> fixture/data.txt && cat fixture/data.txt')).stdout).toBe('three\nfour\n')
      expect(await ws.read('fixture/data.txt')).toBe('three\nfour\n')
    } finally {
      await ws.dispose()
    }
  })

  it('refuses paths that leave the workspace, accepting names that merely start with two dots', async () => {
    const ws = await createWorkspace({ exec: { sandbox } })
    try {
      expect(() => ws.resolve('../escape')).toThrow(ConfigurationError)
      expect(() => ws.resolve('/etc/passwd')).toThrow('Expected a path inside the workspace')
      await expect(ws.write('../escape', 'x')).rejects.toBeInstanceOf(ConfigurationError)
      await ws.write('..dots', 'fine')
      expect(await ws.read('..dots')).toBe('fine')
      expect(ws.resolve(join(ws.path, 'a/b'))).toBe(join(ws.path, 'a/b'))
      expect(await ws.exists('missing')).toBe(false)
    } finally {
      await ws.dispose()
    }
  })
})

describe('workspace setup', () => {
  it('fails at creation, clearly, when bubblewrap is required but missing', async () => {
    const creating = createWorkspace({ exec: { sandbox: 'bwrap', bwrapPath: '/nonexistent/bwrap' } })
    await expect(creating).rejects.toBeInstanceOf(SandboxError)
    await expect(creating).rejects.toThrow('needs a working bubblewrap')
  })

  it('rejects a relative root', async () => {
    await expect(createWorkspace({ root: 'relative' })).rejects.toThrow('Expected `root` to be an absolute path')
  })

  it.skipIf(!isRoot)('as root, refuses a root directory the command user cannot reach (needs root)', async () => {
    const hidden = await mkdtemp(join(tmpdir(), 'hidden-')) // mode 0700, owned by root
    try {
      await expect(createWorkspace({ root: join(hidden, 'trials'), exec: { sandbox: 'none' } })).rejects.toThrow(
        `not searchable by it`,
      )
      expect(readdirSync(join(hidden, 'trials'))).toEqual([]) // the half-made trial directory is removed
      expect(defaultRunAs()).toEqual(NOBODY)
    } finally {
      await rm(hidden, { recursive: true })
    }
  })
})
