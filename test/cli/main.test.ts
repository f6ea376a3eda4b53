import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mergeGitignore } from '../../src/cli/init/templates.js'

const cli = resolve(import.meta.dirname, '../../dist/src/cli/bin.js')
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'self-harness-cli-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** The built command with a chosen environment (no inherited colour or model settings). */
function run(args: string[], env: Record<string, string> = {}, cwd = dir) {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(FORCE_COLOR|NO_COLOR|CI|OPENAI_|SELF_HARNESS)/.test(k))) as Record<string, string>
  return execa(process.execPath, [cli, ...args], { cwd, env: { ...base, ...env }, extendEnv: false, reject: false })
}

const ANSI = /\u001b\[/

describe('colour', () => {
  it('follows NO_COLOR and FORCE_COLOR, with FORCE_COLOR=0 meaning none', async () => {
    expect((await run(['comapre'], { FORCE_COLOR: '1' })).stderr).toMatch(ANSI)
    expect((await run(['comapre'], { FORCE_COLOR: '0' })).stderr).not.toMatch(ANSI)
    expect((await run(['comapre'], { FORCE_COLOR: 'false' })).stderr).not.toMatch(ANSI)
    expect((await run(['comapre'], { FORCE_COLOR: '1', NO_COLOR: '1' })).stderr).not.toMatch(ANSI)
    expect((await run(['comapre'], {})).stderr).not.toMatch(ANSI) // not a terminal
  })
})

describe('errors', () => {
  it('say what is wrong in one line, with the stack only under --debug', async () => {
    const plain = await run(['accept', join(dir, 'missing.json')], { NO_COLOR: '1' })
    expect(plain.exitCode).toBe(2)
    expect(plain.stderr.trim().split('\n')).toHaveLength(1)
    expect(plain.stderr).toContain('missing.json')
    const debug = await run(['accept', join(dir, 'missing.json'), '--debug'], { NO_COLOR: '1' })
    expect(debug.exitCode).toBe(2)
    expect(debug.stderr).toMatch(/\n\s+at /)
  })
})

describe('--help', () => {
  it('does nothing else: schemas --help writes no schemas folder, evolve --help runs no evolve', async () => {
    const before = await readdir(dir)
    for (const command of ['schemas', 'evolve', 'calibrate', 'init', 'demo']) {
      const result = await run([command, '--help'])
      expect(result.exitCode, result.stderr).toBe(0)
      expect(result.stdout).toContain(`$ self-harness ${command}`)
    }
    expect(await readdir(dir)).toEqual(before)
  })
})

describe('init', () => {
  it('scaffolds a project, keeps an existing .gitignore and refuses to overwrite without --force', async () => {
    const project = await mkdtemp(join(dir, 'init-'))
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'p', type: 'module' }))
    await writeFile(join(project, '.gitignore'), 'dist\n.self-harness\n')
    const first = await run(['init'], { NO_COLOR: '1' }, project)
    expect(first.exitCode, first.stderr).toBe(0)
    expect((await readdir(project)).sort()).toEqual(['.github', '.gitignore', 'harnesses', 'package.json', 'solutions', 'tasks', 'tsconfig.json', 'vitest.config.ts'])
    expect(await readFile(join(project, '.gitignore'), 'utf8')).toBe('dist\n.self-harness\n\n# self-harness\nnode_modules/\n.vitest-reports/\nreport.html\nself-harness-report.html\n')
    const harness = JSON.parse(await readFile(join(project, 'harnesses/baseline.json'), 'utf8')) as Record<string, unknown>
    expect(Object.keys(harness)).toEqual(expect.arrayContaining(['schemaVersion', 'name', 'systemPrompt', 'tools']))
    await writeFile(join(project, 'tasks/greeting.test.ts'), '// mine\n')
    const again = await run(['init'], { NO_COLOR: '1' }, project)
    expect(again.exitCode).toBe(2)
    expect(again.stderr).toContain('init would overwrite vitest.config.ts, harnesses/baseline.json, tasks/greeting.test.ts')
    expect(await readFile(join(project, 'tasks/greeting.test.ts'), 'utf8')).toBe('// mine\n')
    expect((await run(['init', '--force'], { NO_COLOR: '1' }, project)).exitCode).toBe(0)
    expect(await readFile(join(project, 'tasks/greeting.test.ts'), 'utf8')).toContain('agent.run(')
  })

  it('adds only the .gitignore lines that are missing', () => {
    expect(mergeGitignore(undefined)).toBe('# self-harness\nnode_modules/\n.self-harness/\n.vitest-reports/\nreport.html\nself-harness-report.html\n')
    expect(mergeGitignore('node_modules\n.self-harness/\n.vitest-reports/\nreport.html\nself-harness-report.html\n')).toBeUndefined()
  })
})
