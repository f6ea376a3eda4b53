import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigurationError } from '../../src/errors.js'
import { harnessId, loadHarness, parseHarness } from '../../src/harness/version.js'

const minimal = {
  schemaVersion: 1,
  name: 'baseline',
  systemPrompt: 'You are an agent.',
  tools: {
    shell: { description: 'Run a command.' },
    read_file: { description: 'Read a file.' },
    write_file: { description: 'Write a file.' },
    finish: { description: 'Finish.' },
  },
}

async function dirWith(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'harness-test-'))
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text)
  return dir
}

describe('harness versions', () => {
  it('fills defaults and gives the same id to equal content written differently', () => {
    const a = parseHarness(minimal, 'a.json')
    const reordered = JSON.parse(JSON.stringify({ tools: minimal.tools, systemPrompt: minimal.systemPrompt, name: 'other-name', schemaVersion: 1 }))
    const b = parseHarness({ ...reordered, rules: [], limits: { maxTurns: 20 } }, 'b.json')
    expect(a.spec.limits.maxTurns).toBe(20)
    expect(a.spec.tools.shell.retries).toBe(0)
    expect(a.id).toMatch(/^[0-9a-f]{16}$/)
    expect(b.id).toBe(a.id)
  })

  it('changes the id when behaviour changes', () => {
    const a = parseHarness(minimal, 'a.json')
    const b = parseHarness({ ...minimal, rules: ['Check your work.'] }, 'b.json')
    expect(b.id).not.toBe(a.id)
    expect(harnessId(b.spec)).toBe(b.id)
  })

  it('refuses a bad field naming the file and the field', () => {
    const bad = { ...minimal, limits: { maxTurns: 0 } }
    try {
      parseHarness(bad, 'harnesses/bad.json')
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigurationError)
      const e = error as ConfigurationError
      expect(e.code).toBe('HARNESS_INVALID')
      expect(e.file).toBe('harnesses/bad.json')
      expect(e.field).toBe('limits.maxTurns')
      expect(e.message).toContain('harnesses/bad.json')
      expect(e.message).toContain('limits.maxTurns')
    }
  })

  it('refuses unknown fields and invalid regular expressions', () => {
    expect(() => parseHarness({ ...minimal, sandbox: 'none' }, 'x.json')).toThrow(/x\.json.*\(root\)|sandbox/)
    const badRegex = { ...minimal, tools: { ...minimal.tools, shell: { description: 'x', before: [{ match: '(', run: 'true' }] } } }
    expect(() => parseHarness(badRegex, 'y.json')).toThrow(/tools\.shell\.before\[0\]\.match.*regular expression/)
  })

  it('loads harnesses/<name>.json and reports a missing or non-JSON file clearly', async () => {
    const dir = await dirWith({ 'baseline.json': JSON.stringify(minimal), 'broken.json': '{ "schemaVersion": 1,' })
    const version = await loadHarness('baseline', dir)
    expect(version.name).toBe('baseline')
    expect(version.file).toBe(join(dir, 'baseline.json'))
    await expect(loadHarness('nope', dir)).rejects.toMatchObject({ code: 'HARNESS_NOT_FOUND' })
    await expect(loadHarness('broken', dir)).rejects.toThrow(/broken\.json: not valid JSON/)
    await expect(loadHarness('../etc/passwd', dir)).rejects.toMatchObject({ code: 'HARNESS_NOT_FOUND' })
  })
})
