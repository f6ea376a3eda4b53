import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { execa } from 'execa'
import { ConfigurationError } from '../errors.js'

/** Path of the vitest command installed for a project. */
export function vitestBin(cwd: string): string {
  const require = createRequire(join(cwd, 'package.json'))
  let pkgFile: string
  try {
    pkgFile = require.resolve('vitest/package.json')
  } catch (cause) {
    throw new ConfigurationError('CONFIG_INVALID', `vitest is not installed in ${cwd}. Install it: npm install -D vitest`, { cause })
  }
  return join(dirname(pkgFile), 'vitest.mjs')
}

// The config files vitest looks for, in its order (vitest's `configFiles`).
const CONFIG_FILES = ['vitest.config', 'vite.config'].flatMap((base) => ['ts', 'mts', 'cts', 'js', 'mjs', 'cjs'].map((ext) => `${base}.${ext}`))

/**
 * The folder vitest should run in: the nearest folder at or above `cwd` with a vitest (or vite) config, looked for up
 * to the package's root, so `cd tasks && self-harness vitest run` runs the project as from its root; `cwd` itself when
 * there is none, or when the arguments choose the root or the config.
 */
export function projectDirOf(cwd: string, args: readonly string[]): string {
  if (args.some((arg) => /^(--root|--config|--dir|-r|-c)(=|$)/.test(arg))) return cwd
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    if (CONFIG_FILES.some((file) => existsSync(join(dir, file)))) return dir
    if (existsSync(join(dir, 'package.json')) || dirname(dir) === dir) return cwd
  }
}

/** Options of {@link launchVitest}. */
export interface LaunchOptions {
  cwd: string
  args: string[]
  env?: Record<string, string>
  /** Inherit stdio (the CLI) or capture it (evolve, tests). @default 'inherit' */
  stdio?: 'inherit' | 'pipe'
}

/** What a vitest process gave; `unknownOption` is the flag vitest refused before it started (`--trails`). */
export interface LaunchResult {
  exitCode: number
  stdout: string
  stderr: string
  unknownOption?: string
}

// vitest's cac throws `CACError: Unknown option \`--x\`` uncaught, so node prints it with a stack on stderr.
const UNKNOWN_OPTION = /CACError: Unknown option `([^`]+)`/

/**
 * Runs vitest as a child process; the one place self-harness starts vitest. With inherited stdio, stderr is passed
 * through as it comes, except vitest's refusal of an unknown flag, which is returned for the caller to word.
 */
export async function launchVitest(options: LaunchOptions): Promise<LaunchResult> {
  const inherit = (options.stdio ?? 'inherit') === 'inherit'
  const cwd = projectDirOf(options.cwd, options.args)
  const child = execa(process.execPath, [vitestBin(cwd), ...options.args], {
    cwd,
    env: options.env,
    stdio: inherit ? ['inherit', 'inherit', 'pipe'] : 'pipe',
    reject: false,
    buffer: !inherit,
  })
  let unknownOption: string | undefined
  if (inherit) {
    child.stderr?.on('data', (chunk: Buffer) => {
      const text = chunk.toString()
      const match = UNKNOWN_OPTION.exec(text)
      if (match) unknownOption ??= match[1]
      // The refusal and its stack come in one piece; everything after it belongs to the same crash.
      if (!unknownOption) process.stderr.write(chunk)
    })
  }
  const result = await child
  const stderr = String(result.stderr ?? '')
  unknownOption ??= result.exitCode !== 0 ? UNKNOWN_OPTION.exec(stderr)?.[1] : undefined
  return { exitCode: result.exitCode ?? 1, stdout: String(result.stdout ?? ''), stderr, ...(unknownOption ? { unknownOption } : {}) }
}

/** The long flags vitest's `--help` lists, without the leading dashes (asked only after vitest refused a flag). */
export async function vitestFlagNames(cwd: string): Promise<string[]> {
  const result = await execa(process.execPath, [vitestBin(cwd), '--help'], { cwd, reject: false })
  return [...new Set([...String(result.stdout ?? '').matchAll(/--(?:no-)?([a-z][\w.-]*)/g)].map((m) => m[1]!.replace(/\.$/, '')))]
}

/**
 * Imports a module of the project (TypeScript included) with the vite that the project's vitest uses, through
 * vite's module runner: how the command reads a team's agent module. The one other place self-harness reaches
 * the project's vitest toolchain.
 */
export async function importProjectModule(cwd: string, file: string): Promise<unknown> {
  const require = createRequire(join(dirname(vitestBin(cwd)), 'package.json'))
  let vitePath: string
  try {
    vitePath = require.resolve('vite')
  } catch (cause) {
    throw new ConfigurationError('CONFIG_INVALID', `vite (a dependency of vitest) is not installed beside vitest in ${cwd}; reinstall vitest.`, { cause })
  }
  const vite = (await import(pathToFileURL(vitePath).href)) as { runnerImport?: (file: string) => Promise<{ module: unknown }> }
  if (typeof vite.runnerImport !== 'function') {
    throw new ConfigurationError('CONFIG_INVALID', `The vite beside vitest in ${cwd} has no runnerImport (vite 6.1 or later has it); update vitest.`)
  }
  return (await vite.runnerImport(file)).module
}
