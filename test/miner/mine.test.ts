import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { ChatCompletion, ChatRequest, ModelClient } from '../../src/agent/model.js'
import { ConfigurationError, ModelError } from '../../src/errors.js'
import { signatureOfTrace } from '../../src/miner/features.js'
import { mineFailures, miningReport } from '../../src/miner/mine.js'
import { workerFile } from '../../src/miner/pool.js'
import { MINE_MARKER } from '../../src/miner/prompt.js'
import { MiningReportSchema } from '../../src/miner/schema.js'
import { parseTrace } from '../../src/trace/reader.js'
import { craftTrace, gitIdentityFailure, timeoutFailure, unverifiedWriteFailure, writeTrace } from './traces.js'

const dir = mkdtempSync(join(tmpdir(), 'miner-test-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** A mixed set of failure traces on disk: three recurring patterns and a one-off. */
function traceSet(name: string, copies = 1) {
  const failures: Array<{ taskId: string; trial: number; tracePath: string }> = []
  const add = (taskId: string, trial: number, events: ReturnType<typeof craftTrace>) =>
    failures.push({ taskId, trial, tracePath: writeTrace(join(dir, name), `${taskId}-${trial}`, events) })
  for (let copy = 0; copy < copies; copy++) {
    for (let i = 0; i < 4; i++) add(`git-${copy}-${i}`, 0, gitIdentityFailure(`git-${copy}-${i}`, `doc-${i}.md`))
    for (let i = 0; i < 3; i++) for (const trial of [0, 1]) add(`slow-${copy}-${i}`, trial, timeoutFailure(`slow-${copy}-${i}`, `./step${i}.sh`))
    for (let i = 0; i < 2; i++) add(`ini-${copy}-${i}`, 0, unverifiedWriteFailure(`ini-${copy}-${i}`, `conf/${i}.ini`))
    add(`odd-${copy}`, 0, craftTrace(`odd-${copy}`, 'Odd one.', [{ shell: 'frobnicate', exit: 127, stderr: 'bash: frobnicate: command not found' }, { finish: 'Stopped.' }]))
  }
  return failures
}

/** A scripted model: answers in order, fails loudly when asked more than expected. */
function scriptedClient(answers: Array<string | Error>): ModelClient & { requests: ChatRequest[] } {
  const requests: ChatRequest[] = []
  return {
    model: 'scripted',
    requests,
    async chat(request) {
      requests.push(request)
      const answer = answers.shift()
      if (answer === undefined) throw new Error(`unexpected model call #${requests.length}`)
      if (answer instanceof Error) throw answer
      return { id: 'x', object: 'chat.completion', created: 0, model: 'scripted', choices: [{ index: 0, finish_reason: 'stop', logprobs: null, message: { role: 'assistant', content: answer, refusal: null } }] } as ChatCompletion
    },
  }
}

describe('mineFailures', () => {
  it('ranks the recurring weaknesses of a trace set and indexes their signatures', async () => {
    const failures = traceSet('basic')
    const progress: number[] = []
    const result = await mineFailures({ failures, totalTasks: 20, workers: 0, onProgress: (done) => progress.push(done) })
    expect(result.threads).toBe(0)
    expect(result.traces).toEqual({ failures: 13, read: 13, unreadable: 0, corruptLines: 0 })
    expect(result.weaknesses.map((w) => [w.category, w.frequency.failures, w.frequency.tasks])).toEqual([
      ['error-recovery', 6, 3],
      ['prerequisite-missing', 4, 4],
      ['verification-missing', 2, 2],
    ])
    expect(result.weaknesses.every((w) => w.namedBy === 'rules')).toBe(true)
    expect(progress.at(-1)).toBe(13)
    const git = result.weaknesses[1]!
    expect(result.bySignature['cmd:git commit|err:identity unknown|end:finish']).toBe(git.id)
    expect(result.bySignature[git.signature]).toBe(git.id)
    expect(MiningReportSchema.parse(miningReport(result))).toEqual(miningReport(result))
    // The validator's contract: a trace's signature finds its weakness.
    const ids = failures.map((f) => result.bySignature[signatureOfTrace(parseTrace(readFileSync(f.tracePath, 'utf8')))])
    expect(ids.filter(Boolean)).toHaveLength(12)
    expect(new Set(ids)).toEqual(new Set([...result.weaknesses.map((w) => w.id), undefined]))
  })

  it('gives identical results from worker threads and from one thread', async () => {
    expect(workerFile(), 'the compiled worker (npm run build) is needed for this test').toBeDefined()
    const failures = traceSet('pool', 4)
    const inThread = await mineFailures({ failures, totalTasks: 60, workers: 0 })
    const progress: number[] = []
    const pooled = await mineFailures({ failures, totalTasks: 60, workers: 2, workerThreshold: 0, onProgress: (done) => progress.push(done) })
    expect(pooled.threads).toBe(2)
    expect(progress.at(-1)).toBe(failures.length)
    expect(miningReport(pooled)).toEqual(miningReport(inThread))
    // Across copies the one-off `command not found` recurs: four weaknesses.
    expect(inThread.weaknesses.map((w) => w.category)).toEqual(['error-recovery', 'prerequisite-missing', 'verification-missing', 'prerequisite-missing'])
    expect(inThread.weaknesses[0]!.frequency).toEqual({ failures: 24, tasks: 12, ofTasks: 60 })
  })

  it('skips corrupt lines and unreadable traces, counts them and warns, without failing', async () => {
    const good = traceSet('corrupt')
    const broken = writeTrace(join(dir, 'corrupt'), 'broken', gitIdentityFailure('git-x'), ['{"kind":"tool-result", "t": ', '{"t":1,"kind":"nonsense"}'])
    const failures = [
      ...good,
      { taskId: 'git-x', trial: 0, tracePath: broken },
      { taskId: 'gone', trial: 0, tracePath: join(dir, 'corrupt', 'missing.jsonl') },
      { taskId: 'empty', trial: 0, tracePath: writeTrace(join(dir, 'corrupt'), 'empty', [], ['not json at all']) },
    ]
    for (const workers of [0, 2]) {
      const result = await mineFailures({ failures, totalTasks: 30, workers, workerThreshold: 0 })
      expect(result.traces).toEqual({ failures: 16, read: 14, unreadable: 2, corruptLines: 3 })
      expect(result.warnings).toEqual([
        expect.stringMatching(/broken\.jsonl: line 15: not valid JSON; line skipped\.$/),
        expect.stringMatching(/broken\.jsonl: line 16: field `kind`: .*; line skipped\.$/),
        expect.stringMatching(/^Cannot read trace .*missing\.jsonl: .*ENOENT.*; skipped\.$/),
        expect.stringMatching(/empty\.jsonl: line 1: not valid JSON; line skipped\.$/),
        expect.stringMatching(/^Trace .*empty\.jsonl holds no valid event; skipped\.$/),
      ])
      // The broken trace's good lines still count: five tasks now fail on git commit.
      expect(result.weaknesses.find((w) => w.category === 'prerequisite-missing')!.frequency.tasks).toBe(5)
    }
  })

  it('asks the model once per top cluster and keeps valid names', async () => {
    const client = scriptedClient([
      '```json\n{"pattern": "gives up on slow scripts", "category": "error recovery", "explanation": "Timeouts end the run."}\n```',
      '{"pattern": "git identity not configured before commit", "category": "prerequisite-missing", "explanation": "No user.name."}',
    ])
    const result = await mineFailures({ failures: traceSet('named'), totalTasks: 20, workers: 0, client, nameTop: 2 })
    expect(client.requests).toHaveLength(2)
    const [system, user] = client.requests[0]!.messages
    expect(system!.role === 'system' && String(system!.content).startsWith(MINE_MARKER)).toBe(true)
    expect(String(user!.content)).toContain('"signature": "err:timed out|end:finish"')
    expect(String(user!.content)).toContain('"exampleTasks"')
    expect(String(user!.content)).toContain('$ ./step0.sh -> timed out after 3000 ms')
    expect(result.weaknesses.slice(0, 2).map((w) => [w.pattern, w.category, w.namedBy])).toEqual([
      ['gives up on slow scripts', 'error-recovery', 'model'],
      ['git identity not configured before commit', 'prerequisite-missing', 'model'],
    ])
    expect(result.weaknesses[2]!.namedBy).toBe('rules')
  })

  it('retries a malformed answer once, then keeps the rules and notes it', async () => {
    const client = scriptedClient([
      'I think the agent gives up on slow commands.',
      '{"pattern": "gives up on slow commands", "category": "error-recovery", "explanation": "It stops on timeouts."}',
      '{"pattern": "x"}',
      '{"pattern": "git identity", "category": "made-up", "explanation": "?"}',
    ])
    const result = await mineFailures({ failures: traceSet('retry'), totalTasks: 20, workers: 0, client, nameTop: 2 })
    expect(client.requests).toHaveLength(4)
    const retry = client.requests[1]!.messages
    expect(retry.at(-2)).toEqual({ role: 'assistant', content: 'I think the agent gives up on slow commands.' })
    expect(String(retry.at(-1)!.content)).toMatch(/^That answer is not usable: the answer holds no JSON object\./)
    expect(result.weaknesses[0]!.namedBy).toBe('model')
    const kept = result.weaknesses[1]!
    expect(kept.namedBy).toBe('rules')
    expect(kept.category).toBe('prerequisite-missing')
    expect(kept.note).toMatch(/malformed twice \(field `category`: expected one of/)
    expect(result.warnings).toEqual([`${kept.id}: ${kept.note}`])
  })

  it('stops asking when the model endpoint fails, keeping the rules', async () => {
    const client = scriptedClient([new ModelError('The model endpoint failed after 4 retries: 503')])
    const result = await mineFailures({ failures: traceSet('down'), totalTasks: 20, workers: 0, client })
    expect(client.requests).toHaveLength(1)
    expect(result.weaknesses.every((w) => w.namedBy === 'rules' && w.note?.includes('could not be asked'))).toBe(true)
  })

  it('refuses bad options with a message naming the field', async () => {
    const error = await mineFailures({ failures: [], totalTasks: 0 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConfigurationError)
    expect(error).toMatchObject({ code: 'CONFIG_INVALID', field: 'totalTasks', message: 'Expected `totalTasks` to be an integer of at least 1, got `0`.' })
    await expect(mineFailures({ failures: traceSet('opts'), totalTasks: 3 })).rejects.toThrow(/at least the 10 distinct tasks/)
    await expect(mineFailures({ failures: [], totalTasks: 1, workers: -1 })).rejects.toThrow(/`workers`/)
  })

  it('returns an empty report for no failures', async () => {
    const result = await mineFailures({ failures: [], totalTasks: 5 })
    expect(result.weaknesses).toEqual([])
    expect(existsSync(dir)).toBe(true)
  })
})
