import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigurationError, WorkspaceError } from '../../src/errors.js'
import { createWorkspace, type Workspace } from '../../src/workspace/workspace.js'
import { isRoot, token } from './helpers.js'

const outside = (file: string) => `Expected a path inside the workspace, got \`${file}\`.`

describe.each(['auto', 'none'] as const)('file operations beneath the workspace (sandbox: %s)', (sandbox) => {
  let ws: Workspace
  let host: string
  beforeAll(async () => {
    ws = await createWorkspace({ exec: { sandbox }, files: { maxReadBytes: 64 } })
    host = await mkdtemp(join(tmpdir(), 'host-'))
    await writeFile(join(host, 'secret.txt'), 'host secret\n')
  })
  afterAll(async () => {
    await ws.dispose()
    await rm(host, { recursive: true, force: true })
  })

  it('refuses links out of the workspace with one text, whether or not the host path exists', async () => {
    await ws.exec(
      `ln -s ${host}/secret.txt to-file; ln -s ${host}/missing.txt to-missing; ln -s ${host} to-dir; ` +
        `ln -s /nonexistent-${token()}/x to-nowhere; mkdir -p a/b; ln -s ../../.. a/b/up`,
    )
    for (const file of ['to-file', 'to-missing', 'to-dir/secret.txt', 'to-dir/new.txt', 'to-nowhere', 'a/b/up/x', '../x', `${host}/secret.txt`]) {
      await expect(ws.read(file), file).rejects.toThrow(outside(file))
      await expect(ws.write(file, 'planted\n'), file).rejects.toThrow(outside(file))
      expect(await ws.exists(file), file).toBe(false)
    }
    expect(readdirSync(host)).toEqual(['secret.txt'])
    expect(await readFile(join(host, 'secret.txt'), 'utf8')).toBe('host secret\n')
  })

  it('follows links that stay inside, relative or absolute, and writes through them to their target', async () => {
    await ws.exec(`mkdir -p in/deep && echo old > in/deep/t.txt && ln -s deep/t.txt in/rel && ln -s "$PWD/in/deep" abs-dir && ln -s in/../in/rel chain`)
    expect(await ws.read('in/rel')).toBe('old\n')
    await ws.write('abs-dir/t.txt', 'new\n')
    expect(await ws.read('chain')).toBe('new\n')
    expect((await ws.exec('test -L in/rel && cat in/deep/t.txt')).stdout).toBe('new\n')
  })

  it('refuses FIFOs, sockets and devices at once, without opening them for a blocking read', async () => {
    await ws.exec(`mkfifo fifo && python3 -c "import socket; socket.socket(socket.AF_UNIX).bind('sock')" && ln -s /dev/zero zero`)
    // More FIFOs than the thread pool has threads: a blocking open would hang here.
    const reads = await Promise.allSettled(Array.from({ length: 8 }, () => ws.read('fifo')))
    for (const read of reads) expect(read.status === 'rejected' && String(read.reason)).toContain('it is a FIFO; the file tools read and write regular files only')
    await expect(ws.write('fifo', 'x')).rejects.toThrow('it is a FIFO')
    expect((await ws.exec('test -p fifo && echo still-a-fifo')).stdout).toBe('still-a-fifo\n')
    await expect(ws.read('sock')).rejects.toThrow('it is a socket')
    await expect(ws.read('zero')).rejects.toThrow(outside('zero'))
    await expect(ws.read('.')).rejects.toThrow('it is a directory')
    await expect(ws.write('in', 'x')).rejects.toThrow('it is a directory')
  })

  it('reads up to the limit, never cutting a character, and says so; `read` refuses what is over it', async () => {
    await ws.write('big.txt', 'é'.repeat(100))
    const head = await ws.readLimited('big.txt')
    expect(head).toEqual({ content: 'é'.repeat(32), bytes: 64, truncated: true })
    expect(await ws.readLimited('big.txt', 9)).toMatchObject({ content: 'éééé', truncated: true })
    await expect(ws.read('big.txt')).rejects.toThrow('over the read limit of 64 bytes (`files.maxReadBytes`)')
    await ws.write('small.txt', 'x'.repeat(64))
    expect(await ws.readLimited('small.txt')).toEqual({ content: 'x'.repeat(64), bytes: 64, truncated: false })
  })

  it('replaces a file whole: mode kept, hard links not written through, no temporary file left', async () => {
    await ws.exec('printf "#!/bin/sh\\necho one\\n" > run.sh && chmod 755 run.sh && ln run.sh run-hard')
    await ws.write('run.sh', '#!/bin/sh\necho two\n')
    expect((await ws.exec('./run.sh; cat run-hard')).stdout).toBe('two\n#!/bin/sh\necho one\n')
    expect(statSync(join(ws.path, 'run.sh')).uid).toBe(ws.runAs.uid)
    expect(readdirSync(ws.path).filter((name) => name.endsWith('.tmp'))).toEqual([])
  })

  it.skipIf(!isRoot)('refuses to read a hard link to a file the command user does not own (needs root)', async () => {
    // As a link a command could make where fs.protected_hardlinks is off; made by the runner here.
    const { link } = await import('node:fs/promises')
    const hostFile = join(ws.path, '..', 'host-secret.txt')
    await writeFile(hostFile, 'host secret\n')
    try {
      await link(hostFile, join(ws.path, 'hard.txt'))
      await expect(ws.read('hard.txt')).rejects.toThrow(outside('hard.txt'))
      await ws.exec('echo mine > own.txt && ln own.txt own-hard.txt')
      expect(await ws.read('own-hard.txt')).toBe('mine\n') // the command user's own: fine
    } finally {
      await rm(hostFile, { force: true })
    }
  })

  it('makes missing parent directories for the command user, and reports path problems as ConfigurationErrors', async () => {
    await ws.write('new/dir/f.txt', 'x')
    expect(statSync(join(ws.path, 'new/dir')).uid).toBe(ws.runAs.uid)
    expect((await ws.exec('touch new/dir/g && echo ok')).stdout).toBe('ok\n')
    await expect(ws.read('missing.txt')).rejects.toThrow('no such file in the workspace')
    await expect(ws.read('new/dir/f.txt/x')).rejects.toThrow('not a directory')
    await expect(ws.read('a\0b')).rejects.toBeInstanceOf(ConfigurationError)
    await ws.exec('ln -s loop-b loop-a && ln -s loop-a loop-b')
    await expect(ws.read('loop-a')).rejects.toThrow('too many symbolic links')
    await expect(ws.write('loop-a', 'x')).rejects.toThrow('too many symbolic links')
    await expect(ws.write('x', 'y'.repeat(17 * 1024 * 1024))).rejects.toThrow('over the write limit')
  })

  it('never follows a link swapped in by a command running at the same time', async () => {
    const target = await mkdtemp(join(tmpdir(), 'race-'))
    await writeFile(join(target, 'f.txt'), 'host\n')
    try {
      await ws.exec('mkdir -p race && echo inside > race/f.txt')
      // Swaps `race` for a link to the host directory and back, as fast as it can, until `stop` appears.
      await ws.write('swap.py', [
        'import os, shutil',
        'swaps = 0',
        'while not os.path.exists("stop"):',
        '  try:',
        '    os.rename("race", "race.real"); os.symlink(' + JSON.stringify(target) + ', "race"); swaps += 1',
        '  except OSError: pass',
        '  for undo in (lambda: os.unlink("race"), lambda: shutil.rmtree("race"), lambda: os.rename("race.real", "race")):',
        '    try: undo()',
        '    except OSError: pass',
        'print(swaps)',
      ].join('\n'))
      const swapping = ws.exec('python3 swap.py', { timeoutMs: 60_000 })
      await new Promise((resolve) => setTimeout(resolve, 300))
      const seen = new Set<string>()
      for (let i = 0; i < 400; i++) {
        await ws.write('race/f.txt', 'inside\n').catch((error: Error) => seen.add(error.constructor.name))
        seen.add(await ws.read('race/f.txt').catch((error: Error) => error.constructor.name))
      }
      await ws.write('stop', '')
      const swapped = await swapping
      expect(swapped.exitCode, swapped.stderr).toBe(0)
      expect(Number(swapped.stdout)).toBeGreaterThan(100) // the race was run, many times over
      expect(seen.has('host\n')).toBe(false)
      expect([...seen].every((value) => ['inside\n', 'ConfigurationError'].includes(value)), [...seen].join()).toBe(true)
      expect(readdirSync(target)).toEqual(['f.txt'])
      expect(await readFile(join(target, 'f.txt'), 'utf8')).toBe('host\n')
    } finally {
      await rm(target, { recursive: true, force: true })
    }
  })
})

