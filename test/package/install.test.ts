import { createServer, type Server } from 'node:http'
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, relative, resolve } from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { COMMANDS } from '../../src/cli/spec.js'

// The package as a team gets it: packed, installed into an empty project from the npm cache, then used only
// through `npx self-harness`. Needs the npm cache to hold vitest and the package's dependencies (it does wherever
// this repo's own `npm ci` ran); `--prefer-offline` reaches the registry only for what is missing.

const repo = resolve(import.meta.dirname, '../..')
const vitestVersion = (JSON.parse(await readFile(join(repo, 'node_modules/vitest/package.json'), 'utf8')) as { version: string }).version

/** The environment of a user's shell: none of the npm_* variables `npm test` sets, no model settings. */
function userEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !/^npm_/i.test(key) && !/^(OPENAI_|SELF_HARNESS|VITEST|NODE_OPTIONS$|FORCE_COLOR$)/.test(key)) env[key] = value
  }
  return { ...env, NO_COLOR: '1', ...extra }
}

/** Every path under a directory (node_modules only by its top-level names), for before/after comparisons. */
async function listing(dir: string): Promise<string[]> {
  const out: string[] = []
  const walk = async (at: string) => {
    for (const entry of await readdir(at, { withFileTypes: true })) {
      const path = join(at, entry.name)
      out.push(relative(dir, path))
      if (entry.isDirectory() && entry.name !== 'node_modules') await walk(path)
    }
  }
  await walk(dir)
  for (const name of await readdir(join(dir, 'node_modules')).catch(() => [])) out.push(`node_modules/${name}`)
  return out.sort()
}

let work: string
let project: string
let tarball: string
/** A stand-in endpoint that only counts requests: any model call during `--help` shows up here. */
let endpoint: Server
let requests = 0

const sh = (args: string[], options: { cwd?: string; env?: Record<string, string>; keepColor?: boolean } = {}) => {
  const env = userEnv(options.env)
  if (options.keepColor) delete env.NO_COLOR
  return execa('npx', ['--no-install', 'self-harness', ...args], { cwd: options.cwd ?? project, env, extendEnv: false, reject: false, all: true })
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'self-harness-package-'))
  project = join(work, 'project')
  await mkdir(project)
  endpoint = createServer((_req, res) => {
    requests++
    res.writeHead(500).end()
  })
  await new Promise<void>((done) => endpoint.listen(0, '127.0.0.1', done))
  // dist/ was built by `npm test` (or `npm run build`); `prepare` would rebuild it under the feet of other tests.
  const pack = await execa('npm', ['pack', '--ignore-scripts', '--pack-destination', work, '--json'], { cwd: repo, env: userEnv(), extendEnv: false })
  tarball = join(work, (JSON.parse(pack.stdout) as Array<{ filename: string }>)[0]!.filename)
  await writeFile(join(project, 'package.json'), `${JSON.stringify({ name: 'adopter', private: true }, null, 2)}\n`)
  const install = await execa('npm', ['install', tarball, `vitest@${vitestVersion}`, '--prefer-offline', '--no-audit', '--no-fund'], { cwd: project, env: userEnv(), extendEnv: false, reject: false, all: true })
  expect(install.exitCode, install.all).toBe(0)
}, 300_000)

afterAll(async () => {
  await new Promise((done) => endpoint?.close(done))
  await rm(work, { recursive: true, force: true })
})

