import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fileURLToPath } from 'node:url'
import { startSimServer, type SimServer } from '../../fixtures/sim/server.js'
import { callSummary, drive, simClient } from './drive.js'

const solutionsDir = fileURLToPath(new URL('./solutions', import.meta.url))
const GIT = 'Commit the greeting file hello.txt with the two lines hello and world.'
const CONFIG = 'Use port 8443 for the service. Prepare the service config in conf/ and record the port.'
const CHECKSUM = 'Compute the checksum report of data.txt into report.txt.'

let server: SimServer
beforeAll(async () => {
  server = await startSimServer({ solutionsDir, seed: 7 })
})
afterAll(() => server.close())
const client = () => simClient(server.url)

describe('sim-oracle', () => {
  it('walks every solution to finish', async () => {
    const git = await drive(client(), { model: 'sim-oracle', instruction: GIT })
    expect(callSummary(git)).toEqual([
      '$ git init -q',
      'write_file hello.txt',
      '$ git add hello.txt',
      '$ git config user.email sim@example.com && git config user.name Sim',
      "$ git commit -qm 'Add greeting'",
      'finish',
    ])
    expect(git.world.commits).toBe(1)
    expect(git.summary).toMatch(/^Done/)

    const config = await drive(client(), { model: 'sim-oracle', instruction: CONFIG })
    expect(config.world.files.get('conf/port.txt')).toBe('8443\n')
    expect(config.world.files.get('conf/STATUS')).toBe('ready\n')
    expect(config.calls.at(-1)?.name).toBe('finish')

    const checksum = await drive(client(), { model: 'sim-oracle', instruction: CHECKSUM })
    expect(checksum.world.commands).toContain('sha256sum data.txt > report.txt')
  })

  it('retries a command that timed out', async () => {
    const run = await drive(client(), { model: 'sim-oracle', instruction: CONFIG, world: { timeouts: { match: /build/, times: 2 } } })
    expect(run.world.commands.filter((c) => c === './build.sh')).toHaveLength(3)
    expect(run.world.files.get('conf/STATUS')).toBe('ready\n')
  })

  it('stands in shell commands for file tools the harness does not offer', async () => {
    const run = await drive(client(), { model: 'sim-oracle', instruction: CONFIG, tools: ['shell', 'finish'] })
    expect(run.calls.every((c) => c.name === 'shell' || c.name === 'finish')).toBe(true)
    expect(run.world.files.get('conf/port.txt')).toBe('8443\n')
    expect(run.calls.at(-1)?.name).toBe('finish')
  })
})

describe('sim-steady', () => {
  it('forgets the git identity, fails the commit and gives up', async () => {
    const run = await drive(client(), { model: 'sim-steady', instruction: GIT })
    expect(run.world.commands.some((c) => c.includes('git config'))).toBe(false)
    expect(run.world.commits).toBe(0)
    expect(run.summary).toMatch(/^Stopped/)
  })

  it('heeds a rule about the git identity', async () => {
    const rules = ['Before committing, set the git identity with git config user.name and user.email.']
    const run = await drive(client(), { model: 'sim-steady', instruction: GIT, rules })
    expect(run.world.commits).toBe(1)
  })

  it('is fixed by a before wrapper and recovers on the exit-code flag', async () => {
    const before = await drive(client(), {
      model: 'sim-steady',
      instruction: GIT,
      world: { beforeShell: 'git config user.email h@example.com && git config user.name H' },
    })
    expect(before.world.commits).toBe(1)
    const flagged = await drive(client(), { model: 'sim-steady', instruction: GIT, world: { exitCodeFlag: true } })
    expect(callSummary(flagged).slice(-3)).toEqual([
      '$ git config user.email sim@example.com && git config user.name Sim',
      "$ git commit -qm 'Add greeting'",
      'finish',
    ])
    expect(flagged.world.commits).toBe(1)
  })

  it('drops a line of a write it does not check; a rule or the read-back wrapper makes it fix the file', async () => {
    const gitRule = 'Set the git identity (user.name, user.email) before committing.'
    const plain = await drive(client(), { model: 'sim-steady', instruction: GIT, rules: [gitRule] })
    expect(plain.world.files.get('hello.txt')).toBe('hello\n')

    const verifyRule = 'After writing a file, read it back and verify its content.'
    const ruled = await drive(client(), { model: 'sim-steady', instruction: GIT, rules: [gitRule, verifyRule] })
    expect(callSummary(ruled).slice(1, 4)).toEqual(['write_file hello.txt', 'read_file hello.txt', 'write_file hello.txt'])
    expect(ruled.world.files.get('hello.txt')).toBe('hello\nworld\n')

    const wrapped = await drive(client(), { model: 'sim-steady', instruction: GIT, rules: [gitRule], world: { readBack: true } })
    expect(wrapped.world.files.get('hello.txt')).toBe('hello\nworld\n')
  })

  it('repairs its work when a final check rejects the finish', async () => {
    const finalCheck = (w: { commits: number }) => (w.commits ? undefined : 'a final check failed: no commit')
    const run = await drive(client(), { model: 'sim-steady', instruction: GIT, world: { finalCheck } })
    expect(run.world.commits).toBe(1)
    expect(run.world.files.get('hello.txt')).toBe('hello\nworld\n')
  })

  it('gets a task beyond it wrong whatever the harness', async () => {
    const rules = ['Verify each file you write by reading it back.', 'Set the git identity first.']
    const finalCheck = () => undefined
    const run = await drive(client(), { model: 'sim-steady', instruction: CHECKSUM, rules, planning: true, world: { readBack: true, exitCodeFlag: true, finalCheck } })
    expect(run.world.commands).not.toContain('sha256sum data.txt > report.txt')
    expect(run.summary).toMatch(/^Done/)
  })
})

