import { describe, expect, it } from 'vitest'
import { assertionKind, normalizeAssertion } from '../../src/miner/assertion.js'
import { errorKey, errorTextOf } from '../../src/miner/error-key.js'
import { commandHead, normalizeCommand, normalizeText } from '../../src/miner/normalize.js'
import { clusterKeyOf } from '../../src/miner/signature.js'

describe('normalizeText', () => {
  it('replaces quoted strings, hashes, paths and numbers by placeholders', () => {
    expect(normalizeText("git commit -q -m 'fix: quote arguments'")).toBe('git commit -q -m <str>')
    expect(normalizeText('git show 1003f24e9 --stat')).toBe('git show <hash> --stat')
    expect(normalizeText('tar -czf backup-2024.tar.gz /var/log/app ./export')).toBe('tar -czf <path> <path> <path>')
    expect(normalizeText('head -n 20 log')).toBe('head -n <n> log')
    expect(normalizeText('pin version 1.14.2 now')).toBe('pin version <n> now')
    expect(normalizeText("I can't see it")).toBe("I can't see it")
  })

  it('keeps a command on one short line', () => {
    expect(normalizeCommand(`printf 'a\nb'   |\n  sort`)).toBe('printf <str> | sort')
    expect(normalizeCommand('x '.repeat(200)).length).toBeLessThanOrEqual(160)
  })
})

describe('commandHead', () => {
  it('takes the program and, for tools with subcommands, the subcommand', () => {
    expect(commandHead("git commit --amend -q -m 'x'")).toBe('git commit')
    expect(commandHead('npm --silent install left-pad')).toBe('npm install')
    expect(commandHead('make -j4 all')).toBe('make')
    expect(commandHead('./configure --prefix=/opt/tool')).toBe('<script>')
    expect(commandHead('LANG=C sudo apt-get install -y jq')).toBe('apt-get install')
  })

  it('picks the part of a chain the error names, else the last part doing real work', () => {
    expect(commandHead('chmod +x run.sh && ./run.sh', "chmod: cannot access 'run.sh': No such file or directory")).toBe('chmod')
    expect(commandHead("cd etc && git commit -am 'x'", 'Author identity unknown')).toBe('git commit')
    expect(commandHead('make && echo done')).toBe('make')
  })
})

describe('errorKey', () => {
  it('maps well-known wordings to one family', () => {
    expect(errorKey('Committer identity unknown\n*** Please tell me who you are.')).toBe('identity unknown')
    expect(errorKey("chmod: cannot access 'a.sh': No such file or directory")).toBe('no such file or directory')
    expect(errorKey("tar: export: Cannot stat: No such file or directory")).toBe('no such file or directory')
    expect(errorKey('bash: line 1: jq: command not found')).toBe('command not found')
    expect(errorKey('timed out after 3000 ms; the command was killed')).toBe('timed out')
  })

  it('falls back to the first line that reads like an error, normalized', () => {
    expect(errorKey('Compiling 12 files\nerror: cannot find module ./lib/x.js in /work/a\nat line 3')).toBe(
      'error: cannot find module <path> in <path>',
    )
    expect(errorKey('exit code: 2')).toBe('exit code <n>')
  })

  it('reads the error from a shell result: stderr first, harness lines left out', () => {
    const output = 'exit code: 1\nstdout:\nok\nstderr:\nboom\n[harness] the command failed with exit code 1; handle the failure before going on'
    expect(errorTextOf(output)).toBe('boom')
    expect(errorTextOf('exit code: 3\nstdout:\nFAIL 2 tests')).toBe('FAIL 2 tests')
  })
})

describe('normalizeAssertion', () => {
  it('reduces an assertion to its shape', () => {
    expect(normalizeAssertion("expected 'Dear Northwind Trading,' to be 'Dear Northwind Traders,' // Object.is equality")).toBe(
      'expected <str> to be <str>',
    )
    expect(normalizeAssertion("expected [ 'a', 'b' ] to deeply equal [ 'a' ]")).toBe('expected <arr> to deeply equal <arr>')
    expect(normalizeAssertion('expected 1 to be +0 // Object.is equality')).toBe('expected <n> to be <n>')
    expect(normalizeAssertion("expected 'abc' to match /^v\\d+/")).toBe('expected <str> to match <re>')
    expect(normalizeAssertion("ENOENT: no such file or directory, open '/tmp/w/out.txt'")).toBe('ENOENT: no such file or directory, open <str>')
  })

  it('tells kinds of assertion apart', () => {
    expect(assertionKind('expected <str> to be <str>')).toBe('value')
    expect(assertionKind('expected <n> to be <n>')).toBe('number')
    expect(assertionKind('expected false to be true')).toBe('state')
    expect(assertionKind('ENOENT: no such file or directory, open <str>')).toBe('missing-file')
  })
})

describe('clusterKeyOf', () => {
  it('drops the command when the error is informative, keeps it for a bare exit code', () => {
    expect(clusterKeyOf('cmd:chmod|err:no such file or directory|end:finish')).toBe('err:no such file or directory|end:finish')
    expect(clusterKeyOf('cmd:npm test|err:exit code <n>|end:finish')).toBe('cmd:npm test|err:exit code <n>|end:finish')
    expect(clusterKeyOf('unverified-write|assert:value|end:finish')).toBe('unverified-write|assert:value|end:finish')
  })
})
