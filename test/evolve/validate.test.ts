import { describe, expect, it } from 'vitest'
import type { RunTasksRequest, TaskRunner } from '../../src/evolve/port.js'
import { validateCandidate, type ValidateInput } from '../../src/evolve/validate.js'
import { parseHarness, type HarnessVersion } from '../../src/harness/version.js'
import type { Outcome, TaskRecord } from '../../src/record/schema.js'
import { buildRecord } from '../../src/record/store.js'

const OUTCOME: Record<string, Outcome> = { p: 'pass', f: 'fail', e: 'error' }

/** A task's record from a string of trial outcomes (`p`, `f`, `e`); `turns` orders the passing tasks by risk. */
function task(id: string, outcomes: string, turns = 1): TaskRecord {
  return {
    id,
    file: `tasks/${id}.test.ts`,
    name: id,
    trials: [...outcomes].map((c, index) => ({ index, outcome: OUTCOME[c]!, durationMs: 1, tokens: { prompt: 1, completion: 1 }, turns, toolCalls: 1 })),
  }
}

function harness(name: string, rules: string[] = []): HarnessVersion {
  const tool = (description: string) => ({ description })
  return parseHarness(
    {
      schemaVersion: 1,
      name,
      systemPrompt: 'You are an agent in a terminal.',
      rules,
      tools: { shell: tool('Run a command.'), read_file: tool('Read a file.'), write_file: tool('Write a file.'), finish: tool('Finish.') },
    },
    `${name}.json`,
  )
}

const current = harness('current')
const candidate = harness('candidate', ['Set the git identity before committing.'])

/**
 * A predictable task runner: each task has the outcomes of its first, second, ... run under the candidate. It runs
 * the requested tasks in order and, when asked to bail, stops after the first task that does not pass, as vitest's
 * `--bail=1` does. Anything it was not scripted for (another harness, a task or a run too many, a run of the whole
 * suite, a wrong trial count) throws.
 */
function scriptedRunner(script: Record<string, string[]>): TaskRunner & { requests: RunTasksRequest[]; ran: string[] } {
  const runs = new Map<string, number>()
  const requests: RunTasksRequest[] = []
  const ran: string[] = []
  return {
    requests,
    ran,
    async run(request) {
      requests.push(request)
      if (request.harness.id !== candidate.id) throw new Error(`unexpected run under ${request.harness.name} (${request.harness.id}): only the candidate may run`)
      if (!request.taskIds.length) throw new Error(`unexpected run of the whole suite (${request.label})`)
      const tasks: TaskRecord[] = []
      for (const id of request.taskIds) {
        const n = runs.get(id) ?? 0
        const outcomes = script[id]?.[n]
        if (outcomes === undefined) throw new Error(`unexpected run ${n + 1} of ${id} (${request.label})`)
        if (outcomes.length !== request.trials) throw new Error(`unexpected trial count ${request.trials} for ${id}: scripted ${outcomes.length}`)
        runs.set(id, n + 1)
        ran.push(id)
        tasks.push(task(id, outcomes))
        if (request.bail && /[fe]/.test(outcomes)) break
      }
      const record = buildRecord({ harness: { name: request.harness.name, id: request.harness.id }, model: 'scripted', trials: request.trials, tasks })
      return { record, recordFile: `runs/${request.label}/runs/${request.label}.json` }
    },
  }
}

/** Validation input from the current results; every task in them decides. */
function inputFor(runner: TaskRunner, tasks: TaskRecord[], targets: string[], extra: Partial<ValidateInput> = {}): ValidateInput {
  return {
    candidate,
    current: new Map(tasks.map((t) => [t.id, t])),
    decisionTasks: tasks.map((t) => t.id),
    targets: new Set(targets),
    runner,
    trials: tasks[0]!.trials.length,
    label: 'i1-p-1',
    fragility: new Map(),
    ...extra,
  }
}

const idsOf = (requests: RunTasksRequest[]) => requests.map((r) => [...r.taskIds])

