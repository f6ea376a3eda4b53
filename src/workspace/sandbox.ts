import { execa } from 'execa'
import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'
import { ConfigurationError, SandboxError } from '../errors.js'
import { bwrapArgs } from './bwrap-args.js'
import { defaultRunAs, isOtherUser, type RunAs } from './run-as.js'

/** How commands are confined: `auto` uses bubblewrap when it works, else the fallback; `bwrap` requires it. */
export type SandboxMode = 'auto' | 'bwrap' | 'none'

/** The confinement actually in force and why. */
export interface SandboxResolution {
  /** `bwrap`: bubblewrap sandbox; `none`: the fallback (workspace cwd, scrubbed env, limits, other user). */
  mode: 'bwrap' | 'none'
  /** Why this mode was chosen, in words fit for a log. */
  reason: string
  /** Path of the bubblewrap binary when `mode` is `bwrap`. */
  bwrapPath?: string
  /** Whether bubblewrap accepts the newer hardening flags (`--size`, `--disable-userns`). */
  modern: boolean
}

/** Options of {@link resolveSandbox}. */
export interface ResolveSandboxOptions {
  /** User the commands run as (the probe runs as it too). @default defaultRunAs() */
  runAs?: RunAs
  /** bubblewrap binary. @default `bwrap` found on PATH */
  bwrapPath?: string
}

interface Probe {
  ok: boolean
  reason: string
  bwrapPath?: string
  modern: boolean
}

const probes = new Map<string, Promise<Probe>>()

/**
 * Set once the fallback warning was printed. An environment variable, not a module variable: the plugin resolves the
 * sandbox in the main process before vitest starts its workers, and the workers inherit it, so a run warns once.
 */
export const WARNED_ENV = 'SELF_HARNESS_SANDBOX_WARNED'

/** Decides the sandbox for `mode`: probes bubblewrap once per process and user; `bwrap` throws if it is unusable. */
export async function resolveSandbox(
  mode: SandboxMode = 'auto',
  options: ResolveSandboxOptions = {},
): Promise<SandboxResolution> {
  validateSandboxMode(mode)
  if (mode === 'none') return { mode: 'none', reason: 'the `sandbox: none` setting', modern: false }
  const runAs = options.runAs ?? defaultRunAs()
  const probe = await probeOnce(options.bwrapPath, runAs)
  if (probe.ok) return { mode: 'bwrap', reason: probe.reason, bwrapPath: probe.bwrapPath, modern: probe.modern }
  if (mode === 'bwrap') {
    throw new SandboxError(
      `The \`sandbox: bwrap\` setting needs a working bubblewrap, but ${probe.reason}. ` +
        'Install it (Debian/Ubuntu: `apt-get install bubblewrap`) or use `sandbox: auto`.',
    )
  }
  warnOnce(probe.reason)
  return { mode: 'none', reason: probe.reason, modern: false }
}

/** Throws a configuration error unless `mode` is a sandbox mode. */
export function validateSandboxMode(mode: unknown): asserts mode is SandboxMode {
  if (mode !== 'auto' && mode !== 'bwrap' && mode !== 'none') {
    throw new ConfigurationError('CONFIG_INVALID', `Expected \`sandbox\` to be auto, bwrap or none, got \`${String(mode)}\`.`, {
      field: 'sandbox',
    })
  }
}

/** The text printed (once per process) when `auto` falls back to running commands without bubblewrap. */
export function fallbackWarning(reason: string): string {
  return (
    `self-harness: WARNING: no sandbox: ${reason}. Model-issued shell commands run only confined to the ` +
    'workspace directory (scrubbed environment, process and file-size limits, and as a user of the trial\'s own ' +
    'when run as root); they CAN reach the network and read files outside the workspace. Install bubblewrap ' +
    '(Debian/Ubuntu: `apt-get install bubblewrap`) or set `sandbox: none` to accept this.\n'
  )
}

function warnOnce(reason: string): void {
  if (process.env[WARNED_ENV] === '1') return
  process.env[WARNED_ENV] = '1'
  process.stderr.write(fallbackWarning(reason))
}

function probeOnce(bwrapPath: string | undefined, runAs: RunAs): Promise<Probe> {
  const key = `${bwrapPath ?? ''}\0${runAs.uid}:${runAs.gid}`
  let probe = probes.get(key)
  if (!probe) {
    probe = bwrapPath === undefined ? probeBwrap(findOnPath('bwrap'), runAs) : probeGiven(bwrapPath, runAs)
    probes.set(key, probe)
  }
  return probe
}

function probeGiven(bwrapPath: string, runAs: RunAs): Promise<Probe> {
  if (isExecutable(bwrapPath)) return probeBwrap(bwrapPath, runAs)
  return Promise.resolve({ ok: false, reason: `bubblewrap is not installed at ${bwrapPath}`, modern: false })
}

async function probeBwrap(bwrapPath: string | undefined, runAs: RunAs): Promise<Probe> {
  if (!bwrapPath) return { ok: false, reason: 'bubblewrap (`bwrap`) is not installed', modern: false }
  let failure = ''
  for (const modern of [true, false]) {
    const args = [...bwrapArgs({ writable: [], readOnly: [], tmpSizeBytes: 1 << 20, modern }), 'true']
    const result = await execa(bwrapPath, args, {
      reject: false,
      timeout: 10_000,
      env: {},
      extendEnv: false,
      stdin: 'ignore',
      cwd: '/',
      ...(isOtherUser(runAs) ? { uid: runAs.uid, gid: runAs.gid } : {}),
    })
    if (result.exitCode === 0) {
      return { ok: true, reason: `bubblewrap works (${bwrapPath})`, bwrapPath, modern }
    }
    failure ||= String(result.stderr || result.originalMessage || `exit code ${result.exitCode}`).trim().split('\n')[0] ?? ''
  }
  return { ok: false, reason: `bubblewrap (${bwrapPath}) does not work here: ${failure}`, modern: false }
}

function findOnPath(name: string): string | undefined {
  const dirs = (process.env.PATH ?? '/usr/bin:/bin').split(delimiter).filter((dir) => dir !== '')
  return dirs.map((dir) => join(dir, name)).find(isExecutable)
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}