describe('the packed package, installed into an empty project', () => {
  it('ships the LICENSE, the bundled suite and the example workflow, and no tests', async () => {
    const list = await execa('tar', ['tzf', tarball])
    const files = list.stdout.split('\n')
    expect(files).toContain('package/LICENSE')
    expect(files).toContain('package/fixtures/suite/solutions/config-env-port.json')
    expect(files).toContain('package/fixtures/suite/tasks/config-env-port.test.ts')
    expect(files).toContain('package/fixtures/suite/harnesses/baseline.json')
    expect(files).toContain('package/examples/harness-gate.yml')
    expect(files).toContain('package/dist/fixtures/sim/index.js')
    expect(files.filter((f) => f.startsWith('package/test/'))).toEqual([])
  })

  it('init scaffolds the project, then the gated run passes on the bundled simulator', async () => {
    const init = await sh(['init'])
    expect(init.exitCode, init.all).toBe(0)
    for (const file of ['vitest.config.mts', 'harnesses/baseline.json', 'tasks/greeting.test.ts', 'solutions/greeting.json', 'tsconfig.json', '.github/workflows/harness-gate.yml', '.gitignore']) {
      expect(init.all).toContain(file.startsWith('.gitignore') ? '.gitignore' : file)
      await readFile(join(project, file), 'utf8')
    }
    expect(await readFile(join(project, '.github/workflows/harness-gate.yml'), 'utf8')).toContain(await readFile(join(repo, 'examples/harness-gate.yml'), 'utf8'))
    expect(await readFile(join(project, '.gitignore'), 'utf8')).toContain('.self-harness/')

    const first = await sh(['vitest', 'run'])
    expect(first.exitCode, first.all).toBe(0)
    expect(first.all).toContain('the model is the bundled simulator (sim-oracle, not a real model)')
    const record = JSON.parse(await readFile(join(project, '.self-harness/runs/baseline.json'), 'utf8')) as { model: string; tasks: Array<{ trials: Array<{ outcome: string }> }> }
    expect(record.model).toBe('sim-oracle')
    expect(record.tasks.flatMap((t) => t.trials.map((x) => x.outcome))).toEqual(['pass'])

    const accept = await sh(['accept', '.self-harness/runs/baseline.json'])
    expect(accept.exitCode, accept.all).toBe(0)
    const gated = await sh(['vitest', 'run', '--baseline=self-harness.baseline.json'])
    expect(gated.exitCode, gated.all).toBe(0)
    const verdict = JSON.parse(await readFile(join(project, '.self-harness/runs/baseline.verdict.json'), 'utf8')) as { status: string }
    expect(verdict.status).toBe('accepted')
  }, 300_000)

  it('init refuses to overwrite, naming the files, and overwrites with --force', async () => {
    const again = await sh(['init'])
    expect(again.exitCode).toBe(2)
    expect(again.all).toContain('init would overwrite vitest.config.mts, harnesses/baseline.json')
    expect(again.all).toContain('--force')
    const forced = await sh(['init', '--force'])
    expect(forced.exitCode, forced.all).toBe(0)
    expect(forced.all).toContain('overwrote tasks/greeting.test.ts')
  }, 120_000)

  it('types the test context of a task file through the generated tsconfig', async () => {
    const tsc = join(repo, 'node_modules/typescript/bin/tsc')
    const ok = await execa(process.execPath, [tsc, '-p', project], { reject: false, all: true })
    expect(ok.exitCode, ok.all).toBe(0)
    const bad = join(project, 'tasks/typo.test.ts')
    await writeFile(bad, "import { test } from 'vitest'\ntest('t', async ({ agent }) => { await agent.runn('x') })\n")
    try {
      const failed = await execa(process.execPath, [tsc, '-p', project], { reject: false, all: true })
      expect(failed.exitCode).not.toBe(0)
      expect(failed.all).toContain("Property 'runn' does not exist")
    } finally {
      await rm(bad)
    }
  }, 120_000)

  it('answers --help and -h of every subcommand with its usage, writing nothing and calling no model', async () => {
    const env = { OPENAI_BASE_URL: `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/v1`, OPENAI_API_KEY: 'k', SELF_HARNESS_MODEL: 'counted' }
    const before = await listing(project)
    const bin = join(project, 'node_modules/.bin/self-harness')
    for (const command of COMMANDS) {
      for (const flag of ['--help', '-h']) {
        const result = await execa(bin, [command.name, flag], { cwd: project, env: userEnv(env), extendEnv: false, reject: false, all: true })
        expect(result.exitCode, `${command.name} ${flag}: ${result.all}`).toBe(0)
        expect(result.stdout).toContain(`$ self-harness ${command.name}`)
        for (const spec of command.flags) expect(result.stdout).toContain(spec.flag.split(' ')[0])
      }
    }
    for (const args of [['--help'], ['-h'], ['help'], ['help', 'evolve'], ['evolve', '--trials=3', '--help'], ['vitest', 'run', '-h']]) {
      const result = await execa(bin, args, { cwd: project, env: userEnv(env), extendEnv: false, reject: false, all: true })
      expect(result.exitCode, `${args.join(' ')}: ${result.all}`).toBe(0)
      expect(result.stdout).toContain('Usage:')
    }
    expect(await listing(project)).toEqual(before)
    expect(requests).toBe(0)
  }, 180_000)

  it('refuses an unknown flag with a suggestion (exit 2), while vitest flags still pass through', async () => {
    const typo = await sh(['compare', 'a.json', 'b.json', '--polcy=strict'])
    expect(typo.exitCode).toBe(2)
    expect(typo.stderr).toContain('unknown flag `--polcy` for `self-harness compare`; did you mean `--policy`?')
    const evolve = await sh(['evolve', '--max-iteratons=2'])
    expect(evolve.exitCode).toBe(2)
    expect(evolve.stderr).toContain('did you mean `--max-iterations`?')
    const passed = await sh(['vitest', 'run', '--reporter=dot', '--no-gate'])
    expect(passed.exitCode, passed.all).toBe(0)
  }, 120_000)

  it('keeps colour off with FORCE_COLOR=0 for the command and the vitest it starts, on with FORCE_COLOR=1', async () => {
    const off = await sh(['vitest', 'run', '--no-gate'], { env: { FORCE_COLOR: '0' }, keepColor: true })
    expect(off.exitCode, off.all).toBe(0)
    expect(off.all).toContain('Test Files')
    expect(off.all).not.toMatch(/\u001b\[/)
    const on = await sh(['vitest', 'run', '--no-gate'], { env: { FORCE_COLOR: '1' }, keepColor: true })
    expect(on.all).toMatch(/\u001b\[/)
  }, 120_000)

  it('reports a configuration error in one line, and its stack only with --debug', async () => {
    const plain = await sh(['vitest', 'run', '--harness=nope'])
    expect(plain.exitCode).toBe(2)
    expect(plain.all).toContain('ConfigurationError: Unknown harness `nope`: no file')
    expect(plain.all).not.toMatch(/\n\s+at /)
    const debug = await sh(['vitest', 'run', '--harness=nope', '--debug'])
    expect(debug.exitCode).toBe(2)
    expect(debug.all).toMatch(/\n\s+at loadHarness/)
  }, 120_000)

  it('serves the bundled simulator with `self-harness sim`', async () => {
    const child = execa(join(project, 'node_modules/.bin/self-harness'), ['sim', '--port', '0', '--profile', 'oracle'], { cwd: project, env: userEnv(), extendEnv: false, reject: false })
    try {
      const url = await new Promise<string>((done, fail) => {
        let text = ''
        child.stdout!.on('data', (chunk: Buffer) => {
          text += chunk.toString()
          const match = /listening at (http:\S+)/.exec(text)
          if (match && text.includes('SELF_HARNESS_MODEL=sim-oracle')) done(match[1]!)
        })
        void child.then((r) => fail(new Error(`sim exited ${r.exitCode}: ${r.stderr}`)))
      })
      const models = (await (await fetch(`${url}/models`, { headers: { authorization: 'Bearer simulated' } })).json()) as { data: Array<{ id: string }> }
      expect(models.data.map((m) => m.id)).toContain('sim-oracle')
    } finally {
      child.kill('SIGTERM')
    }
    expect((await child).exitCode).toBe(0)
  }, 60_000)

  it('runs the loop demo from the installed package, writing under .self-harness/demo and not into the package', async () => {
    const pkg = join(project, 'node_modules/self-harness')
    // vite keeps its caches (`.vite`, and `.vite-temp` for bundled configs) in node_modules of the nearest package
    // of the suite, as for any dependency's files; the package's own files stay as installed.
    const own = (paths: string[]) => paths.filter((p) => p !== 'node_modules' && !p.startsWith('node_modules/.vite'))
    const before = own(await listing(pkg))
    const demo = await sh(['demo', '--profiles=sim-steady'])
    expect(demo.exitCode, demo.all).toBe(0)
    expect(demo.all).toMatch(/sim-steady \| \d+\.\d% -> \d+\.\d%/)
    expect(await readdir(join(project, '.self-harness/demo/evolve'))).toEqual(['sim-steady'])
    expect(own(await listing(pkg))).toEqual(before)
    expect(own(await listing(pkg)).filter((p) => p.includes('.self-harness'))).toEqual([])
  }, 600_000)

  it('runs from a suite folder without a package.json, also after a run (no node_modules/.vite there)', async () => {
    const suite = join(project, 'agents')
    await mkdir(suite)
    for (const name of ['harnesses', 'tasks', 'solutions', 'vitest.config.mts']) await cp(join(project, name), join(suite, name), { recursive: true })
    const run = await sh(['vitest', 'run', '--no-gate'], { cwd: suite })
    expect(run.exitCode, run.all).toBe(0)
    expect(await readdir(suite)).not.toContain('node_modules')
    // npm takes the nearest folder with a package.json or a node_modules as the project: still the project.
    expect((await execa('npm', ['prefix'], { cwd: suite, env: userEnv(), extendEnv: false })).stdout.trim()).toBe(project)
    const help = await sh(['--help'], { cwd: suite })
    expect(help.exitCode, help.all).toBe(0)
  }, 120_000)
})
