import { isAbsolute } from 'node:path'
import { ConfigurationError } from '../errors.js'
import { defaultRunAs, type RunAs } from './run-as.js'
import { validateSandboxMode, type SandboxMode } from './sandbox.js'

/** Options of one command. */
export interface ExecOptions {
  /** Working directory; with bubblewrap it is, with `home`, the only host directory the command can write. */
  cwd?: string
  /** HOME of the command (a private, empty directory per trial). @default '/nonexistent' */
  home?: string
  /** Time limit; the whole process tree is killed when it passes. @default 10000 */
  timeoutMs?: number
  /** Bytes of stdout and of stderr kept (head and tail); the rest is dropped and `truncated` is set. @default 65536 */
  maxOutputBytes?: number
  /** Bytes of stdout plus stderr after which the command is killed as runaway (`outputLimited`). @default 33554432 */
  maxTotalOutputBytes?: number
  /** Extra environment variables (the runner's environment is not inherited). @default {} */
  env?: Record<string, string>
  /** Names of the runner's environment variables passed through unchanged. @default [] */
  envAllow?: string[]
  /** Text written to the command's stdin. @default '' */
  input?: string
  /** How commands are confined. @default 'auto' */
  sandbox?: SandboxMode
  /** Process (thread) limit of the command; with bubblewrap it counts only the sandbox's own. @default 512 */
  maxProcesses?: number
  /** Largest file the command may write. @default 1073741824 */
  maxFileBytes?: number
  /** Size of the private /tmp and of /dev/shm with bubblewrap (they live in memory). @default 268435456 */
  tmpSizeBytes?: number
  /** TMPDIR of the command without bubblewrap (with it, TMPDIR is the private /tmp). @default undefined */
  tmpDir?: string
  /** Extra host paths visible read-only inside bubblewrap (for example a toolchain under /opt). @default [] */
  readOnlyPaths?: string[]
  /** User the command runs as. @default the runner's user, or nobody (65534) when the runner is root */
  runAs?: RunAs
  /** bubblewrap binary. @default `bwrap` found on PATH */
  bwrapPath?: string
}

/** {@link ExecOptions} with defaults filled in. */
export type ResolvedExecOptions = Required<
  Omit<ExecOptions, 'cwd' | 'home' | 'tmpDir' | 'bwrapPath'>
> &
  Pick<ExecOptions, 'cwd' | 'home' | 'tmpDir' | 'bwrapPath'>

/** Copies `raw`, fills defaults and validates every field. */
export function resolveExecOptions(raw: ExecOptions = {}): ResolvedExecOptions {
  const options: ResolvedExecOptions = {
    ...raw,
    timeoutMs: raw.timeoutMs ?? 10_000,
    maxOutputBytes: raw.maxOutputBytes ?? 65_536,
    maxTotalOutputBytes: raw.maxTotalOutputBytes ?? 32 * 1024 * 1024,
    env: raw.env ?? {},
    envAllow: raw.envAllow ?? [],
    input: raw.input ?? '',
    sandbox: raw.sandbox ?? 'auto',
    maxProcesses: raw.maxProcesses ?? 512,
    maxFileBytes: raw.maxFileBytes ?? 1024 * 1024 * 1024,
    tmpSizeBytes: raw.tmpSizeBytes ?? 256 * 1024 * 1024,
    readOnlyPaths: raw.readOnlyPaths ?? [],
    runAs: raw.runAs ?? defaultRunAs(),
  }
  for (const field of ['timeoutMs', 'maxOutputBytes', 'maxTotalOutputBytes', 'maxProcesses', 'maxFileBytes', 'tmpSizeBytes'] as const) {
    expectPositiveInteger(field, options[field])
  }
  validateSandboxMode(options.sandbox)
  for (const field of ['cwd', 'home', 'tmpDir'] as const) {
    const value = options[field]
    if (value !== undefined && !isAbsolute(value)) fail(field, 'an absolute path', value)
  }
  for (const path of options.readOnlyPaths) {
    if (!isAbsolute(path)) fail('readOnlyPaths', 'absolute paths', path)
  }
  for (const id of ['uid', 'gid'] as const) {
    const value = options.runAs[id]
    if (!Number.isInteger(value) || value < 0) fail(`runAs.${id}`, 'a non-negative integer', value)
  }
  for (const [name, value] of Object.entries(options.env)) {
    if (typeof value !== 'string') fail(`env.${name}`, 'a string', value)
  }
  return options
}

function expectPositiveInteger(field: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) fail(field, 'a positive integer', value)
}

function fail(field: string, expected: string, got: unknown): never {
  throw new ConfigurationError('CONFIG_INVALID', `Expected \`${field}\` to be ${expected}, got \`${String(got)}\`.`, {
    field,
  })
}
