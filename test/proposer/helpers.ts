import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { ChatCompletion, ChatRequest, ModelClient } from '../../src/agent/model.js'
import { parseHarness } from '../../src/harness/version.js'
import type { HarnessSpec } from '../../src/harness/spec.js'
import type { Proposal, WeaknessLike } from '../../src/proposer/proposal.js'

/** The bundled baseline harness, parsed. */
export function baselineSpec(): HarnessSpec {
  const file = fileURLToPath(new URL('../../fixtures/suite/harnesses/baseline.json', import.meta.url))
  return parseHarness(JSON.parse(readFileSync(file, 'utf8')), file).spec
}

/** The baseline with one final check and a read-back after-check, to test that checks cannot be taken away. */
export function checkedSpec(): HarnessSpec {
  const spec = baselineSpec()
  return {
    ...spec,
    tools: { ...spec.tools, write_file: { ...spec.tools.write_file, after: [{ kind: 'read-back' }] } },
    finalChecks: [{ kind: 'command', run: 'test -s report.txt', message: 'the report is empty' }],
  }
}

/** Task ids and instructions of the bundled suite, read from its test files. */
export function suiteTasks(): { taskIds: string[]; instructions: string[] } {
  const dir = fileURLToPath(new URL('../../fixtures/suite/tasks/', import.meta.url))
  const taskIds: string[] = []
  const instructions: string[] = []
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.test.ts')).sort()) {
    const text = readFileSync(`${dir}${file}`, 'utf8')
    const name = /test\('((?:[^'\\]|\\.)*)'/.exec(text)?.[1] ?? 'task'
    taskIds.push(`tasks/${file} > ${name}`)
    const instruction = /agent\.run\(\s*'((?:[^'\\]|\\.)*)'/.exec(text)?.[1]
    if (instruction) instructions.push(instruction.replace(/\\'/g, "'").replace(/\\n/g, '\n'))
  }
  return { taskIds, instructions }
}

/** A proposal around a patch, for guard tests. */
export function proposal(patch: Proposal['patch'], kind: Proposal['kind'] = 'prompt-rule'): Proposal {
  return { id: 'p-test', weaknessId: 'W-000001', kind, rationale: 'test', expectedFlips: [], patch }
}

/** A weakness as the miner reports one. */
export function weakness(overrides: Partial<WeaknessLike> = {}): WeaknessLike {
  return {
    id: 'W-1a2b3c',
    pattern: 'commits fail because the git identity is not configured',
    category: 'prerequisite-missing',
    explanation: 'The agent runs git commit before setting user.name and user.email.',
    evidence: ["$ git commit -qm 'docs: add readme'\nexit code: 128\nstderr:\nAuthor identity unknown\n*** Please tell me who you are."],
    exampleTasks: ['tasks/git-commit-readme.test.ts > commits a new README', 'tasks/git-tag-release.test.ts > tags a release'],
    ...overrides,
  }
}

/** A completion with one text answer, in the API's shape. */
export function completion(content: string): ChatCompletion {
  return {
    id: 'chatcmpl-test',
    object: 'chat.completion',
    created: 0,
    model: 'scripted',
    choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, finish_reason: 'stop', logprobs: null }],
  }
}

/** A model that answers from a script and fails loudly on any call past its end. */
export function scriptedClient(replies: string[]): ModelClient & { requests: ChatRequest[] } {
  const queue = [...replies]
  const requests: ChatRequest[] = []
  return {
    model: 'scripted',
    requests,
    async chat(request) {
      requests.push(request)
      const next = queue.shift()
      if (next === undefined) throw new Error(`Unexpected model call #${requests.length}: the script has ${replies.length} replies.`)
      return completion(next)
    },
  }
}
