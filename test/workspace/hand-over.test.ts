import { lstatSync, statSync } from 'node:fs'
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ownsAnything } from '../../src/workspace/run-as.js'
import { createWorkspace } from '../../src/workspace/workspace.js'
import { isRoot } from './helpers.js'

describe('ownsAnything', () => {
  it('finds an entry of the user deep in a tree, and nothing in a tree of others', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'owns-'))
    try {
      await mkdir(join(dir, 'a/b/c'), { recursive: true })
      await writeFile(join(dir, 'a/b/c/file.txt'), 'x')
      const me = statSync(dir).uid
      expect(await ownsAnything([dir], me)).toBe(true)
      expect(await ownsAnything([dir], me + 12345)).toBe(false)
      expect(await ownsAnything([join(dir, 'missing')], me)).toBe(false)
    } finally {
      await rm(dir, { recursive: true })
    }
  })

  it('does not follow symlinks out of the tree, and answers yes past its limit', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'owns-'))
    try {
      await symlink('/usr', join(dir, 'link'))
      const linkOwner = lstatSync(join(dir, 'link')).uid
      // /usr holds root's files; the walk sees only the link itself.
      expect(await ownsAnything([join(dir, 'link')], linkOwner + 1)).toBe(false)
      for (let i = 0; i < 5; i++) await writeFile(join(dir, `f${i}`), '')
      expect(await ownsAnything([dir], linkOwner + 1, 3)).toBe(true)
    } finally {
      await rm(dir, { recursive: true })
    }
  })
})

describe.skipIf(!isRoot).each(['auto', 'none'] as const)('hand-over to the command user as root (sandbox: %s) (needs root)', (sandbox) => {
  it('gives a file written through the workspace to the command user at once', async () => {
    const ws = await createWorkspace({ exec: { sandbox } })
    try {
      await ws.exec('true')
      await ws.write('notes.txt', 'one\n')
      expect(statSync(join(ws.path, 'notes.txt')).uid).toBe(ws.runAs.uid)
      await ws.write('new/dir/notes.txt', 'two\n')
      expect((await ws.exec('echo more >> notes.txt && echo more >> new/dir/notes.txt && touch new/dir/other && cat notes.txt')).stdout).toBe('one\nmore\n')
    } finally {
      await ws.dispose()
    }
  })

  it('hands over files placed by other means before the first command', async () => {
    const ws = await createWorkspace({ exec: { sandbox } })
    try {
      await mkdir(join(ws.path, 'fixture'))
      await writeFile(join(ws.path, 'fixture', 'data.txt'), 'three\n')
      expect(statSync(join(ws.path, 'fixture', 'data.txt')).uid).toBe(0)
      expect((await ws.exec('echo four >> fixture/data.txt && cat fixture/data.txt')).stdout).toBe('three\nfour\n')
      expect(statSync(join(ws.path, 'fixture')).uid).toBe(ws.runAs.uid)
    } finally {
      await ws.dispose()
    }
  })
})
