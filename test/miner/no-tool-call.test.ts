import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { ChatCompletion, ModelClient } from '../../src/agent/model.js'
import { guessCategory } from '../../src/miner/category.js'
import { extractFeatures } from '../../src/miner/features.js'
import { mineFailures } from '../../src/miner/mine.js'
import type { TraceEvent } from '../../src/trace/events.js'
import { craftTrace, writeTrace } from './traces.js'

const dir = mkdtempSync(join(tmpdir(), 'miner-no-tool-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const APOLOGY = "I'm sorry, I don't know how to do this task: it is not one the simulated model has a solution for, so I will stop here."

/** A run in which the model only talks (and maybe calls finish), as the simulator does for a task it has no solution for. */
function silentRun(taskId: string, withFinish: boolean): TraceEvent[] {
  const events = craftTrace(taskId, `Do ${taskId}.`, withFinish ? [{ finish: 'Could not work out how to do this task.' }] : [], {
    status: withFinish ? 'finished' : 'max-turns',
    assertion: "expected false to be true // Object.is equality",
  })
  // The model's words are in its response, as the loop records them.
  const response = events.find((e) => e.kind === 'model-response')
  if (response && response.kind === 'model-response') response.content = APOLOGY
  else events.splice(1, 0, { t: 1, kind: 'model-response', turn: 1, durationMs: 1, content: APOLOGY, toolCalls: [], tokens: { prompt: 1, completion: 1 } })
  return events
}

describe('trials that made no tool call', () => {
  it('are their own category, with what the model said as evidence', () => {
    for (const withFinish of [true, false]) {
      const features = extractFeatures(silentRun('t', withFinish))
      expect(features.noAction).toBe(true)
      expect(guessCategory(features)).toBe('no-tool-call')
      expect(features.signature.startsWith('no-tool-call|')).toBe(true)
      expect(features.evidence[0]).toContain('model said: I')
    }
  })

  it('a run that acted is not one, nor a run that errored before acting', () => {
    const acted = extractFeatures(craftTrace('a', 'Do a.', [{ shell: 'true' }, { finish: 'Done.' }], { assertion: 'expected 1 to be 2' }))
    expect(acted.noAction).toBe(false)
    expect(guessCategory(acted)).not.toBe('no-tool-call')
    const errored = extractFeatures(craftTrace('e', 'Do e.', [], { status: 'error' }))
    expect(errored.noAction).toBe(false)
  })

  it('mining keeps them apart from planning-order, even when the model names the cluster otherwise', async () => {
    const failures = ['one', 'two', 'three'].map((taskId) => ({ taskId, trial: 0, tracePath: writeTrace(dir, taskId, silentRun(taskId, taskId !== 'two')) }))
    const answer = JSON.stringify({ pattern: 'The agent does the steps in the wrong order', category: 'planning-order', explanation: 'It plans badly.' })
    const client: ModelClient = {
      model: 'scripted',
      async chat() {
        return { id: 'x', object: 'chat.completion', created: 0, model: 'scripted', choices: [{ index: 0, finish_reason: 'stop', logprobs: null, message: { role: 'assistant', content: answer, refusal: null } }] } as ChatCompletion
      },
    }
    const report = await mineFailures({ failures, totalTasks: 3, client, trialsPerTask: 1 })
    expect(report.weaknesses.map((w) => w.category)).toEqual(['no-tool-call'])
    expect(report.weaknesses[0]!.frequency.tasks).toBe(3)
    const rules = await mineFailures({ failures, totalTasks: 3, trialsPerTask: 1 })
    expect(rules.weaknesses[0]!.pattern).toContain('Makes no tool call')
  })
})
