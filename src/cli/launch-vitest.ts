import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
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

/** Options of {@link launchVitest}. */
export interface LaunchOptions {
  cwd: string
  args: string[]
  env?: Record<string, string>
  /** Inherit stdio (the CLI) or capture it (evolve, tests). @default 'inherit' */
  stdio?: 'inherit' | 'pipe'
}

/** Runs vitest as a child process; the one place self-harness starts vitest. */
export async function launchVitest(options: LaunchOptions): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const child = execa(process.execPath, [vitestBin(options.cwd), ...options.args], {
    cwd: options.cwd,
    env: options.env,
    stdio: options.stdio ?? 'inherit',
    reject: false,
  })
  const result = await child
  return { exitCode: result.exitCode ?? 1, stdout: String(result.stdout ?? ''), stderr: String(result.stderr ?? '') }
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
