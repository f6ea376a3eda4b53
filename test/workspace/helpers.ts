import { randomBytes } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { resolveSandbox } from '../../src/workspace/sandbox.js'

/** A word unlikely to appear anywhere else, to find a test's processes and files. */
export function token(): string {
  return `tok${randomBytes(6).toString('hex')}`
}

/** Pids of live processes whose command line contains `marker`. */
export function processesWith(marker: string): number[] {
  const pids: number[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(marker)) pids.push(Number(name))
    } catch {
      // gone already
    }
  }
  return pids
}

/** Kills processes a test left behind on purpose (documented escapes of the fallback). */
export function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // gone already
    }
  }
}

/** A TCP listener on 127.0.0.1 that counts connections. */
export async function listen(): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  let count = 0
  const server: Server = createServer((socket) => {
    count++
    socket.end('hello\n')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (!address || typeof address === 'string') throw new Error('listener has no port')
  return {
    port: address.port,
    connections: () => count,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/**
 * Whether bubblewrap works here, and if not why (for skip messages). Asked as `bwrap`, which throws rather than
 * falls back: the once-per-process fallback warning stays for the tests that watch for it.
 */
export const bwrap = await resolveSandbox('bwrap').then(
  (resolution) => ({ available: true, reason: resolution.reason }),
  (error: Error) => ({ available: false, reason: error.message }),
)

/** Whether the tests run as root (the fallback then runs commands as another user). */
export const isRoot = process.getuid?.() === 0