describe('validateCandidate', () => {
  it('accepts a candidate that fixes a target task and breaks nothing, with its results on every decision task', async () => {
    const runner = scriptedRunner({ target: ['p'], other: ['p'], a: ['p'], b: ['p'] })
    const tasks = [task('target', 'f'), task('other', 'f'), task('a', 'p', 2), task('b', 'p', 5)]
    const v = await validateCandidate(inputFor(runner, tasks, ['target']))
    expect(v).toMatchObject({ accepted: true, regressions: [], fixes: ['target', 'other'], targetFixed: ['target'], stoppedEarly: false, trialsRun: 4, trialsReused: 4 })
    expect(v.reason).toMatch(/2 task\(s\) fixed, 1 of them showing the target weakness/)
    expect([...v.results!.keys()].sort()).toEqual(['a', 'b', 'other', 'target'])
    expect(v.results!.get('other')!.trials[0]!.outcome).toBe('pass')
    // Targets first, then the passing tasks (riskiest first, stopping at a failure), then the other failing ones.
    expect(runner.requests.map((r) => ({ ids: r.taskIds, label: r.label, bail: r.bail }))).toEqual([
      { ids: ['target'], label: 'i1-p-1-target', bail: false },
      { ids: ['b', 'a'], label: 'i1-p-1-regress', bail: true },
      { ids: ['other'], label: 'i1-p-1-fix', bail: false },
    ])
    expect(v.recordFiles).toEqual(['runs/i1-p-1-target/runs/i1-p-1-target.json', 'runs/i1-p-1-regress/runs/i1-p-1-regress.json', 'runs/i1-p-1-fix/runs/i1-p-1-fix.json'])
  })

  it('rejects a candidate under which no target task passes after running only the target tasks', async () => {
    const runner = scriptedRunner({ t1: ['f'], t2: ['f'] })
    const tasks = [task('t1', 'f'), task('other', 'f'), task('t2', 'f'), task('a', 'p'), task('b', 'p')]
    const v = await validateCandidate(inputFor(runner, tasks, ['t1', 't2', 'not-a-decision-task']))
    expect(v).toMatchObject({ accepted: false, regressions: [], fixes: [], targetFixed: [], stoppedEarly: true, trialsRun: 2, results: undefined })
    expect(v.reason).toBe('no task showing the target weakness passes now (2 tried)')
    expect(idsOf(runner.requests)).toEqual([['t1', 't2']])
  })

  it('does not run a target task that already passes: only failing tasks can show a fix', async () => {
    const runner = scriptedRunner({ t1: ['f'] })
    const v = await validateCandidate(inputFor(runner, [task('t1', 'f'), task('t2', 'p')], ['t1', 't2']))
    expect(v.accepted).toBe(false)
    expect(runner.ran).toEqual(['t1'])
  })

  it('stops at the first regression with one trial: riskiest passing tasks first, the other failing tasks never run', async () => {
    // Risk: tasks that needed more turns now run first.
    const runner = scriptedRunner({ target: ['p'], long: ['p'], middle: ['f'], short: ['p'] })
    const tasks = [task('target', 'f'), task('other1', 'f'), task('short', 'p', 2), task('long', 'p', 9), task('middle', 'p', 5), task('other2', 'f')]
    const v = await validateCandidate(inputFor(runner, tasks, ['target']))
    expect(v).toMatchObject({ accepted: false, regressions: ['middle'], targetFixed: ['target'], stoppedEarly: true, trialsRun: 3 })
    expect(v.reason).toBe('1 task(s) that passed now fail')
    expect(runner.requests).toHaveLength(2)
    expect(runner.requests[1]).toMatchObject({ taskIds: ['long', 'middle', 'short'], bail: true, label: 'i1-p-1-regress' })
    expect(runner.ran).toEqual(['target', 'long', 'middle']) // `short` was left by the bail
    expect(runner.ran).not.toContain('other1')
    expect(runner.ran).not.toContain('other2')
  })

  it('runs the tasks that regressed under earlier candidates first', async () => {
    const runner = scriptedRunner({ target: ['p'], fragile: ['f'] })
    const tasks = [task('target', 'f'), task('sturdy', 'p', 9), task('fragile', 'p', 1)]
    const v = await validateCandidate(inputFor(runner, tasks, ['target'], { fragility: new Map([['fragile', 1]]) }))
    expect(v.regressions).toEqual(['fragile'])
    expect(runner.requests[1]!.taskIds).toEqual(['fragile', 'sturdy'])
    expect(runner.ran).not.toContain('sturdy')
  })

  it('reuses the current harness results: only the candidate runs, and every current trial counts as reused', async () => {
    const runner = scriptedRunner({ target: ['ppp'], other: ['fff'], a: ['ppp'], b: ['ppp'] })
    const tasks = [task('target', 'fff'), task('other', 'ffp'), task('a', 'ppp'), task('b', 'ppf')]
    const sealed = task('sealed', 'ppp')
    const input = inputFor(runner, tasks, ['target'])
    const v = await validateCandidate({ ...input, current: new Map([...input.current, ['sealed', sealed]]) })
    expect(v.accepted).toBe(true)
    expect(runner.requests.length).toBeGreaterThan(0)
    for (const request of runner.requests) {
      expect(request.harness.id).toBe(candidate.id)
      expect(request.harness.id).not.toBe(current.id)
      expect(request.trials).toBe(3)
    }
    expect(v.trialsReused).toBe(12) // 4 decision tasks x 3 trials; the sealed task decides nothing
    expect(v.trialsRun).toBe(12)
    expect(runner.ran.sort()).toEqual(['a', 'b', 'other', 'target'])
  })

  describe('infrastructure errors', () => {
    it('retries an errored target task once and goes on when the retry passes', async () => {
      const runner = scriptedRunner({ target: ['e', 'p'], a: ['p'] })
      const v = await validateCandidate(inputFor(runner, [task('target', 'f'), task('a', 'p')], ['target']))
      expect(v).toMatchObject({ accepted: true, targetFixed: ['target'], trialsRun: 3 })
      expect(runner.requests.map((r) => r.label)).toEqual(['i1-p-1-target', 'i1-p-1-target-retry', 'i1-p-1-regress'])
      expect(runner.requests[1]).toMatchObject({ taskIds: ['target'], bail: false })
    })

    it('blocks when a target task errors again on its retry', async () => {
      const runner = scriptedRunner({ t1: ['e', 'e'], t2: ['f'] })
      const v = await validateCandidate(inputFor(runner, [task('t1', 'f'), task('t2', 'f'), task('a', 'p')], ['t1', 't2']))
      expect(v).toMatchObject({ accepted: false, stoppedEarly: true, regressions: [] })
      expect(v.reason).toBe('infrastructure errors left after a retry on 1 target task(s)')
      expect(idsOf(runner.requests)).toEqual([['t1', 't2'], ['t1']])
    })

    it('blocks, without calling it a regression, when a passing task errors again on its retry', async () => {
      const runner = scriptedRunner({ target: ['p'], a: ['e', 'e'] })
      const v = await validateCandidate(inputFor(runner, [task('target', 'f'), task('a', 'p', 9), task('b', 'p', 1)], ['target']))
      expect(v).toMatchObject({ accepted: false, regressions: [], targetFixed: ['target'] })
      expect(v.reason).toBe('infrastructure errors left after a retry on 1 task(s): a')
      expect(runner.requests.map((r) => r.label)).toEqual(['i1-p-1-target', 'i1-p-1-regress', 'i1-p-1-regress-retry'])
    })

    it('blocks when a failing task errors again on its retry in the last phase', async () => {
      const runner = scriptedRunner({ target: ['p'], a: ['p'], other: ['e', 'e'] })
      const v = await validateCandidate(inputFor(runner, [task('target', 'f'), task('other', 'f'), task('a', 'p')], ['target']))
      expect(v).toMatchObject({ accepted: false, regressions: [], targetFixed: ['target'] })
      expect(v.reason).toBe('infrastructure errors left after a retry on 1 task(s)')
      expect(runner.requests.map((r) => r.label)).toEqual(['i1-p-1-target', 'i1-p-1-regress', 'i1-p-1-fix', 'i1-p-1-fix-retry'])
    })

    it('still runs the passing tasks a bail left out when an errored one passes on its retry', async () => {
      // The error stopped the bail run at the riskiest task; its retry passed, so nothing regressed yet and the
      // tasks left out must still be checked before the candidate can be judged.
      const runner = scriptedRunner({ target: ['p'], a: ['e', 'p'], b: ['p'] })
      const v = await validateCandidate(inputFor(runner, [task('target', 'f'), task('a', 'p', 9), task('b', 'p', 1)], ['target']))
      expect(runner.ran).toContain('b')
      expect(v).toMatchObject({ accepted: true, regressions: [], targetFixed: ['target'] })
    })

    it('retries an error among the passing tasks left out by a bail, as it does everywhere else', async () => {
      const runner = scriptedRunner({ target: ['p'], a: ['e', 'p'], b: ['e', 'p'], c: ['p'] })
      const tasks = [task('target', 'f'), task('a', 'p', 9), task('b', 'p', 5), task('c', 'p', 1)]
      const v = await validateCandidate(inputFor(runner, tasks, ['target']))
      expect(runner.ran.filter((id) => id === 'b')).toHaveLength(2)
      expect(runner.ran).toContain('c')
      expect(v).toMatchObject({ accepted: true, regressions: [], targetFixed: ['target'] })
    })
  })

  describe('with more than one trial', () => {
    const tasks = () => [task('target', 'fffff'), task('a', 'ppppp', 5), task('b', 'ppppp', 3), task('c', 'ppppp', 1)]

    it('does not stop at the first failure, and a single flip among 5 trials is not a regression', async () => {
      const runner = scriptedRunner({ target: ['ppppp'], a: ['ppppf'], b: ['ppppp'], c: ['ppppp'] })
      const v = await validateCandidate(inputFor(runner, tasks(), ['target']))
      expect(v).toMatchObject({ accepted: true, regressions: [], targetFixed: ['target'], trialsRun: 20, trialsReused: 20 })
      expect(runner.requests[1]).toMatchObject({ taskIds: ['a', 'b', 'c'], bail: false })
    })

    it('finds a regression the exact test is sure of (5 of 5 passes before, none now)', async () => {
      const runner = scriptedRunner({ target: ['ppppp'], a: ['ppppp'], b: ['fffff'], c: ['ppppp'] })
      const v = await validateCandidate(inputFor(runner, tasks(), ['target']))
      expect(v).toMatchObject({ accepted: false, regressions: ['b'], targetFixed: ['target'] })
      expect(runner.ran).toEqual(['target', 'a', 'b', 'c'])
    })

    it('does not accept when drops too small to be regressions leave the pass count no higher', async () => {
      // The target newly passes (+1), while a and b each fall from 5 of 5 to 2 of 5: not significant one by one,
      // but each now fails by majority (-2). The candidate passes fewer tasks than the current harness.
      const runner = scriptedRunner({ target: ['ppppp'], a: ['ppfff'], b: ['fppff'], c: ['ppppp'] })
      const v = await validateCandidate(inputFor(runner, tasks(), ['target']))
      expect(v.regressions).toEqual([])
      expect(v.accepted).toBe(false)
    })
  })
})
