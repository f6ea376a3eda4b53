import { fork, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { ConfigurationError, SandboxError } from '../errors.js'
import { launch, type LaunchOutcome, type LaunchSpec } from './launch.js'

/**
 * Where commands are started from:
 * - `helper`: a small long-lived helper process per runner process (a vitest worker) starts them. Starting a process
 *   copies the starter's page tables and blocks its event loop meanwhile; a vitest worker running many agents holds
 *   hundreds of megabytes, the helper a few dozen, so every command starts several times cheaper and the agents'
 *   event loop never stalls on it.
 * - `inline`: the runner's own process starts them.
 */
export type Spawner = 'helper' | 'inline'

/** Throws a configuration error naming `field` unless `value` is a {@link Spawner}. */
export function validateSpawner(value: unknown, field = 'spawner'): asserts value is Spawner {
  if (value !== 'helper' && value !== 'inline') {
    throw new ConfigurationError('CONFIG_INVALID', `Expected \`${field}\` to be helper or inline, got \`${String(value)}\`.`, { field })
  }
}

/** A request to the helper process. */
export interface HelperRequest {
  id: number
  spec: LaunchSpec
}

/** The helper's answer to one request. */
export type HelperResponse = { id: number; outcome: LaunchOutcome } | { id: number; error: string }

interface Pending {
  resolve(outcome: LaunchOutcome): void
  reject(error: Error): void
}

interface Helper {
  child: ChildProcess
  pending: Map<number, Pending>
  nextId: number
}

/** Shared by every copy of this module in the process (vitest may load it once per test file). */
const SLOT = Symbol.for('self-harness.command-helper.v1')
type Slot = { [SLOT]?: Helper }

/**
 * The compiled helper module, or undefined when there is none. Built code finds it beside this file; run from the
 * TypeScript sources (as this package's tests are), the one compiled by `npm run build` under `dist/` is used, and
 * without a build commands start inline.
 */
export function helperFile(): string | undefined {
  const candidates = [new URL('./spawner-main.js', import.meta.url)]
  if (import.meta.url.endsWith('.ts')) candidates.push(new URL('../../dist/src/workspace/spawner-main.js', import.meta.url))
  for (const url of candidates) {
    const path = fileURLToPath(url)
    if (existsSync(path)) return path
  }
  return undefined
}

/** Starts `spec` from the chosen place and waits for it (see {@link launch}). */
export function launchFrom(spawner: Spawner, spec: LaunchSpec): Promise<LaunchOutcome> {
  const file = spawner === 'helper' ? helperFile() : undefined
  if (!file) return launch(spec)
  const helper = helperProcess(file)
  const id = helper.nextId++
  return new Promise<LaunchOutcome>((resolve, reject) => {
    helper.pending.set(id, { resolve, reject })
    helper.child.channel?.ref()
    helper.child.send({ id, spec } satisfies HelperRequest, (error) => {
      if (error) settle(helper, id, new SandboxError(`Could not hand a command to the helper process: ${error.message}.`, { cause: error }))
    })
  })
}

/** Stops this process's helper (it also stops by itself when this process ends). */
export function stopHelper(): void {
  const helper = (globalThis as Slot)[SLOT]
  if (!helper) return
  ;(globalThis as Slot)[SLOT] = undefined
  helper.child.kill('SIGKILL')
}

/** The pid of this process's helper, when one runs. */
export function helperPid(): number | undefined {
  return (globalThis as Slot)[SLOT]?.child.pid
}

function helperProcess(file: string): Helper {
  const slot = globalThis as Slot
  const running = slot[SLOT]
  if (running) return running
  const child = fork(file, [], {
    execArgv: [],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const helper: Helper = { child, pending: new Map(), nextId: 1 }
  slot[SLOT] = helper
  const fail = (error: Error): void => {
    if (slot[SLOT] === helper) slot[SLOT] = undefined
    for (const id of [...helper.pending.keys()]) settle(helper, id, error)
  }
  child.on('message', (message: HelperResponse) => {
    if ('outcome' in message) settle(helper, message.id, message.outcome)
    else settle(helper, message.id, new SandboxError(`The command helper process failed: ${message.error}`))
  })
  child.once('error', (error) => fail(new SandboxError(`The command helper process failed: ${error.message}.`, { cause: error })))
  child.once('exit', (code, signal) =>
    fail(new SandboxError(`The command helper process ended (${signal ?? `exit code ${code}`}) while commands ran.`)),
  )
  child.unref()
  child.channel?.unref()
  return helper
}

function settle(helper: Helper, id: number, result: LaunchOutcome | Error): void {
  const pending = helper.pending.get(id)
  if (!pending) return
  helper.pending.delete(id)
  if (helper.pending.size === 0) helper.child.channel?.unref()
  if (result instanceof Error) pending.reject(result)
  else pending.resolve(result)
}
