import { chown, mkdir, mkdtemp, open, readFile, realpath, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import { ConfigurationError } from '../errors.js'
import { execCommand, type ExecOptions, type ExecResult } from './exec.js'
import { assertReachable, defaultRunAs, handOver, isOtherUser, ownsAnything, selfUser } from './run-as.js'
import { resolveSandbox, type SandboxResolution } from './sandbox.js'

/** One trial's private directory and the way to run commands in it. */
export interface Workspace {
  /** Absolute path of the workspace directory (the agent's working directory). */
  readonly path: string
  /** The confinement commands run under, and why. */
  readonly sandbox: SandboxResolution
  /** Runs a shell command with the workspace as working directory. Never throws for a failing command. */
  exec(command: string, options?: ExecOptions): Promise<ExecResult>
  /** Reads a file relative to the workspace; refuses paths (symlinks included) that lead outside it. */
  read(file: string): Promise<string>
  /** Writes a file relative to the workspace, creating parent directories; refuses paths that lead outside it. */
  write(file: string, content: string): Promise<void>
  /** Whether a path relative to the workspace exists (false for paths leading outside it). */
  exists(file: string): Promise<boolean>
  /** Absolute path of a path relative to the workspace; refuses paths that leave it. */
  resolve(file: string): string
  /** Gives files placed in the workspace by other means than `write` to the command user before the next command. */
  handOver(): void
  /** Removes the workspace. */
  dispose(): Promise<void>
}

/** Options of {@link createWorkspace}. */
export interface WorkspaceOptions {
  /** Directory under which trial directories are made. @default os.tmpdir() */
  root?: string
  /** Passed to every command (`cwd`, `home` and `tmpDir` are the workspace's own). @default {} */
  exec?: ExecOptions
}

/**
 * Makes a fresh, empty workspace for one trial: `<root>/trial-XXXX/{work,home,tmp}`, owned by the command
 * user. Resolves the sandbox first, so `sandbox: 'bwrap'` without a working bubblewrap fails here.
 */
export async function createWorkspace(options: WorkspaceOptions = {}): Promise<Workspace> {
  const root = options.root ?? tmpdir()
  if (!isAbsolute(root)) {
    throw new ConfigurationError('CONFIG_INVALID', `Expected \`root\` to be an absolute path, got \`${root}\`.`, {
      field: 'root',
    })
  }
  const runAs = options.exec?.runAs ?? defaultRunAs()
  const sandbox = await resolveSandbox(options.exec?.sandbox, { runAs, bwrapPath: options.exec?.bwrapPath })
  await mkdir(root, { recursive: true })
  const trialDir = await realpath(await mkdtemp(join(root, 'trial-')))
  const path = join(trialDir, 'work')
  const home = join(trialDir, 'home')
  const tmp = join(trialDir, 'tmp')
  await Promise.all([mkdir(path), mkdir(home), mkdir(tmp)])
  const otherUser = isOtherUser(runAs)
  if (otherUser) {
    try {
      await Promise.all([trialDir, path, home, tmp].map((dir) => chown(dir, runAs.uid, runAs.gid)))
      await assertReachable(path, runAs)
    } catch (error) {
      await rm(trialDir, { recursive: true, force: true })
      throw error
    }
  }
  const defaults: ExecOptions = { ...options.exec, sandbox: sandbox.mode === 'bwrap' ? 'bwrap' : 'none', runAs }
  // Files the runner put in the workspace (by any means) are given to the command user before the first
  // command; later ones written through `write`, or announced with `handOver`, before the next. `scan` looks first
  // (a fresh workspace usually holds nothing of the runner's: no `chown` process then); `give` runs `chown` at once.
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

  const lexical = (file: string): string => {
    const full = isAbsolute(file) ? resolve(file) : resolve(path, file)
    if (!isWithin(path, full)) throw outside(file)
    return full
  }
  // Follows symlinks of the longest existing prefix: a link planted by a command must not lead the runner out.
  const checked = async (file: string): Promise<string> => {
    const full = lexical(file)
    for (let probe = full; ; probe = dirname(probe)) {
      try {
        if (!isWithin(path, await realpath(probe))) throw outside(file)
        return full
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || probe === path) throw error
      }
    }
  }

  return {
    path,
    sandbox,
    async exec(command, opts) {
      if (pending !== 'none') await giveAway()
      const env = { ...options.exec?.env, ...opts?.env }
      return execCommand(command, { ...defaults, ...opts, env, cwd: path, home, tmpDir: tmp })
    },
    read: async (file) => readFile(await checked(file), 'utf8'),
    async write(file, content) {
      const full = await checked(file)
      const made = await mkdir(dirname(full), { recursive: true })
      await checked(file)
      const handle = await open(full, 'w')
      try {
        await handle.writeFile(content)
        // The file itself changes hands through its descriptor; new parent directories wait for `chown -R`.
        if (otherUser) await handle.chown(runAs.uid, runAs.gid)
      } finally {
        await handle.close()
      }
      if (otherUser && made !== undefined) pending = 'give'
    },
    async exists(file) {
      try {
        await stat(await checked(file))
        return true
      } catch {
        return false
      }
    },
    resolve: lexical,
    handOver() {
      if (otherUser) pending = 'give'
    },
    dispose: () => rm(trialDir, { recursive: true, force: true }),
  }
}

function isWithin(dir: string, full: string): boolean {
  const rel = relative(dir, full)
  return rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel)
}

function outside(file: string): ConfigurationError {
  return new ConfigurationError('USAGE', `Expected a path inside the workspace, got \`${file}\`.`, { field: 'file' })
}
