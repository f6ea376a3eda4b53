import { describe, expect, it } from 'vitest'
import { extractFeatures, signatureOfTrace } from '../../src/miner/features.js'
import { craftTrace, GIT_IDENTITY_ERROR, gitIdentityFailure, timeoutFailure, unverifiedWriteFailure } from './traces.js'

describe('extractFeatures', () => {
  it('finds the failing command, its error and how the run ended', () => {
    const features = extractFeatures(gitIdentityFailure('git-commit-readme'))
    expect(features.failingCommands).toEqual(['git add <path> && git commit -q -m <str>'])
    expect(features.cause).toEqual({ tool: 'shell', command: 'git add <path> && git commit -q -m <str>', head: 'git commit', errorKey: 'identity unknown' })
    expect(features.errors).toEqual(['author identity unknown'])
    expect(features.end).toBe('finish')
    expect(features.lastSteps).toEqual(['write_file: <path>', 'shell: git add <path> && git commit -q -m <str>', 'finish'])
    expect(features.signature).toBe('cmd:git commit|err:identity unknown|end:finish')
    expect(features.evidence[0]).toBe("$ git add README.md && git commit -q -m 'docs: add readme' -> Author identity unknown")
  })

  it('gives the same signature to the same failure with other paths, numbers and messages', () => {
    const a = extractFeatures(gitIdentityFailure('a', 'README.md', 'docs: add readme'))
    const b = extractFeatures(gitIdentityFailure('b', 'src/lib/v2/notes-2024.txt', 'chore: 42 fixes in 7f3a9c1'))
    expect(b.signature).toBe(a.signature)
    expect(b.failingCommands).toEqual(a.failingCommands)
    const t1 = extractFeatures(timeoutFailure('x', './build.sh'))
    const t2 = extractFeatures(timeoutFailure('y', 'scripts/release-1.4.2.sh --jobs 8'))
    expect(t2.signature).toBe(t1.signature)
    expect(t1.signature).toBe('cmd:<script>|err:timed out|end:finish')
    expect(t1.toolTimedOut).toBe(true)
  })

  it('treats Author and Committer identity errors alike', () => {
    const committer = craftTrace('amend', 'Amend the last commit.', [
      { shell: "git commit --amend -q -m 'fix typo'", exit: 128, stderr: GIT_IDENTITY_ERROR.replace('Author', 'Committer') },
      { finish: 'Stopped.' },
    ])
    expect(extractFeatures(committer).signature).toBe('cmd:git commit|err:identity unknown|end:finish')
  })

  it('does not blame a failure the agent got past', () => {
    const events = craftTrace(
      't',
      'Count the errors.',
      [
        { shell: 'grep -c ERROR app.log', exit: 1 },
        { shell: 'wc -l app.log', stdout: '3 app.log' },
        { write: 'count.txt', content: '3\n' },
        { read: 'count.txt', content: '3\n' },
        { finish: 'Done.' },
      ],
      { assertion: "expected '3\\n' to be '0\\n' // Object.is equality" },
    )
    const features = extractFeatures(events)
    expect(features.failingCommands).toEqual(['grep -c ERROR <path>'])
    expect(features.cause).toBeNull()
    expect(features.unverifiedWrite).toBe(false)
    expect(features.assertion).toBe('expected <str> to be <str>')
    expect(features.assertionKind).toBe('value')
    expect(features.longConversation).toBe(true)
    expect(features.signature).toBe('long|assert:value|end:finish')
  })

  it('sees a write followed by finish without a read-back, unless the harness checked it', () => {
    const unverified = extractFeatures(unverifiedWriteFailure('ini'))
    expect(unverified.unverifiedWrite).toBe(true)
    expect(unverified.signature).toBe('unverified-write|assert:value|end:finish')
    const checked = extractFeatures(
      craftTrace('ini', 'Create app.ini.', [
        { write: './app.ini', content: 'a\n', harness: '[harness] read-back of app.ini: matches what was written' },
        { finish: 'Done.' },
      ]),
    )
    expect(checked.unverifiedWrite).toBe(false)
    const catted = extractFeatures(craftTrace('ini', 'Create app.ini.', [{ write: 'app.ini' }, { shell: 'cat app.ini' }, { finish: 'Done.' }]))
    expect(catted.unverifiedWrite).toBe(false)
  })

  it('flags a read-back MISMATCH the agent ignored', () => {
    const events = craftTrace(
      'm',
      'Write notes.txt with two lines.',
      [{ write: 'notes.txt', content: 'one\n', harness: '[harness] read-back of notes.txt: MISMATCH, the file holds 4 bytes: one' }, { finish: 'Done.' }],
      { assertion: "expected 'one\\n' to be 'one\\ntwo\\n' // Object.is equality" },
    )
    const features = extractFeatures(events)
    expect(features.mismatch).toBe(true)
    expect(features.signature).toBe('mismatch|assert:value|end:finish')
    expect(features.evidence).toContain('[harness] read-back of notes.txt: MISMATCH, the file holds 4 bytes: one')
  })

  it('measures the conversation and sees a value from the instruction go missing', () => {
    const steps = [
      { shell: 'ls templates' },
      { read: 'templates/welcome.tmpl', content: 'Dear @CUSTOMER@,' },
      { shell: 'mkdir -p out' },
      { shell: "sed 's/@CUSTOMER@/Northwind Trading/g' templates/welcome.tmpl > out/welcome.txt" },
      { finish: 'Done.' },
    ]
    const events = craftTrace('render', 'The customer is Northwind Traders. Render the templates into out/.', steps, {
      assertion: "expected 'Dear Northwind Trading,' to be 'Dear Northwind Traders,' // Object.is equality",
    })
    const features = extractFeatures(events)
    expect(features.conversationLength).toBe(10)
    expect(features.longConversation).toBe(true)
    expect(features.lostValue).toBe(true)
    expect(features.signature).toBe('lost-value|assert:value|end:finish')
    expect(extractFeatures(events, { longConversation: 20 }).signature).toBe('assert:value|end:finish')
  })

  it('records timeouts of the run and running out of turns', () => {
    const timedOut = extractFeatures(craftTrace('t', 'Do it.', [{ shell: 'ls' }], { status: 'timeout' }))
    expect(timedOut.runTimedOut).toBe(true)
    expect(timedOut.signature).toBe('end:timeout')
    const turns = extractFeatures(craftTrace('t', 'Do it.', [{ shell: 'ls' }, { shell: 'ls -la' }], { status: 'max-turns', assertion: 'expected false to be true // Object.is equality' }))
    expect(turns.maxTurns).toBe(true)
    expect(turns.signature).toBe('assert:state|end:max-turns')
  })

  it('counts rejected finishes and copes with an empty trace', () => {
    const events = craftTrace('r', 'Do it.', [{ finish: 'Done.', rejected: 'exit 1' }, { finish: 'Done.' }])
    expect(extractFeatures(events).finishRejected).toBe(1)
    expect(extractFeatures([]).signature).toBe('end:none')
  })
})

describe('signatureOfTrace', () => {
  it('gives the cluster key: the command is dropped when the error is informative', () => {
    expect(signatureOfTrace(gitIdentityFailure('a'))).toBe('err:identity unknown|end:finish')
    const generic = craftTrace('g', 'Run the tests.', [{ shell: 'npm test', exit: 1 }, { finish: 'Stopped.' }])
    expect(signatureOfTrace(generic)).toBe('cmd:npm test|err:exit code <n>|end:finish')
  })

  it('is deterministic', () => {
    const events = unverifiedWriteFailure('x')
    expect(signatureOfTrace(events)).toBe(signatureOfTrace(structuredClone(events)))
  })
})
