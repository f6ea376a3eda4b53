import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { TraceEvent } from '../../src/trace/events.js'

/** One agent step in a crafted trace. */
export type StepSpec =
  | { shell: string; exit?: number; stdout?: string; stderr?: string; timedOut?: boolean; harness?: string }
  | { write: string; content?: string; harness?: string }
  | { read: string; content?: string; error?: string }
  | { finish: string; rejected?: string }

/** How a crafted trace ends. */
export interface EndSpec {
  status?: 'finished' | 'max-turns' | 'timeout' | 'error'
  /** The assertion message the runner appends after `trial-end`. */
  assertion?: string
  /** Messages sent before the first step (a planning turn adds some). @default 2 */
  startMessages?: number
}

/** Builds a trace as the agent loop and the runner write it: one model request and response per step. */
export function craftTrace(taskId: string, instruction: string, steps: StepSpec[], end: EndSpec = {}): TraceEvent[] {
  const events: TraceEvent[] = []
  let t = 0
  const tick = () => (t += 5)
  const zero = { prompt: 10, completion: 5 }
  events.push({ t: tick(), kind: 'trial-start', taskId, trial: 0, harnessId: 'h-test', model: 'sim-test', instruction })
  let messages = end.startMessages ?? 2
  steps.forEach((step, i) => {
    const turn = i + 1
    const id = `call_${turn}`
    const [name, args, ok, output] = stepParts(step)
    events.push({ t: tick(), kind: 'model-request', turn, messages })
    events.push({ t: tick(), kind: 'model-response', turn, durationMs: 3, content: null, toolCalls: [{ id, name, arguments: JSON.stringify(args) }], tokens: zero })
    events.push({ t: tick(), kind: 'tool-call', turn, id, name, arguments: args })
    events.push({ t: tick(), kind: 'tool-result', turn, id, name, ok, durationMs: 2, output, truncated: false })
    messages += 2
  })
  events.push({ t: tick(), kind: 'trial-end', status: end.status ?? 'finished', turns: steps.length, toolCalls: steps.length, tokens: zero, durationMs: t })
  if (end.assertion) events.push({ t: tick(), kind: 'error', source: 'assertion', code: 'ASSERTION', message: end.assertion })
  return events
}

function stepParts(step: StepSpec): [string, Record<string, unknown>, boolean, string] {
  if ('shell' in step) {
    const exit = step.exit ?? 0
    let output = step.timedOut ? 'timed out after 3000 ms; the command was killed' : `exit code: ${exit}`
    if (step.stdout) output += `\nstdout:\n${step.stdout}`
    if (step.stderr) output += `\nstderr:\n${step.stderr}`
    if (step.harness) output += `\n${step.harness}`
    return ['shell', { command: step.shell }, !step.timedOut && exit === 0, output]
  }
  if ('write' in step) {
    const content = step.content ?? 'x\n'
    const output = `wrote ${Buffer.byteLength(content)} bytes to ${step.write}${step.harness ? `\n${step.harness}` : ''}`
    return ['write_file', { path: step.write, content }, true, output]
  }
  if ('read' in step) return ['read_file', { path: step.read }, !step.error, step.error ? `error: ${step.error}` : (step.content ?? '')]
  return ['finish', { summary: step.finish }, !step.rejected, step.rejected ? `Finish rejected: ${step.rejected}` : 'finished']
}

/** Writes events as a JSONL trace file (with extra raw lines appended when given) and returns its path. */
export function writeTrace(dir: string, name: string, events: TraceEvent[], extraLines: string[] = []): string {
  mkdirSync(dir, { recursive: true })
  const file = join(dir, `${name}.jsonl`)
  writeFileSync(file, [...events.map((e) => JSON.stringify(e)), ...extraLines].join('\n') + '\n')
  return file
}

/** The stderr git prints when no identity is configured. */
export const GIT_IDENTITY_ERROR = `Author identity unknown

*** Please tell me who you are.

Run

  git config --global user.email "you@example.com"
  git config --global user.name "Your Name"

to set your account's default identity.
Omit --global to set the identity only in this repository.

fatal: unable to auto-detect email address (got 'nobody@sandbox.(none)')`

/** A task failing on `git commit` without an identity, then giving up. */
export function gitIdentityFailure(taskId: string, file = 'README.md', message = 'docs: add readme'): TraceEvent[] {
  return craftTrace(taskId, `Commit ${file} with the message "${message}".`, [
    { write: file, content: '# Inventory\n' },
    { shell: `git add ${file} && git commit -q -m '${message}'`, exit: 128, stderr: GIT_IDENTITY_ERROR },
    { finish: `Stopped after I tried to run git commit: it failed with exit code 128. The task is not complete.` },
  ])
}

/** A task whose script times out, and the agent gives up. */
export function timeoutFailure(taskId: string, script = './build.sh'): TraceEvent[] {
  return craftTrace(taskId, `Run ${script} to build the release.`, [
    { shell: script, timedOut: true },
    { finish: `Stopped after I tried to run ${script}: it timed out. The task is not complete.` },
  ])
}

/** A task where the agent writes a file and finishes without reading it back; the assertion fails. */
export function unverifiedWriteFailure(taskId: string, path = 'config/app.ini'): TraceEvent[] {
  return craftTrace(
    taskId,
    `Create ${path} with a [server] section.`,
    [{ write: path, content: '[server]\nport = 80\n' }, { finish: 'Done: wrote 1 file; the task is complete.' }],
    { assertion: `expected '[server]\\nport = 80\\n' to be '[server]\\nport = 80\\nhost = 0.0.0.0\\n' // Object.is equality` },
  )
}
