import { describe, expect, it } from 'vitest'
import { ConfigurationError } from '../../src/errors.js'
import { baseEnv, execCommand, SANDBOX_PATH } from '../../src/workspace/exec.js'
import { token } from './helpers.js'

describe.each(['auto', 'none'] as const)('execCommand (sandbox: %s)', (sandbox) => {
  it('returns exit code, stdout and stderr of a failing command without throwing', async () => {
    const result = await execCommand('echo out; echo err >&2; exit 3', { sandbox })
    expect(result).toMatchObject({ exitCode: 3, stdout: 'out\n', stderr: 'err\n', timedOut: false, truncated: false })
  })

  it('feeds `input` to stdin and gives an empty stdin otherwise', async () => {
    expect((await execCommand('tr a-z A-Z', { sandbox, input: 'shout' })).stdout).toBe('SHOUT')
    expect((await execCommand('cat; echo end', { sandbox })).stdout).toBe('end\n')
  })

  it('keeps the head and the tail of long output and says how much was dropped', async () => {
    const result = await execCommand('seq 1 100000', { sandbox, maxOutputBytes: 1000 })
    expect(result).toMatchObject({ exitCode: 0, truncated: true, outputLimited: false })
    expect(result.stdout.startsWith('1\n2\n3\n')).toBe(true)
    expect(result.stdout.endsWith('99999\n100000\n')).toBe(true)
    expect(result.stdout).toMatch(/\[\.\.\. \d+ bytes of output dropped \.\.\.\]/)
    expect(Buffer.byteLength(result.stdout)).toBeLessThan(1100)
  })

  it('starts from a scrubbed environment: base variables, `env`, and only the allowed runner variables', async () => {
    const secret = 'SELF_HARNESS_TEST_TOKEN'
    process.env[secret] = `ghp_${token()}${token()}`
    try {
      const result = await execCommand('env', { sandbox, env: { GREETING: 'hi' }, envAllow: ['SELF_HARNESS_NOT_SET'] })
      const names = result.stdout
        .trim()
        .split('\n')
        .map((line) => line.split('=')[0])
        .sort()
      const allowedNames = ['GIT_CONFIG_NOSYSTEM', 'GREETING', 'HOME', 'LANG', 'OLDPWD', 'PATH', 'PWD', 'SHLVL', 'TERM', 'TMPDIR', '_']
      expect(names.every((name) => allowedNames.includes(name ?? '')), names.join(' ')).toBe(true)
      expect(result.stdout).toContain(`PATH=${SANDBOX_PATH}\n`)
      expect(result.stdout).not.toContain(process.env[secret])
      const allowed = await execCommand(`echo "$${secret}"`, { sandbox, envAllow: [secret] })
      expect(allowed.stdout).toBe(`${process.env[secret]}\n`)
    } finally {
      delete process.env[secret]
    }
  })

  it('applies the process and file-size limits as hard limits', async () => {
    const result = await execCommand('ulimit -Hu; ulimit -Hf; ulimit -u 100000 2>/dev/null || echo cannot-raise', {
      sandbox,
      maxProcesses: 300,
      maxFileBytes: 10 * 1024,
    })
    const [processes, blocks, raise] = result.stdout.trim().split('\n')
    // Without bubblewrap the limit also counts the user's other processes, so it is higher than asked.
    if (result.sandbox === 'bwrap') expect(processes).toBe('300')
    else expect(Number(processes)).toBeGreaterThanOrEqual(300)
    expect(blocks).toBe('10')
    expect(raise).toBe('cannot-raise')
  })
})

describe('execCommand options', () => {
  it('rejects invalid options with the field named', async () => {
    await expect(execCommand('true', { timeoutMs: 0 })).rejects.toThrow('Expected `timeoutMs` to be a positive integer, got `0`.')
    await expect(execCommand('true', { sandbox: 'docker' as never })).rejects.toBeInstanceOf(ConfigurationError)
    await expect(execCommand('true', { cwd: 'relative/dir' })).rejects.toThrow('`cwd` to be an absolute path')
    await expect(execCommand('echo a\0b')).rejects.toMatchObject({ code: 'USAGE' })
  })

  it('builds the base environment from HOME and extra variables only', () => {
    expect(baseEnv('/h', { A: 'b' })).toEqual({
      PATH: SANDBOX_PATH,
      HOME: '/h',
      LANG: 'C.UTF-8',
      TERM: 'dumb',
      GIT_CONFIG_NOSYSTEM: '1',
      A: 'b',
    })
    expect(baseEnv(undefined).HOME).toBe('/nonexistent')
  })
})