describe('file options', () => {
  it('rejects limits that are not positive integers, naming the field', async () => {
    await expect(createWorkspace({ files: { maxReadBytes: 0 } })).rejects.toThrow('Expected `files.maxReadBytes` to be a positive integer')
    await expect(createWorkspace({ files: { maxWriteBytes: 1.5 } })).rejects.toMatchObject({ field: 'files.maxWriteBytes' })
  })
})

/** A tmpfs of a few blocks and inodes at a fresh directory, or the reason it cannot be made. */
function tinyDisk(options: string): { dir: string; unmount: () => void } | string {
  if (!isRoot) return 'needs root to mount a tmpfs'
  const dir = join(tmpdir(), `full-${token()}`)
  mkdirSync(dir)
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'pipe' })
  } catch (error) {
    return `cannot mount a tmpfs here: ${String((error as Error).message).split('\n')[0]}`
  }
  return {
    dir,
    unmount: () => {
      execFileSync('umount', ['-l', dir])
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

const probe = tinyDisk('size=64k')
if (typeof probe !== 'string') probe.unmount()
const diskReason = typeof probe === 'string' ? probe : ''

describe.skipIf(diskReason !== '')(`a full disk${diskReason ? ` (skipped: ${diskReason})` : ''}`, () => {
  it('makes a write fail as a WorkspaceError naming the file, the old content whole, no temporary file left', async () => {
    const disk = tinyDisk('size=64k') as Exclude<ReturnType<typeof tinyDisk>, string>
    try {
      const ws = await createWorkspace({ root: disk.dir, exec: { sandbox: 'none' } })
      await ws.write('notes.txt', 'kept\n')
      const error = await ws.write('notes.txt', 'x'.repeat(256 * 1024)).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(WorkspaceError)
      expect(error).toMatchObject({ code: 'WORKSPACE_FAILED', file: 'notes.txt' })
      expect(String((error as Error).message)).toMatch(/Could not write `notes.txt` in the workspace: ENOSPC/)
      expect(await ws.read('notes.txt')).toBe('kept\n')
      expect(readdirSync(ws.path)).toEqual(['notes.txt'])
      await ws.dispose()
      expect(readdirSync(disk.dir)).toEqual([])
    } finally {
      disk.unmount()
    }
  })

  it('makes workspace creation fail as a WorkspaceError naming the directory, and leaves nothing behind', async () => {
    const disk = tinyDisk('size=64k,nr_inodes=4') as Exclude<ReturnType<typeof tinyDisk>, string>
    try {
      const error = await createWorkspace({ root: disk.dir, exec: { sandbox: 'none' } }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(WorkspaceError)
      expect(error).toMatchObject({ code: 'WORKSPACE_FAILED' })
      expect(String((error as Error).message)).toMatch(new RegExp(`Could not create the trial's workspace at ${disk.dir}/trial-\\w+/\\w+: ENOSPC`))
      expect(readdirSync(disk.dir)).toEqual([])
    } finally {
      disk.unmount()
    }
  })
})

describe('workspace paths that exist only as text', () => {
  it('resolves lexically and refuses what leaves', async () => {
    const ws = await createWorkspace({ exec: { sandbox: 'none' } })
    try {
      expect(ws.resolve('a/../b')).toBe(join(ws.path, 'b'))
      expect(() => ws.resolve('../b')).toThrow(outside('../b'))
      expect(existsSync(ws.path)).toBe(true)
      await mkdir(join(ws.path, 'd'))
      await symlink('/etc', join(ws.path, 'd', 'etc'))
      expect(await ws.exists('d/etc/passwd')).toBe(false)
    } finally {
      await ws.dispose()
    }
  })
})
