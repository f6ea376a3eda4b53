import { describe, expect, it } from 'vitest'
import { clusterFailures, type FailureItem } from '../../src/miner/cluster.js'
import { extractFeatures } from '../../src/miner/features.js'
import { WeaknessSchema } from '../../src/miner/schema.js'
import type { TraceEvent } from '../../src/trace/events.js'
import { craftTrace, gitIdentityFailure, timeoutFailure, unverifiedWriteFailure } from './traces.js'

const item = (taskId: string, events: TraceEvent[], trial = 0): FailureItem => ({ taskId, trial, features: extractFeatures(events) })

const missingFile = (taskId: string, command: string, stderr: string) =>
  craftTrace(taskId, `Finish the ${taskId} task.`, [{ shell: command, exit: 1, stderr }, { finish: 'Stopped. The task is not complete.' }])

describe('clusterFailures', () => {
  it('puts two tasks failing on git commit without an identity in one cluster', () => {
    const clusters = clusterFailures([item('git-commit-readme', gitIdentityFailure('git-commit-readme')), item('git-tag-release', gitIdentityFailure('git-tag-release', 'CHANGELOG.md', 'release 1.2'))], { totalTasks: 10 })
    expect(clusters).toHaveLength(1)
    const [cluster] = clusters
    expect(cluster!.key).toBe('err:identity unknown|end:finish')
    expect(cluster!.signatures).toEqual(['cmd:git commit|err:identity unknown|end:finish'])
    expect(cluster!.frequency).toEqual({ failures: 2, tasks: 2, ofTasks: 10 })
    expect(cluster!.category).toBe('prerequisite-missing')
    expect(cluster!.exampleTasks).toEqual(['git-commit-readme', 'git-tag-release'])
    expect(cluster!.evidence).toEqual([
      "[git-commit-readme#0] $ git add README.md && git commit -q -m 'docs: add readme' -> Author identity unknown",
      "[git-tag-release#0] $ git add CHANGELOG.md && git commit -q -m 'release 1.2' -> Author identity unknown",
    ])
    expect(cluster!.pattern).toBe('`git commit` fails with "identity unknown" and the agent gives up (calls finish)')
    expect(cluster!.id).toMatch(/^W-[0-9a-f]{6}$/)
  })

  it('drops a one-off: a pattern seen in one task only, however often', () => {
    const clusters = clusterFailures([
      item('a', gitIdentityFailure('a')),
      item('b', gitIdentityFailure('b')),
      item('slow', timeoutFailure('slow'), 0),
      item('slow', timeoutFailure('slow'), 1),
    ])
    expect(clusters.map((c) => c.key)).toEqual(['err:identity unknown|end:finish'])
    expect(clusterFailures([item('slow', timeoutFailure('slow'))], { minTasks: 1 })).toHaveLength(1)
  })

  it('merges the same error from different commands, but not bare exit codes', () => {
    const clusters = clusterFailures([
      item('scripts-backup', missingFile('scripts-backup', 'chmod +x backup.sh', "chmod: cannot access 'backup.sh': No such file or directory")),
      item('files-archive', missingFile('files-archive', 'tar -czf backup.tar.gz export', 'tar: export: Cannot stat: No such file or directory')),
      item('t1', missingFile('t1', 'npm test', '')),
      item('t2', missingFile('t2', 'make check', '')),
    ])
    expect(clusters).toHaveLength(1)
    expect(clusters[0]!.key).toBe('err:no such file or directory|end:finish')
    expect(clusters[0]!.signatures).toEqual(['cmd:chmod|err:no such file or directory|end:finish', 'cmd:tar|err:no such file or directory|end:finish'])
    expect(clusters[0]!.heads).toEqual(['chmod', 'tar'])
    expect(clusters[0]!.category).toBe('planning-order')
    expect(clusters[0]!.pattern).toMatch(/^`chmod`, `tar` fail with "no such file or directory"/)
  })

  it('ranks by impact: tasks affected, weighted by how often they fail', () => {
    const items = [
      // identity: 2 tasks, each failing 1 of 4 trials
      item('g1', gitIdentityFailure('g1'), 0),
      item('g2', gitIdentityFailure('g2'), 0),
      // timeout: 2 tasks, each failing 4 of 4 trials
      ...[0, 1, 2, 3].flatMap((trial) => [item('s1', timeoutFailure('s1'), trial), item('s2', timeoutFailure('s2'), trial)]),
    ]
    const clusters = clusterFailures(items, { totalTasks: 20 })
    expect(clusters.map((c) => c.category)).toEqual(['error-recovery', 'prerequisite-missing'])
    expect(clusters[0]!.impact).toBeCloseTo((1 + 1) / 20)
    expect(clusters[1]!.impact).toBeCloseTo((0.25 + 0.25) / 20)
    expect(clusters[0]!.frequency).toEqual({ failures: 8, tasks: 2, ofTasks: 20 })
    // Equal impact, failures and tasks: ordered by key.
    const tie = clusterFailures([item('a', gitIdentityFailure('a')), item('b', gitIdentityFailure('b')), item('c', timeoutFailure('c')), item('d', timeoutFailure('d'))], { trialsPerTask: 1 })
    expect(tie[0]!.impact).toBe(tie[1]!.impact)
    expect(tie.map((c) => c.key)).toEqual([...tie.map((c) => c.key)].sort())
  })

  it('guesses categories from the features', () => {
    const longRun = (taskId: string) =>
      craftTrace(
        taskId,
        'The customer is Northwind Traders. Render the welcome letter.',
        [{ shell: 'ls' }, { shell: 'ls templates' }, { shell: 'mkdir -p out' }, { shell: "sed 's/@C@/Northwind Trading/' t > out/w.txt" }, { finish: 'Done.' }],
        { assertion: "expected 'Dear Northwind Trading' to be 'Dear Northwind Traders' // Object.is equality" },
      )
    const clean = (taskId: string) =>
      craftTrace(taskId, 'Fix the bug.', [{ shell: 'sed -i s/a/b/ x.c' }, { finish: 'Done.' }], { assertion: 'expected 1 to be +0 // Object.is equality' })
    const clusters = clusterFailures([
      item('v1', unverifiedWriteFailure('v1')),
      item('v2', unverifiedWriteFailure('v2', 'etc/hosts')),
      item('c1', longRun('c1')),
      item('c2', longRun('c2')),
      item('x1', clean('x1')),
      item('x2', clean('x2')),
      item('t1', timeoutFailure('t1')),
      item('t2', timeoutFailure('t2')),
    ])
    const byKey = Object.fromEntries(clusters.map((c) => [c.key, c.category]))
    expect(byKey).toEqual({
      'unverified-write|assert:value|end:finish': 'verification-missing',
      'lost-value|assert:value|end:finish': 'context-lost',
      'assert:number|end:finish': 'capability-gap',
      'err:timed out|end:finish': 'error-recovery',
    })
  })

  it('gives the same clusters and ids whatever the order of the failures', () => {
    const items = [
      item('a', gitIdentityFailure('a')),
      item('b', gitIdentityFailure('b', 'x.md')),
      item('c', timeoutFailure('c')),
      item('d', timeoutFailure('d', './slow.sh')),
      item('c', timeoutFailure('c'), 1),
    ]
    const forward = clusterFailures(items)
    expect(clusterFailures([...items].reverse())).toEqual(forward)
    expect(new Set(forward.map((c) => c.id)).size).toBe(forward.length)
  })

  it('keeps at most five example tasks and three evidence lines, in weakness shape', () => {
    const items = Array.from({ length: 8 }, (_, i) => item(`task-${i}`, gitIdentityFailure(`task-${i}`, `f${i}.md`)))
    const [cluster] = clusterFailures(items, { totalTasks: 8 })
    expect(cluster!.exampleTasks).toEqual(['task-0', 'task-1', 'task-2', 'task-3', 'task-4'])
    expect(cluster!.evidence).toHaveLength(3)
    const { id, pattern, category, explanation, key, frequency, impact, exampleTasks, evidence } = cluster!
    expect(() =>
      WeaknessSchema.parse({ id, pattern, category, explanation, signature: key, frequency, impact, exampleTasks, evidence, namedBy: 'rules' }),
    ).not.toThrow()
    expect(explanation).toContain('Seen in 8 failures across 8 of 8 tasks')
  })
})
