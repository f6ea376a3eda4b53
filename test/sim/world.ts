import { callToAction } from '../../fixtures/sim/tool-calls.js'

/** Harness behaviour the fake world imitates, as the agent loop would apply it. */
export interface WorldOptions {
  /** A `before` wrapper on shell: run before every shell call (`git config ...` sets the identity). */
  beforeShell?: string
  /** The `read-back` wrapper on write_file. */
  readBack?: boolean
  /** The `exit-code` wrapper on shell. */
  exitCodeFlag?: boolean
  /** Shell commands matching this time out, the first `times` runs. */
  timeouts?: { match: RegExp; times: number }
  /** A final check: returns a rejection text while the world is not right. */
  finalCheck?: (world: World) => string | undefined
}

/** A tiny in-memory workspace that answers tool calls with plausible results, in the loop's formats. */
export class World {
  readonly files = new Map<string, string>()
  readonly commands: string[] = []
  identity = false
  commits = 0
  private readonly staged = new Set<string>()
  private timeoutsLeft: number

  constructor(readonly options: WorldOptions = {}) {
    this.timeoutsLeft = options.timeouts?.times ?? 0
  }

  /** The tool result for one call. */
  call(name: string, args: Record<string, unknown>): string {
    const action = callToAction(name, args)
    if (!action) return 'error: bad arguments'
    if (name === 'shell') {
      const notes: string[] = []
      if (this.options.beforeShell) {
        this.shell(this.options.beforeShell)
        notes.push(`[harness] ran before the call: ${this.options.beforeShell} (exit 0)`)
      }
      const command = String(args.command)
      let output: string
      if (action.kind === 'write') output = this.write(action.path, action.content)
      else if (action.kind === 'read') output = this.shellRead(action.path)
      else output = this.shell(command)
      if (this.options.exitCodeFlag && /^exit code: [1-9]/.test(output)) {
        notes.push(`[harness] the command failed with exit code ${/^exit code: (\d+)/.exec(output)![1]}; handle the failure before going on`)
      }
      return [output, ...notes].join('\n')
    }
    if (action.kind === 'write') {
      const out = `wrote ${Buffer.byteLength(action.content)} bytes to ${action.path}`
      this.files.set(action.path, action.content)
      return this.options.readBack ? `${out}\n[harness] read-back of ${action.path}: matches what was written` : out
    }
    if (action.kind === 'read') return this.files.get(action.path) ?? `error: ENOENT: no such file or directory, open '${action.path}'`
    return 'error: unexpected call'
  }

  private write(path: string, content: string): string {
    this.files.set(path, content)
    return 'exit code: 0'
  }

  private shellRead(path: string): string {
    const content = this.files.get(path)
    return content === undefined ? `exit code: 1\nstderr:\ncat: ${path}: No such file or directory\n` : `exit code: 0\nstdout:\n${content}`
  }

  private shell(command: string): string {
    this.commands.push(command)
    const timeouts = this.options.timeouts
    if (timeouts?.match.test(command) && this.timeoutsLeft > 0) {
      this.timeoutsLeft--
      return 'timed out after 2000 ms; the command was killed'
    }
    if (command.includes('git config user.email')) this.identity = true
    const add = /^git add (\S+)$/.exec(command)
    if (add) {
      if (!this.files.has(add[1]!)) return `exit code: 128\nstderr:\nfatal: pathspec '${add[1]}' did not match any files\n`
      this.staged.add(add[1]!)
    }
    if (command.startsWith('git commit')) {
      if (!this.identity) {
        return 'exit code: 128\nstderr:\nAuthor identity unknown\n\n*** Please tell me who you are.\n'
      }
      if (!this.staged.size) return 'exit code: 1\nstdout:\nnothing to commit\n'
      this.staged.clear()
      this.commits++
    }
    const echo = /^echo (\S+) > (\S+)$/.exec(command)
    if (echo) this.files.set(echo[2]!, `${echo[1]}\n`)
    const cp = /^cp (\S+) (\S+)$/.exec(command)
    if (cp) this.files.set(cp[2]!, this.files.get(cp[1]!) ?? '')
    return 'exit code: 0'
  }
}
