import { execa } from 'execa'
import type { Readable } from 'node:stream'
import { createOutputSink } from './output-sink.js'
import { killGroup, trackGroup, untrackGroup, waitForExit } from './process-group.js'

/** One process to start, fully decided: what {@link launch} needs and nothing it must look up. */
export interface LaunchSpec {
  file: string
  args: string[]
  cwd: string
  /** The whole environment (nothing is inherited). */
  env: Record<string, string>
  /** Text written to stdin. */
  input: string
  /** Run as this user and group (the launcher must be allowed to switch). */
  uid?: number
  gid?: number
  timeoutMs: number
  /** Bytes of stdout and of stderr kept (head and tail). */
  maxOutputBytes: number
  /** Bytes of stdout plus stderr after which the process group is killed. */
  maxTotalOutputBytes: number
  /** Open this descriptor as a pipe and return what is written to it (bubblewrap's JSON status). */
  statusFd?: number
}

/** What the process did. */
export interface LaunchOutcome {
  /** Exit code, `null` when killed by a signal. */
  code: number | null
  /** The process could not be started: the system error. */
  startError?: Error
  stdout: string
  stderr: string
  /** Text written on the status descriptor. */
  status: string
  timedOut: boolean
  truncated: boolean
  outputLimited: boolean
}

/** Grace for output still in the pipes after the process ended (descendants that escaped the group). */
const DRAIN_MS = 200

/**
 * Starts `spec` in its own process group and waits for it; the whole group is killed on timeout, on runaway output
 * and when the process ends (background jobs go with it). Never throws for the process failing.
 */
export async function launch(spec: LaunchSpec): Promise<LaunchOutcome> {
  const child = execa(spec.file, spec.args, {
    cwd: spec.cwd,
    env: spec.env,
    extendEnv: false,
    reject: false,
    detached: true,
    buffer: false,
    encoding: 'buffer',
    input: spec.input,
    stdio: spec.statusFd === undefined ? ['pipe', 'pipe', 'pipe'] : ['pipe', 'pipe', 'pipe', 'pipe'],
    ...(spec.uid !== undefined && spec.gid !== undefined ? { uid: spec.uid, gid: spec.gid } : {}),
  })
  const exited = new Promise<{ code: number | null; error?: Error }>((resolve) => {
    child.once('exit', (code) => resolve({ code }))
    child.once('error', (error) => resolve({ code: null, error }))
  })
  const pgid = child.pid
  if (pgid) trackGroup(pgid)

  let timedOut = false
  let outputLimited = false
  const stdout = createOutputSink(spec.maxOutputBytes)
  const stderr = createOutputSink(spec.maxOutputBytes)
  const onData = (sink: typeof stdout) => (chunk: Buffer) => {
    sink.push(chunk)
    if (!outputLimited && stdout.totalBytes + stderr.totalBytes > spec.maxTotalOutputBytes) {
      outputLimited = true
      killGroup(pgid)
    }
  }
  child.stdout?.on('data', onData(stdout))
  child.stderr?.on('data', onData(stderr))
  let status = ''
  const statusStream = spec.statusFd === undefined ? undefined : (child.stdio[spec.statusFd] as Readable | undefined)
  statusStream?.on('data', (chunk: Buffer) => (status += chunk.toString('utf8')))

  const timer = setTimeout(() => {
    timedOut = true
    killGroup(pgid)
  }, spec.timeoutMs)
  const outcome = await exited
  clearTimeout(timer)
  killGroup(pgid) // leftovers in the group (background jobs) end with the command
  await drain([child.stdout, child.stderr, statusStream])
  await child
  if (pgid) untrackGroup(pgid)
  // bubblewrap's pid 1 finishes exiting only once every process of its namespace is gone, and bubblewrap itself
  // may exit before that: waiting for it means no background job of the command outlives the call (usually one
  // read of /proc, as it is gone already).
  const sandboxInit = Number(/"child-pid":\s*(\d+)/.exec(status)?.[1] ?? 0)
  if (sandboxInit) await waitForExit(sandboxInit, 2000)
  return {
    code: outcome.code,
    ...(outcome.error ? { startError: outcome.error } : {}),
    stdout: stdout.text(),
    stderr: stderr.text(),
    status,
    timedOut,
    truncated: stdout.truncated || stderr.truncated,
    outputLimited,
  }
}

async function drain(streams: Array<Readable | null | undefined>): Promise<void> {
  const open = streams.filter((stream): stream is Readable => !!stream && !stream.readableEnded && !stream.destroyed)
  if (open.length === 0) return
  let timer: NodeJS.Timeout | undefined
  const ended = Promise.all(
    open.map((stream) => new Promise<void>((resolve) => stream.once('close', resolve).once('end', resolve))),
  )
  await Promise.race([ended, new Promise<void>((resolve) => (timer = setTimeout(resolve, DRAIN_MS)))])
  clearTimeout(timer)
  for (const stream of open) stream.destroy()
}
