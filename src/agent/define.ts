import type { z } from 'zod'
import { ConfigurationError } from '../errors.js'
import { resolveEditable, type EditableField, type EditableFieldInput } from '../harness/editable.js'
import { dataHarnessFormat, type HarnessFormat } from '../harness/format.js'
import type { Tokens } from '../trace/events.js'
import type { Workspace } from '../workspace/workspace.js'
import type { AgentStatus } from './loop.js'
import type { ModelClient } from './model.js'
import type { AgentTrace } from './recorder.js'

/** Marks a value made by {@link defineAgent}; global, so two copies of the package recognise each other's agents. */
const AGENT_BRAND = Symbol.for('self-harness.agent')

/** The model endpoint of the run, for an agent that brings its own client (an SDK): the same endpoint the miner and proposer use. */
export interface AgentModel {
  /** The project's client: validated answers, retries within the run's time limit, the response cache. */
  client: ModelClient
  /** The model name to send. */
  name: string
  /** Base URL of the OpenAI-compatible endpoint (undefined: the SDK's default). */
  baseURL: string | undefined
  apiKey: string
  /** Headers to send with every request of this trial (`x-self-harness-trial`, which seeds the simulator's luck). */
  headers: Record<string, string>
}

/** What an agent's `run` gets for one trial. */
export interface AgentContext<H = unknown> {
  /** The harness data in force, validated by the agent's `harnessSchema` (defaults filled). */
  harness: H
  /** The harness version's name and content-hash id. */
  version: { name: string; id: string }
  /** The trial's fresh, sandboxed workspace: `exec`, `read`, `write`, `exists`, `path`. */
  workspace: Workspace
  model: AgentModel
  /** Aborted when the run's time limit passes; pass it on to every wait (the SDK's `signal`, `fetch`). */
  signal: AbortSignal
  /** Records model calls, tool calls and steps as the project's trace events. */
  trace: AgentTrace
  task: { id: string; trial: number }
  /** The run's time limit (already scaled), the time scale for command limits, and the deadline (epoch ms). */
  settings: { runTimeoutMs: number; timeScale: number; deadline: number }
}

/**
 * How an agent's run ended, as it reports it. Everything is optional: the status defaults to `finished`, and the
 * counts to what the trace recorder saw. A run that throws is recorded as `error` (or `timeout` once the time limit
 * passed): a failing agent is data, not an exception.
 */
export interface AgentOutcome {
  /** @default 'finished' */
  status?: AgentStatus
  /** What the agent said it did. */
  summary?: string
  /** Why the run ended, for `failed`, `timeout` and `error`. */
  error?: { code: string; message: string }
  turns?: number
  toolCalls?: number
  tokens?: Tokens
}

/** An agent the runner can run: the contract both the built-in loop and a team's own agent implement. */
export interface AgentDefinition<H = unknown> {
  readonly [AGENT_BRAND]: true
  /** A short name, shown in messages. */
  readonly name: string
  /** Zod schema of the agent's harness data (`harnesses/<name>.json`). */
  readonly harnessSchema: z.ZodType<H>
  /** JSON pointers into the harness data that the proposer may change, with their modes. */
  readonly editable: readonly EditableField[]
  /** How the harness data is parsed, hashed, patched and saved. */
  readonly format: HarnessFormat<H>
  /** Runs the agent on one instruction; resolves with how it ended. */
  run(instruction: string, context: AgentContext<H>): Promise<AgentOutcome | void>
}

/** What a team writes: its harness schema, the editable surface, and the run function. */
export interface AgentInput<S extends z.ZodType> {
  /** @default 'custom agent' */
  name?: string
  harnessSchema: S
  /**
   * JSON pointers (`*` matches any one key or index) the proposer may change, each a string or
   * `{ path, mode?: 'edit' | 'never-remove' | 'grow-only', min?, max? }`.
   */
  editable: readonly EditableFieldInput[]
  run(instruction: string, context: AgentContext<z.output<S>>): Promise<AgentOutcome | void>
}

/**
 * Declares an agent for the self-harness runner: the default export of the module named by the plugin's `agent`
 * option. Its harness files are validated by `harnessSchema` and identified by content hash; `editable` is the only
 * part of them the proposer may change. Throws a ConfigurationError naming the field when the definition is wrong.
 */
export function defineAgent<S extends z.ZodType>(input: AgentInput<S>): AgentDefinition<z.output<S>> {
  if (!input || typeof input !== 'object') throw invalid('(root)', 'an object { harnessSchema, editable, run }', input)
  const schema = input.harnessSchema as unknown
  if (!schema || typeof (schema as { safeParse?: unknown }).safeParse !== 'function') throw invalid('harnessSchema', 'a zod schema', schema)
  if (typeof input.run !== 'function') throw invalid('run', 'a function (instruction, context) => Promise<outcome>', input.run)
  if (input.name !== undefined && (typeof input.name !== 'string' || !input.name)) throw invalid('name', 'a non-empty string', input.name)
  const editable = resolveEditable(input.editable)
  return brand({
    name: input.name ?? 'custom agent',
    harnessSchema: input.harnessSchema as z.ZodType<z.output<S>>,
    editable,
    format: dataHarnessFormat(input.harnessSchema) as HarnessFormat<z.output<S>>,
    run: input.run,
  })
}

/** Whether a value is an agent made by {@link defineAgent} (or the built-in one). */
export function isAgentDefinition(value: unknown): value is AgentDefinition<unknown> {
  return Boolean(value && typeof value === 'object' && (value as Record<symbol, unknown>)[AGENT_BRAND] === true)
}

/** The agent a loaded module exports by default; refused, naming the file, when it is not a `defineAgent` result. */
export function agentOfModule(loaded: unknown, file: string): AgentDefinition<unknown> {
  const agent = loaded && typeof loaded === 'object' ? (loaded as { default?: unknown }).default : undefined
  if (!isAgentDefinition(agent)) {
    const got = agent === undefined ? 'no default export' : `a default export of type ${typeof agent}`
    throw new ConfigurationError('CONFIG_INVALID', `Expected the default export of the agent module ${file} to be an agent made by defineAgent({ harnessSchema, editable, run }) from self-harness, got ${got}.`, { file, field: 'agent' })
  }
  return agent
}

/** Stamps a definition with the brand; for the project's own agents. */
export function brand<H>(definition: Omit<AgentDefinition<H>, typeof AGENT_BRAND>): AgentDefinition<H> {
  return Object.freeze({ ...definition, [AGENT_BRAND]: true as const })
}

function invalid(field: string, expected: string, got: unknown): ConfigurationError {
  const shown = typeof got === 'function' ? 'a function' : got === undefined ? 'nothing' : typeof got === 'object' ? 'an object' : `\`${String(got)}\``
  return new ConfigurationError('CONFIG_INVALID', `Invalid agent definition: expected \`${field}\` to be ${expected}, got ${shown}.`, { field })
}
