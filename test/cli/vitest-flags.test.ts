import { resolve } from 'node:path'
import { execa } from 'execa'
import { describe, expect, it } from 'vitest'

const cli = resolve(import.meta.dirname, '../../dist/src/cli/bin.js')
const project = resolve(import.meta.dirname, '../../fixtures/suite')

function run(args: string[]) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(FORCE_COLOR|CI|OPENAI_|SELF_HARNESS|VITEST)/.test(k))) as Record<string, string>
  return execa(process.execPath, [cli, ...args], { cwd: project, env: { ...env, NO_COLOR: '1' }, extendEnv: false, reject: false })
}

describe('self-harness vitest with a flag nobody knows', () => {
  it('refuses a near miss of its own flag in one line with the suggestion, exit 2', async () => {
    for (const [typed, meant] of [['--trails=3', '--trials'], ['--harnes=candidate', '--harness']] as const) {
      const result = await run(['vitest', 'run', typed])
      expect(result.exitCode, result.stderr).toBe(2)
      expect(result.stderr.trim().split('\n')).toHaveLength(1)
      expect(result.stderr).toContain(`unknown flag \`${typed.split('=')[0]}\``)
      expect(result.stderr).toContain(`did you mean \`${meant}\`?`)
      expect(result.stderr).not.toMatch(/CACError|\n\s+at /)
    }
  })

  it("suggests vitest's own flag when that is the closer one, and none for a flag far from all", async () => {
    const reporter = await run(['vitest', 'run', '--reporterr=dot'])
    expect(reporter.exitCode).toBe(2)
    expect(reporter.stderr).toContain('did you mean `--reporter`?')
    const far = await run(['vitest', 'run', '--zzqqxx'])
    expect(far.exitCode).toBe(2)
    expect(far.stderr.trim().split('\n')).toHaveLength(1)
    expect(far.stderr).not.toContain('did you mean')
  })
})
