import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const cli = resolve(import.meta.dirname, '../../dist/src/cli/bin.js')
const project = resolve(import.meta.dirname, '../../fixtures/suite')
let harnessDir: string

beforeAll(async () => {
  harnessDir = await mkdtemp(join(tmpdir(), 'self-harness-harnesses-'))
  await writeFile(join(harnessDir, 'baseline.json'), JSON.stringify({ schemaVersion: 1, name: 'baseline', systemPrompt: 'Do the task.' }))
  await writeFile(join(harnessDir, 'candidate.json'), '{}')
  await writeFile(join(harnessDir, 'broken.json'), JSON.stringify({ schemaVersion: 1, name: 3, systemPrompt: 7, limits: { maxTurns: 0 } }))
})
afterAll(async () => {
  await rm(harnessDir, { recursive: true, force: true })
})

function run(args: string[]) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(FORCE_COLOR|CI|OPENAI_|SELF_HARNESS|VITEST)/.test(k))) as Record<string, string>
  return execa(process.execPath, [cli, ...args], { cwd: project, env: { ...env, NO_COLOR: '1', SELF_HARNESS_DIR: harnessDir }, extendEnv: false, reject: false, all: true })
}

describe('harness errors', () => {
  it('name the harnesses there are and suggest the one meant, letter case first', async () => {
    const result = await run(['vitest', 'run', '--harness=Candidate'])
    expect(result.exitCode, result.all).toBe(2)
    expect(result.all).toContain('Unknown harness `Candidate`')
    expect(result.all).toContain('Did you mean `--harness=candidate`?')
    expect(result.all).toContain('Available: `baseline`, `broken`, `candidate`.')
    const typo = await run(['vitest', 'run', '--harness=basline'])
    expect(typo.all).toContain('Did you mean `--harness=baseline`?')
  })

  it('name every problem of a harness file with its field', async () => {
    const result = await run(['vitest', 'run', '--harness=broken'])
    expect(result.exitCode, result.all).toBe(2)
    expect(result.all).toContain('field `name`')
    expect(result.all).toContain('field `systemPrompt`')
    expect(result.all).toContain('field `limits.maxTurns`')
    expect(result.all).not.toContain('more problem')
  })
})
