import type { TraceEvent } from '../trace/events.js'
import { assertionKind, expectedValue, normalizeAssertion, type AssertionKind } from './assertion.js'
import { errorKey, errorLine, errorTextOf } from './error-key.js'
import { commandHead, cut, normalizeCommand, normalizeError, normalizeText } from './normalize.js'
import { buildSignature, clusterKeyOf, type SignatureParts } from './signature.js'

/** How a run ended, as the trace's `trial-end` says (`none` when the trace has no end). */
export type TraceEnd = 'finish' | 'max-turns' | 'failed' | 'timeout' | 'error' | 'none'

/** The failed step a run stopped on. */
export interface FailureCause {
  tool: string
  /** The normalized command, for `shell`. */
  command: string | null
  /** Program and subcommand (`git commit`), or the tool name. */
  head: string
  errorKey: string
}

/** What one failed trial's trace shows; plain JSON, so it crosses worker threads as it is. */
export interface TraceFeatures {
  /** Normalized commands that failed, in order, without repeats (at most 5). */
  failingCommands: string[]
  /** Normalized error texts of failed steps and error events (assertions aside), without repeats (at most 5). */
  errors: string[]
  /** The last failed step after which nothing else succeeded (a failure the run did not get past). */
  cause: FailureCause | null
  /** The last three steps: tool name and normalized arguments. */
  lastSteps: string[]
  /** A command timed out. */
  toolTimedOut: boolean
  /** The whole run passed its time limit. */
  runTimedOut: boolean
  maxTurns: boolean
  /** A `[harness] read-back ... MISMATCH` line was seen. */
  mismatch: boolean
  /** A file was written and the run finished without reading it back (nor the harness checking it). */
  unverifiedWrite: boolean
  /** Times `finish` was rejected by a final check. */
  finishRejected: number
  /** Most messages sent in one model request. */
  conversationLength: number
  longConversation: boolean
  toolCalls: number
  /** No tool call but `finish` was made in a run that ended by finishing or running out of turns. */
  noAction: boolean
  /** The model's last words, for a run that made no tool call (cut to 200 characters). */
  lastMessage: string | null
  /** The failed assertion, normalized (`expected <str> to be <str>`). */
  assertion: string | null
  assertionKind: AssertionKind | null
  /** A word the assertion expected is in the instruction but in none of the agent's tool calls. */
  lostValue: boolean
  end: TraceEnd
  /** Up to three short raw lines: the failing command and its error, a MISMATCH line, the assertion. */
  evidence: string[]
  /** Stable key of the most telling features (see `buildSignature`). */
  signature: string
}

/** Options of {@link extractFeatures}. */
export interface FeatureOptions {
  /** Messages in one request from which a conversation counts as long. @default 10 */
  longConversation?: number
}

interface Step {
  id: string
  name: string
  args: unknown
  ok: boolean | null
  output: string
}

const WORK_TOOLS = new Set(['shell', 'write_file'])

/** Extracts the features of one failed trial's trace. Pure. */
export function extractFeatures(events: readonly TraceEvent[], options: FeatureOptions = {}): TraceFeatures {
  const longAt = options.longConversation ?? 10
  const steps: Step[] = []
  const byId = new Map<string, Step>()
  const errorEvents: string[] = []
  let instruction = ''
  let conversationLength = 0
  let assertionRaw: string | null = null
  let status: TraceEnd = 'none'
  let lastMessage: string | null = null
  for (const event of events) {
    switch (event.kind) {
      case 'trial-start':
        instruction = event.instruction
        break
      case 'model-request':
        conversationLength = Math.max(conversationLength, event.messages)
        break
      case 'model-response':
        if (event.content?.trim()) lastMessage = event.content
        break
      case 'tool-call': {
        const step: Step = { id: event.id, name: event.name, args: event.arguments, ok: null, output: '' }
        steps.push(step)
        byId.set(event.id, step)
        break
      }
      case 'tool-result': {
        const step = byId.get(event.id)
        if (step) {
          step.ok = event.ok
          step.output = event.output
        } else steps.push({ id: event.id, name: event.name, args: undefined, ok: event.ok, output: event.output })
        break
      }
      case 'error':
        if (event.source === 'assertion') assertionRaw = event.message
        else errorEvents.push(`${event.source}: ${normalizeError(event.message)}`)
        break
      case 'trial-end':
        status = event.status === 'finished' ? 'finish' : event.status
        break
    }
  }

  const described = steps.map(describeStep)
  const failed = steps.flatMap((step, i) => (step.ok === false && step.name !== 'finish' ? [i] : []))
  const recovered = (i: number) => steps.some((s, j) => j > i && s.ok === true && described[j] === described[i])
  const unrecovered = failed.filter((i) => !recovered(i))
  const causeAt = unrecovered.at(-1)
  const cause =
    causeAt !== undefined && !steps.some((s, j) => j > causeAt && s.ok === true && WORK_TOOLS.has(s.name))
      ? causeOf(steps[causeAt]!)
      : null

  const failingCommands = unique(failed.flatMap((i) => (steps[i]!.name === 'shell' ? [described[i]!.slice('shell: '.length)] : [])))
  const errors = unique([...unrecovered.map((i) => normalizeError(errorLine(errorTextOf(steps[i]!.output)))), ...errorEvents])
  const mismatchLine = steps.map((s) => /\[harness\] read-back of .*MISMATCH.*/.exec(s.output)?.[0]).find(Boolean)
  const assertion = assertionRaw === null ? null : normalizeAssertion(assertionRaw)
  const kind = assertion === null ? null : assertionKind(assertion)
  const longConversation = conversationLength >= longAt
  const lostValue = kind === 'value' && assertionRaw !== null && valueLost(assertionRaw, instruction, steps)
  const unverifiedWrite = status === 'finish' && hasUnverifiedWrite(steps)

  const noAction = (status === 'finish' || status === 'max-turns') && !steps.some((s) => s.name !== 'finish')
  const parts: SignatureParts = { end: status }
  if (noAction) parts.cue = 'no-tool-call'
  else if (cause) {
    parts.cmd = cause.head
    parts.err = cause.errorKey
  } else {
    if (mismatchLine) parts.cue = 'mismatch'
    else if (lostValue && longConversation) parts.cue = 'lost-value'
    else if (unverifiedWrite) parts.cue = 'unverified-write'
    else if (longConversation && kind === 'value') parts.cue = 'long'
    if (kind) parts.assert = kind
  }

  const evidence: string[] = []
  if (noAction && lastMessage) evidence.push(`model said: ${cut(oneLine(lastMessage), 160)}`)
  if (causeAt !== undefined && cause) evidence.push(causeEvidence(steps[causeAt]!))
  if (mismatchLine) evidence.push(cut(mismatchLine, 160))
  if (assertionRaw !== null) evidence.push(`assertion: ${cut(oneLine(assertionRaw), 160)}`)

  return {
    failingCommands: failingCommands.slice(0, 5),
    errors: errors.slice(0, 5),
    cause,
    lastSteps: described.slice(-3),
    toolTimedOut: steps.some((s) => s.name === 'shell' && /^\s*timed out after/.test(s.output)),
    runTimedOut: status === 'timeout',
    maxTurns: status === 'max-turns',
    mismatch: mismatchLine !== undefined,
    unverifiedWrite,
    finishRejected: steps.filter((s) => s.name === 'finish' && s.output.startsWith('Finish rejected')).length,
    conversationLength,
    longConversation,
    toolCalls: steps.length,
    noAction,
    lastMessage: noAction && lastMessage ? cut(oneLine(lastMessage), 200) : null,
    assertion,
    assertionKind: kind,
    lostValue,
    end: status,
    evidence: evidence.slice(0, 3),
    signature: buildSignature(parts),
  }
}

