import type { TraceEvent } from '../../trace/events.js'

/** One step of a trial: a tool call, what came back, and what happened around it. */
export interface TraceStep {
  /** 1-based position among the trial's tool calls. */
  n: number
  /** Milliseconds since the trial started. */
  t: number
  tool: string
  /** The call's main argument (the command, the path) or its JSON arguments, clipped. */
  argument: string
  /** Whether the tool succeeded; absent when no result was recorded. */
  ok?: boolean
  /** The tool's output, clipped. */
  output?: string
  /** Model text before the call, harness steps and errors after it. */
  notes: string[]
}

/** One row of two aligned traces: a step on either side or both. */
export interface AlignedRow {
  baseline?: TraceStep
  candidate?: TraceStep
  /** Both sides made the same call with the same result. */
  same: boolean
}

/** Two trials' steps side by side, with the first step where they part. */
export interface AlignedTraces {
  rows: AlignedRow[]
  /** Index in `rows` of the first row that differs; -1 when every step matches. */
  divergeAt: number
  /** Why the first differing row differs. */
  divergence?: string
  /** How each trial ended: status, and errors after the last step (a failed assertion). */
  ends: { baseline: string[]; candidate: string[] }
}

const ARG_CHARS = 240
const OUTPUT_CHARS = 400
const MAX_STEPS = 300

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text)

/** The call's main argument: `command` or `path` when present, else the arguments as JSON. */
export function mainArgument(args: unknown): string {
  if (args && typeof args === 'object' && !Array.isArray(args)) {
    const record = args as Record<string, unknown>
    for (const key of ['command', 'path']) if (typeof record[key] === 'string') return record[key] as string
  }
  return typeof args === 'string' ? args : (JSON.stringify(args) ?? '')
}

/** A trace as its steps (one per tool call, at most 300) and how it ended. */
export function traceSteps(events: readonly TraceEvent[]): { steps: TraceStep[]; end: string[] } {
  const steps: TraceStep[] = []
  const end: string[] = []
  let status: string | undefined
  let pending: string[] = [] // model text seen before the next call
  let ended = false
  for (const event of events) {
    const current = steps.at(-1)
    switch (event.kind) {
      case 'model-response':
        if (event.content?.trim()) pending.push(`model: ${clip(event.content.trim(), ARG_CHARS)}`)
        break
      case 'tool-call':
        if (steps.length >= MAX_STEPS) break
        steps.push({ n: steps.length + 1, t: event.t, tool: event.name, argument: clip(mainArgument(event.arguments), ARG_CHARS), notes: pending })
        pending = []
        break
      case 'tool-result':
        if (current && current.ok === undefined) {
          current.ok = event.ok
          current.output = clip(event.output, OUTPUT_CHARS)
        }
        break
      case 'harness-step':
        ;(ended ? end : current ? current.notes : pending).push(`${event.step}${event.ok ? '' : ' (failed)'}: ${clip(event.detail, ARG_CHARS)}`)
        break
      case 'error':
        ;(ended ? end : current ? current.notes : pending).push(`${event.source} error ${event.code}: ${clip(event.message, ARG_CHARS)}`)
        break
      case 'trial-end':
        ended = true
        status = `${event.status} after ${event.turns} turn(s), ${event.toolCalls} tool call(s), ${Math.round(event.durationMs)} ms`
        break
      default:
        break
    }
  }
  // Model text after the last call (a final answer without a tool) belongs to the end.
  return { steps, end: [...(status ? [status] : []), ...pending, ...end] }
}

const signature = (step: TraceStep) => `${step.tool}\u0000${step.argument.replace(/\s+/g, ' ').trim()}`
const sameStep = (a: TraceStep, b: TraceStep) => signature(a) === signature(b) && a.ok === b.ok

/**
 * Aligns two trials of a task by step: the common start pairs step for step, the rest is aligned on the longest
 * common run of identical calls, so a detour on one side shows as steps the other side lacks.
 */
export function alignTraces(baseline: readonly TraceEvent[], candidate: readonly TraceEvent[]): AlignedTraces {
  const a = traceSteps(baseline)
  const b = traceSteps(candidate)
  const rows: AlignedRow[] = []
  let prefix = 0
  while (prefix < a.steps.length && prefix < b.steps.length && sameStep(a.steps[prefix]!, b.steps[prefix]!)) {
    rows.push({ baseline: a.steps[prefix]!, candidate: b.steps[prefix]!, same: true })
    prefix++
  }
  const restA = a.steps.slice(prefix)
  const restB = b.steps.slice(prefix)
  rows.push(...alignRest(restA, restB))
  const divergeAt = rows.findIndex((row) => !row.same)
  const ends = { baseline: a.end, candidate: b.end }
  if (divergeAt < 0) return { rows, divergeAt, ends }
  return { rows, divergeAt, divergence: whyDifferent(rows[divergeAt]!), ends }
}

function whyDifferent(row: AlignedRow): string {
  const { baseline: a, candidate: b } = row
  if (a && b) return signature(a) === signature(b) ? 'same call, different result' : 'different call'
  return a ? 'the candidate stopped or skipped this step' : 'the candidate took an extra step'
}

/** Longest-common-subsequence alignment on call signatures; unmatched steps pair up side by side. */
function alignRest(a: TraceStep[], b: TraceStep[]): AlignedRow[] {
  const n = a.length
  const m = b.length
  const table: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0))
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      table[i]![j] = signature(a[i]!) === signature(b[j]!) ? table[i + 1]![j + 1]! + 1 : Math.max(table[i + 1]![j]!, table[i]![j + 1]!)
    }
  }
  const rows: AlignedRow[] = []
  let onlyA: TraceStep[] = []
  let onlyB: TraceStep[] = []
  const flush = () => {
    // Unmatched runs on both sides sit side by side: they are the two sides' different choices.
    for (let k = 0; k < Math.max(onlyA.length, onlyB.length); k++) {
      const row: AlignedRow = { same: false }
      if (onlyA[k]) row.baseline = onlyA[k]
      if (onlyB[k]) row.candidate = onlyB[k]
      rows.push(row)
    }
    onlyA = []
    onlyB = []
  }
  let i = 0
  let j = 0
  while (i < n && j < m) {
    if (signature(a[i]!) === signature(b[j]!)) {
      flush()
      rows.push({ baseline: a[i]!, candidate: b[j]!, same: a[i]!.ok === b[j]!.ok })
      i++
      j++
    } else if (table[i + 1]![j]! >= table[i]![j + 1]!) onlyA.push(a[i++]!)
    else onlyB.push(b[j++]!)
  }
  while (i < n) onlyA.push(a[i++]!)
  while (j < m) onlyB.push(b[j++]!)
  flush()
  return rows
}