describe('sim-hasty', () => {
  it('does an order step too early and ignores rules about it; a planning step fixes the order', async () => {
    const rules = ['Do the steps in the right order: create a file before you stage it.']
    const run = await drive(client(), { model: 'sim-hasty', instruction: GIT, rules })
    // `git add` before the file exists fails, and the hasty model gives up.
    expect(callSummary(run)).toEqual(['$ git init -q', '$ git add hello.txt', 'finish'])
    expect(run.world.commits).toBe(0)

    const planned = await drive(client(), { model: 'sim-hasty', instruction: GIT, planning: true })
    expect(planned.plan).toMatch(/^Plan:\n1\. run `git init -q`\n2\. write hello\.txt\n3\. run `git add hello\.txt`/)
    expect(planned.world.commits).toBe(1)
  })

  it('gives up on a timed-out command; without the timeout it goes on', async () => {
    const rules = ['When a command times out, retry it: some commands are slow.']
    const timedOut = await drive(client(), { model: 'sim-hasty', instruction: CONFIG, rules, world: { timeouts: { match: /build/, times: 1 } } })
    expect(timedOut.world.commands.filter((c) => c === './build.sh')).toHaveLength(1)
    expect(timedOut.calls.at(-1)?.name).toBe('finish')
    expect(timedOut.summary).toMatch(/timed out/)
    expect(timedOut.world.files.has('conf/STATUS')).toBe(false)

    const patient = await drive(client(), { model: 'sim-hasty', instruction: CONFIG })
    expect(patient.world.files.get('conf/STATUS')).toBe('ready\n')
  })
})

describe('sim-forgetful', () => {
  it('loses an early value in a long conversation; a rule does not help, restating the instruction does', async () => {
    const plain = await drive(client(), { model: 'sim-forgetful', instruction: CONFIG })
    expect(plain.world.files.get('conf/port.txt')).toBe('8080\n')
    const rules = ['Use the exact values given in the task instruction; remember them.']
    const ruled = await drive(client(), { model: 'sim-forgetful', instruction: CONFIG, rules })
    expect(ruled.world.files.get('conf/port.txt')).toBe('8080\n')
    const restated = await drive(client(), { model: 'sim-forgetful', instruction: CONFIG, restateEvery: 2 })
    expect(restated.world.files.get('conf/port.txt')).toBe('8443\n')
  })

  it('forgets prerequisites; only a before wrapper fixes them', async () => {
    const rules = ['Before committing, set the git identity with git config user.name and user.email.']
    const ruled = await drive(client(), { model: 'sim-forgetful', instruction: GIT, rules, world: { exitCodeFlag: true } })
    expect(ruled.world.commits).toBe(0)
    const wrapped = await drive(client(), {
      model: 'sim-forgetful',
      instruction: GIT,
      world: { beforeShell: 'git config user.email h@example.com && git config user.name H' },
    })
    expect(wrapped.world.commits).toBe(1)
  })
})