/**
 * The key under which a failed trial's weakness is filed (`Weakness.signature`, a key of `bySignature`):
 * deterministic and model-free, so validation failures can be classified without their traces going anywhere.
 */
export function signatureOfTrace(events: readonly TraceEvent[], options: FeatureOptions = {}): string {
  return clusterKeyOf(extractFeatures(events, options).signature)
}

function describeStep(step: Step): string {
  const args = (step.args && typeof step.args === 'object' ? step.args : {}) as Record<string, unknown>
  if (step.name === 'shell' && typeof args.command === 'string') return `shell: ${normalizeCommand(args.command)}`
  if (typeof args.path === 'string') return `${step.name}: ${normalizeText(args.path)}`
  if (typeof step.args === 'string') return `${step.name}: <invalid arguments>`
  return step.name
}

function causeOf(step: Step): FailureCause {
  const text = errorTextOf(step.output)
  const args = (step.args && typeof step.args === 'object' ? step.args : {}) as Record<string, unknown>
  const command = step.name === 'shell' && typeof args.command === 'string' ? args.command : null
  return {
    tool: step.name,
    command: command === null ? null : normalizeCommand(command),
    head: command === null ? step.name : commandHead(command, text),
    errorKey: errorKey(text),
  }
}

function causeEvidence(step: Step): string {
  const args = (step.args && typeof step.args === 'object' ? step.args : {}) as Record<string, unknown>
  const what =
    step.name === 'shell' && typeof args.command === 'string'
      ? `$ ${args.command}`
      : `${step.name}${typeof args.path === 'string' ? ` ${args.path}` : ''}`
  return `${cut(oneLine(what), 100)} -> ${cut(oneLine(errorLine(errorTextOf(step.output))), 110)}`
}

function hasUnverifiedWrite(steps: readonly Step[]): boolean {
  const pending = new Set<string>()
  for (const step of steps) {
    const args = (step.args && typeof step.args === 'object' ? step.args : {}) as Record<string, unknown>
    if (step.name === 'write_file' && step.ok && typeof args.path === 'string') {
      const path = cleanPath(args.path)
      if (/\[harness\] read-back of .*: matches/.test(step.output)) pending.delete(path)
      else pending.add(path)
    } else if (step.name === 'read_file' && step.ok && typeof args.path === 'string') {
      pending.delete(cleanPath(args.path))
    } else if (step.name === 'shell' && typeof args.command === 'string') {
      for (const path of pending) if (args.command.includes(path)) pending.delete(path)
    }
  }
  return pending.size > 0
}

function valueLost(assertion: string, instruction: string, steps: readonly Step[]): boolean {
  const expected = expectedValue(assertion)
  if (!expected) return false
  const said = steps.map((s) => (typeof s.args === 'string' ? s.args : JSON.stringify(s.args ?? ''))).join('\n')
  const words = expected.replace(/\\[nrt]/g, ' ').match(/[A-Za-z0-9][\w.@:-]{3,}/g) ?? []
  return words.some((word) => instruction.includes(word) && !said.includes(word))
}

const cleanPath = (path: string): string => path.replace(/^(\.\/)+/, '').replace(/\/{2,}/g, '/')
const oneLine = (text: string): string => text.replace(/\s*\n\s*/g, ' ⏎ ').trim()
const unique = (items: string[]): string[] => [...new Set(items.filter(Boolean))]
