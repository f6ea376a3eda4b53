import { readFile } from 'node:fs/promises'

const live = new Set<number>()
let hooked = false

/** Remembers a command's process group so it is killed if the runner exits while the command runs. */
export function trackGroup(pgid: number): void {
  if (!hooked) {
    hooked = true
    process.once('exit', () => {
      for (const id of live) killGroup(id)
    })
  }
  live.add(pgid)
}

/** Forgets a process group once it is gone. */
export function untrackGroup(pgid: number): void {
  live.delete(pgid)
}

/** Sends SIGKILL to a whole process group; a group already gone is not an error. */
export function killGroup(pgid: number | undefined): void {
  if (!pgid) return
  try {
    process.kill(-pgid, 'SIGKILL')
  } catch {
    // already gone
  }
}

/** Resolves once `pid` has exited (gone or a zombie), or after `limitMs`; polls /proc. */
export async function waitForExit(pid: number, limitMs: number): Promise<void> {
  const deadline = performance.now() + limitMs
  while (performance.now() < deadline) {
    let state: string | undefined
    try {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
      state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
    } catch {
      return
    }
    if (state === 'Z' || state === 'X') return
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
}
