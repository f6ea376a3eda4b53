import { patternMatches } from '../harness/pattern.js'
import type { HarnessSpec, ToolName } from '../harness/spec.js'
import type { TraceRecorder } from '../trace/writer.js'
import type { Workspace } from '../workspace/workspace.js'
import type { RunBudget } from './budget.js'
import { callTool, type ToolOutcome } from './tools.js'

/** The text a wrapper condition is tested on: the command for `shell`, the path for file tools. */
function subjectOf(name: ToolName, args: Record<string, unknown>): string {
  const value = name === 'shell' ? args.command : args.path
  return typeof value === 'string' ? value : ''
}

/** Tested in linear time (RE2 semantics): no pattern, whatever the model or an edit put there, can block the run. */
const matches = patternMatches

/** No limit beyond the harness's own, for callers without a run budget. */
const UNBOUNDED: Pick<RunBudget, 'commandMs' | 'check'> = { commandMs: (ms) => ms, check: () => {} }

/**
 * Runs a tool call the way the harness wraps it: before steps, the call with retries, after checks. Every command
 * gets the harness's time limit scaled and clamped to the run's time left, and none starts once it is gone.
 */
export async function runWrappedTool(
  name: Exclude<ToolName, 'finish'>,
  args: Record<string, unknown>,
  spec: HarnessSpec,
  workspace: Workspace,
  trace: TraceRecorder,
  budget: Pick<RunBudget, 'commandMs' | 'check'> = UNBOUNDED,
): Promise<ToolOutcome> {
  const tool = spec.tools[name]
  const subject = subjectOf(name, args)
  const notes: string[] = []

  for (const step of tool.before) {
    if (!matches(step.match, subject)) continue
    budget.check()
    const result = await workspace.exec(step.run, { timeoutMs: budget.commandMs(spec.limits.commandTimeoutMs) })
    const ok = result.exitCode === 0
    trace.record({ kind: 'harness-step', step: 'before', detail: step.run, ok })
    notes.push(`[harness] ran before the call: ${step.run} (exit ${result.exitCode ?? 'timeout'})`)
  }

  const timeoutMs = tool.timeoutMs ?? spec.limits.commandTimeoutMs
  budget.check()
  let outcome = await callTool(name, args, workspace, budget.commandMs(timeoutMs))
  for (let attempt = 1; !outcome.ok && attempt <= tool.retries; attempt++) {
    budget.check()
    trace.record({ kind: 'harness-step', step: 'retry', detail: `attempt ${attempt} of ${tool.retries + 1} failed`, ok: false })
    notes.push(`[harness] attempt ${attempt} of ${tool.retries + 1} failed; retried`)
    outcome = await callTool(name, args, workspace, budget.commandMs(timeoutMs))
  }

  for (const check of tool.after) {
    budget.check()
    const note = await runAfterCheck(check, name, args, subject, outcome, spec, workspace, budget)
    if (note === undefined) continue
    trace.record({ kind: 'harness-step', step: 'after', detail: note, ok: !/MISMATCH|failed/.test(note) })
    notes.push(note)
  }

  return notes.length ? { output: `${outcome.output}\n${notes.join('\n')}`, ok: outcome.ok } : outcome
}

async function runAfterCheck(
  check: HarnessSpec['tools']['shell']['after'][number],
  name: ToolName,
  args: Record<string, unknown>,
  subject: string,
  outcome: ToolOutcome,
  spec: HarnessSpec,
  workspace: Workspace,
  budget: Pick<RunBudget, 'commandMs'>,
): Promise<string | undefined> {
  switch (check.kind) {
    case 'read-back': {
      if (name !== 'write_file' || !outcome.ok) return undefined
      let actual: string
      try {
        actual = await workspace.read(subject)
      } catch (error) {
        return `[harness] read-back of ${subject}: MISMATCH, the file cannot be read: ${(error as Error).message}`
      }
      if (actual === args.content) return `[harness] read-back of ${subject}: matches what was written`
      return `[harness] read-back of ${subject}: MISMATCH, the file holds ${Buffer.byteLength(actual)} bytes: ${actual.slice(0, 200)}`
    }
    case 'exit-code': {
      if (name !== 'shell' || outcome.ok) return undefined
      const code = /^exit code: (\d+)/.exec(outcome.output)?.[1] ?? 'none (killed)'
      return `[harness] the command failed with exit code ${code}; handle the failure before going on`
    }
    case 'run': {
      if (!matches(check.match, subject)) return undefined
      const result = await workspace.exec(check.run, { timeoutMs: budget.commandMs(spec.limits.commandTimeoutMs) })
      const output = `${result.stdout}${result.stderr}`.trim().slice(0, 1_000)
      return `[harness] check ${check.run}: exit ${result.exitCode ?? 'timeout'}${output ? `\n${output}` : ''}`
    }
  }
}

/** Runs the harness's final checks when the model calls `finish`; returns the rejection text, if any. */
export async function runFinalChecks(
  spec: HarnessSpec,
  workspace: Workspace,
  trace: TraceRecorder,
  state: { reflected: boolean },
  budget: Pick<RunBudget, 'commandMs' | 'check'> = UNBOUNDED,
): Promise<string | undefined> {
  for (const check of spec.finalChecks) {
    budget.check()
    if (check.kind === 'reflect') {
      if (state.reflected) continue
      state.reflected = true
      trace.record({ kind: 'harness-step', step: 'final-check', detail: 'reflect', ok: false })
      return check.prompt
    }
    const result = await workspace.exec(check.run, { timeoutMs: budget.commandMs(spec.limits.commandTimeoutMs) })
    const ok = result.exitCode === 0
    trace.record({ kind: 'harness-step', step: 'final-check', detail: check.run, ok })
    if (!ok) {
      const output = `${result.stdout}${result.stderr}`.trim().slice(0, 1_000)
      return `${check.message ?? 'a final check failed'}: \`${check.run}\` exited ${result.exitCode ?? 'on timeout'}${output ? `\n${output}` : ''}`
    }
  }
  return undefined
}
