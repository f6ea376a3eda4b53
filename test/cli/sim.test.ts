import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const cli = resolve(import.meta.dirname, '../../dist/src/cli/bin.js')
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'self-harness-sim-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** Starts `self-harness sim` and returns what it printed once it said what to export, then stops it. */
async function startAndStop(cwd: string, args: string[] = []): Promise<string> {
  const child = execa(process.execPath, [cli, 'sim', '--port=0', ...args], { cwd, env: { NO_COLOR: '1' }, reject: false })
  let text = ''
  await new Promise<void>((done) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString()
      if (text.includes('SELF_HARNESS_MODEL=')) done()
    })
    void child.then(() => done())
  })
  child.kill('SIGINT')
  await child
  return text
}

describe('self-harness sim', () => {
  it("serves the project's solutions/ when there is one, and a key that is no word of its messages", async () => {
    const bundled = await startAndStop(dir)
    expect(bundled).toContain("(the bundled suite's; --solutions=solutions serves your project's)")
    expect(bundled).toContain('OPENAI_API_KEY=sim-key-not-secret')
    await mkdir(join(dir, 'solutions'))
    const own = await startAndStop(dir)
    expect(own).toContain(`Solutions: ${join(dir, 'solutions')}\n`)
  })

  it('prefixes its errors with self-harness:', async () => {
    const result = await execa(process.execPath, [cli, 'sim', '--port=abc'], { cwd: dir, env: { NO_COLOR: '1' }, reject: false })
    expect(result.exitCode).toBe(2)
    expect(result.stderr).toMatch(/^self-harness: Expected `--port`/)
  })
})
