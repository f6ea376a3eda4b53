import { describe, expect, it } from 'vitest'
import { parseSimArgs } from '../../fixtures/sim/cli-args.js'
import { bundledSolutionsDir } from '../../fixtures/sim/bundled.js'
import { loadSolutions } from '../../fixtures/sim/solutions.js'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

describe('the simulator command line', () => {
  it('reads the port, the solutions directory, the seed, the latency and the faults', () => {
    const args = parseSimArgs(['--port', '9000', '--solutions=sol', '--seed', '3', '--latency-ms', '5', '--faults', '{"hang":{"count":1}}'])
    expect(args).toEqual({
      ok: true,
      help: false,
      options: { port: 9000, solutionsDir: 'sol', seed: 3, latencyMs: 5, faults: { hang: { count: 1 } } },
      profile: 'steady',
    })
  })

  it('serves the bundled suite on port 8787 when nothing is given, and takes a profile for the printed settings', () => {
    expect(parseSimArgs([])).toEqual({ ok: true, help: false, options: { port: 8787, solutionsDir: bundledSolutionsDir() }, profile: 'steady' })
    expect(bundledSolutionsDir()).toBe(resolve(import.meta.dirname, '../../fixtures/suite/solutions'))
    expect(parseSimArgs(['--profile', 'sim-hasty'])).toMatchObject({ ok: true, profile: 'hasty' })
    expect(parseSimArgs(['--profile', 'clever'])).toMatchObject({ ok: false, message: expect.stringContaining('oracle, steady, hasty, forgetful') })
  })

  it('names what is wrong', () => {
    expect(parseSimArgs(['--solutions', 's', '--port', 'x'])).toMatchObject({ ok: false, message: expect.stringContaining('`--port`') })
    expect(parseSimArgs(['--solutions', 's', '--faults', '{"nope":1}'])).toMatchObject({ ok: false })
    expect(parseSimArgs(['--bogus', '1'])).toMatchObject({ ok: false, message: expect.stringContaining('--bogus') })
  })
})

describe('solution files', () => {
  it('refuse a bad file, naming the file and the field', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sim-solutions-'))
    await writeFile(join(dir, 'bad.json'), JSON.stringify({ task: 't', match: 'a long match', category: 'git', steps: [{ kind: 'run' }] }))
    await expect(loadSolutions(dir)).rejects.toThrow(/bad\.json: field `steps\[0\]\.kind`/)
  })

  it('refuse a placeholder that names no early value', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sim-solutions-'))
    const steps = [{ kind: 'shell', command: 'echo {{port}}' }]
    await writeFile(join(dir, 'x.json'), JSON.stringify({ task: 't', match: 'a long match', category: 'git', steps }))
    await expect(loadSolutions(dir)).rejects.toThrow(/\{\{port\}\}/)
  })
})
