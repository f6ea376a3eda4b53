import { existsSync } from 'node:fs'
import { chmod, chown, mkdir, mkdtemp, realpath, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { isAbsolute, join } from 'node:path'
import { ConfigurationError, SandboxError, SelfHarnessError, WorkspaceError } from '../errors.js'
import { existsBeneath, lexicalPath, readBeneath, writeBeneath, type ReadResult } from './beneath.js'
import { execCommand, type ExecOptions, type ExecResult } from './exec.js'
import { assertFallbackAllowed } from './fallback-policy.js'
import { resolveFileOptions, type FileOptions } from './file-options.js'
import { assertReachable, defaultRunAs, handOver, isOtherUser, ownsAnything, selfUser, type RunAs } from './run-as.js'
import { resolveSandbox, type SandboxResolution } from './sandbox.js'
import { acquireTrialUser } from './trial-user.js'

export type { ReadResult } from './beneath.js'
export type { FileOptions } from './file-options.js'

/** One trial's private directory and the way to run commands in it. */
export interface Workspace {
  /** Absolute path of the workspace directory (the agent's working directory). */
  readonly path: string
  /** The confinement commands run under, and why. */
  readonly sandbox: SandboxResolution
  /** The user commands run as (without bubblewrap and as root: one of the trial's own). */
  readonly runAs: RunAs
  /** Runs a shell command with the workspace as working directory. Never throws for a failing command. */
  exec(command: string, options?: ExecOptions): Promise<ExecResult>
  /**
   * Reads a regular file beneath the workspace, following no link out of it; refuses special files and files over
   * `files.maxReadBytes`. Path problems throw a ConfigurationError; a fault of the machine a WorkspaceError.
   */
  read(file: string): Promise<string>
  /** Reads at most `maxBytes` (default `files.maxReadBytes`) of a regular file beneath the workspace, saying if more followed. */
  readLimited(file: string, maxBytes?: number): Promise<ReadResult>
  /**
   * Writes a regular file beneath the workspace (at most `files.maxWriteBytes`), creating parent directories and
   * following no link out of it; the file is replaced whole, never written through.
   */
  write(file: string, content: string): Promise<void>
  /** Whether a path beneath the workspace exists (false for paths leading outside it). */
  exists(file: string): Promise<boolean>
  /** Absolute path of a path relative to the workspace, decided on the text alone; refuses paths that leave it. */
  resolve(file: string): string
  /** Gives files placed in the workspace by other means than `write` to the command user before the next command. */
  handOver(): void
  /** Removes the workspace (and ends any process of the trial's own user). */
  dispose(): Promise<void>
}

/** Options of {@link createWorkspace}. */
export interface WorkspaceOptions {
  /** Directory under which trial directories are made. @default os.tmpdir() */
  root?: string
  /** Passed to every command (`cwd`, `home` and `tmpDir` are the workspace's own). @default {} */
  exec?: ExecOptions
  /** Limits of `read` and `write`. @default {} */
  files?: FileOptions
}

/**
 * Makes a fresh, empty workspace for one trial: `<root>/trial-XXXX/{work,home,tmp}`, each mode 0700 and owned by
 * the command user. Resolves the sandbox first, so `sandbox: 'bwrap'` without a working bubblewrap fails here, and
 * so does a fallback that would leave the runner's secrets readable (see {@link assertFallbackAllowed}). A failure
 * of the machine (disk full) is a WorkspaceError naming the directory, and leaves nothing behind.
 */
export async function createWorkspace(options: WorkspaceOptions = {}): Promise<Workspace> {
  const root = options.root ?? tmpdir()
  if (!isAbsolute(root)) {
    throw new ConfigurationError('CONFIG_INVALID', `Expected \`root\` to be an absolute path, got \`${root}\`.`, {
      field: 'root',
    })
  }
  const files = resolveFileOptions(options.files)
  if (!existsSync('/proc/self/fd')) {
    throw new SandboxError('The workspace file operations need /proc (they walk paths through /proc/self/fd); mount it and run again.')
  }
  const requested = options.exec?.sandbox ?? 'auto'
  const sandbox = await resolveSandbox(requested, { runAs: options.exec?.runAs ?? defaultRunAs(), bwrapPath: options.exec?.bwrapPath })
  // Without bubblewrap, a root runner gives each trial a user of its own: no trial can signal or touch another.
  const trialUser = sandbox.mode === 'none' && !options.exec?.runAs && selfUser().uid === 0 ? await acquireTrialUser() : undefined
  const runAs = trialUser?.runAs ?? options.exec?.runAs ?? defaultRunAs()
  const otherUser = isOtherUser(runAs)
  let trialDir: string | undefined
  let step = root
  try {
    assertFallbackAllowed({ requested, resolved: sandbox.mode, otherUser })
    await mkdir(root, { recursive: true })
    step = join(root, 'trial-XXXXXX')
    trialDir = await realpath(await mkdtemp(join(root, 'trial-')))
    // The trial directory stays the runner's: a command cannot swap `work` for a link; others may only pass through.
    if (otherUser) await chmod(trialDir, 0o711)
    for (const name of ['work', 'home', 'tmp']) {
      step = join(trialDir, name)
      await mkdir(step, { mode: 0o700 })
      if (otherUser) await chown(step, runAs.uid, runAs.gid)
    }
    if (otherUser) await assertReachable(join(trialDir, 'work'), runAs)
  } catch (error) {
    if (trialDir) await rm(trialDir, { recursive: true, force: true }).catch(() => undefined)
    await trialUser?.release().catch(() => undefined)
    if (error instanceof SelfHarnessError) throw error
    throw new WorkspaceError(`Could not create the trial's workspace at ${step}: ${(error as Error).message}.`, { file: step, cause: error })
  }
  const path = join(trialDir, 'work')
  const home = join(trialDir, 'home')
  const tmp = join(trialDir, 'tmp')
  const defaults: ExecOptions = { ...options.exec, sandbox: sandbox.mode === 'bwrap' ? 'bwrap' : 'none', runAs }
  // Files the runner put in the workspace by other means than `write` are given to the command user before the
  // first command, and before the next once announced with `handOver`. `scan` looks first (a fresh workspace
  // usually holds nothing of the runner's: no `chown` process then); `give` runs `chown` at once.
  let pending: 'none' | 'scan' | 'give' = otherUser ? 'scan' : 'none'
  const giveAway = async (): Promise<void> => {
    const mode = pending
    pending = 'none'
    try {
      if (mode === 'give' || (await ownsAnything([path, home], selfUser().uid))) await handOver([path, home], runAs)
    } catch (error) {
      pending = mode
      throw error
    }
  }
  const owner = otherUser ? runAs : undefined
  let disposed: Promise<void> | undefined

  return {
    path,
    sandbox,
    runAs,
    async exec(command, opts) {
      if (pending !== 'none') await giveAway()
      const env = { ...options.exec?.env, ...opts?.env }
      return execCommand(command, { ...defaults, ...opts, env, cwd: path, home, tmpDir: tmp })
    },
    async read(file) {
      const result = await readBeneath(path, file, files.maxReadBytes, owner)
      if (result.truncated) {
        throw new ConfigurationError(
          'USAGE',
          `Cannot use \`${file}\`: it is over the read limit of ${files.maxReadBytes} bytes (\`files.maxReadBytes\`).`,
          { field: 'file' },
        )
      }
      return result.content
    },
    readLimited: (file, maxBytes = files.maxReadBytes) => readBeneath(path, file, maxBytes, owner),
    async write(file, content) {
      if (typeof content !== 'string') {
        throw new ConfigurationError('USAGE', `Expected the content of \`${file}\` to be a string, got ${typeof content}.`, { field: 'content' })
      }
      const bytes = Buffer.byteLength(content)
      if (bytes > files.maxWriteBytes) {
        throw new ConfigurationError(
          'USAGE',
          `Cannot write \`${file}\`: ${bytes} bytes is over the write limit of ${files.maxWriteBytes} (\`files.maxWriteBytes\`).`,
          { field: 'content' },
        )
      }
      await writeBeneath(path, file, Buffer.from(content), { owner })
    },
    exists: (file) => existsBeneath(path, file),
    resolve: (file) => lexicalPath(path, file),
    handOver() {
      if (otherUser) pending = 'give'
    },
    dispose() {
      disposed ??= (async () => {
        await trialUser?.release()
        await rm(trialDir, { recursive: true, force: true })
      })()
      return disposed
    },
  }
}
