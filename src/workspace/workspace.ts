import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, isAbsolute, join, relative, resolve } from 'node:path'
import { execCommand, type ExecOptions, type ExecResult } from './exec.js'

/** One trial's private directory and the way to run commands in it. */
export interface Workspace {
  /** Absolute path of the workspace directory (the agent's working directory). */
  readonly path: string
  /** Runs a shell command with the workspace as working directory. Never throws for a failing command. */
  exec(command: string, options?: ExecOptions): Promise<ExecResult>
  /** Reads a file relative to the workspace. */
  read(file: string): Promise<string>
  /** Writes a file relative to the workspace, creating parent directories. */
  write(file: string, content: string): Promise<void>
  /** Whether a path relative to the workspace exists. */
  exists(file: string): Promise<boolean>
  /** Absolute path of a path relative to the workspace; refuses paths that leave it. */
  resolve(file: string): string
  /** Removes the workspace. */
  dispose(): Promise<void>
}

/** Options of {@link createWorkspace}. */
export interface WorkspaceOptions {
  /** Directory under which trial directories are made. @default os.tmpdir() */
  root?: string
  /** Passed to every command. */
  exec?: ExecOptions
}

/** Makes a fresh, empty workspace for one trial. */
export async function createWorkspace(options: WorkspaceOptions = {}): Promise<Workspace> {
  const root = options.root ?? tmpdir()
  await mkdir(root, { recursive: true })
  const trialDir = await mkdtemp(join(root, 'trial-'))
  const path = join(trialDir, 'work')
  const home = join(trialDir, 'home')
  await Promise.all([mkdir(path), mkdir(home)])
  const defaults: ExecOptions = { ...options.exec, cwd: path, home }

  const inside = (file: string): string => {
    const full = isAbsolute(file) ? resolve(file) : resolve(path, file)
    const rel = relative(path, full)
    if (rel.startsWith('..') || isAbsolute(rel)) {
      throw new Error(`Path \`${file}\` is outside the workspace.`)
    }
    return full
  }

  return {
    path,
    exec: (command, opts) => execCommand(command, { ...defaults, ...opts, cwd: path, home }),
    read: (file) => readFile(inside(file), 'utf8'),
    async write(file, content) {
      const full = inside(file)
      await mkdir(dirname(full), { recursive: true })
      await writeFile(full, content)
    },
    async exists(file) {
      try {
        await stat(inside(file))
        return true
      } catch {
        return false
      }
    },
    resolve: inside,
    dispose: () => rm(trialDir, { recursive: true, force: true }),
  }
}
