import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { execa } from 'execa'
import { afterAll, describe, expect, it } from 'vitest'

// A contributor's first steps: a fresh clone of the committed HEAD, `npm ci` from the npm cache, `npx self-harness`.
// `npm ci` runs `prepare`, which builds dist/ (a clone has none). Needs the npm cache to hold the lockfile's
// packages, as it does wherever this repo's own `npm ci` ran.

const repo = resolve(import.meta.dirname, '../..')
let work: string | undefined

/** The environment of a user's shell: none of the npm_* variables `npm test` sets. */
function userEnv(): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !/^npm_/i.test(key) && !/^(VITEST|NODE_OPTIONS$)/.test(key)) env[key] = value
  return { ...env, NO_COLOR: '1' }
}

afterAll(async () => {
  if (!work) return
  // `npx` in a package's own folder links it into npm's npx cache; drop the entry that points into the clone.
  const cache = join((await execa('npm', ['config', 'get', 'cache'], { env: userEnv(), extendEnv: false })).stdout.trim(), '_npx')
  for (const entry of await readdir(cache).catch(() => [])) {
    const pkg = await readFile(join(cache, entry, 'package.json'), 'utf8').catch(() => '')
    if (pkg.includes(work)) await rm(join(cache, entry), { recursive: true, force: true })
  }
  await rm(work, { recursive: true, force: true })
})

describe('a fresh clone', () => {
  it('builds on `npm ci --offline` and answers `npx self-harness --help`', async () => {
    work = await mkdtemp(join(tmpdir(), 'self-harness-clone-'))
    const clone = join(work, 'self-harness')
    await execa('git', ['clone', '--quiet', repo, clone])
    expect(await readdir(clone)).not.toContain('dist')
    const ci = await execa('npm', ['ci', '--offline', '--no-audit', '--no-fund'], { cwd: clone, env: userEnv(), extendEnv: false, reject: false, all: true })
    expect(ci.exitCode, ci.all).toBe(0)
    expect(await readdir(join(clone, 'dist'))).toEqual(expect.arrayContaining(['src', 'plugin', 'fixtures']))
    const help = await execa('npx', ['self-harness', '--help'], { cwd: clone, env: userEnv(), extendEnv: false, reject: false, all: true })
    expect(help.exitCode, help.all).toBe(0)
    expect(help.stdout).toContain('$ self-harness <command> [options]')
  }, 600_000)
})
