import { ConfigurationError } from '../errors.js'
import { secretValuesFromEnv } from '../trace/redact.js'
import { defaultRunAs, isOtherUser } from './run-as.js'
import { resolveSandbox, type SandboxMode, type SandboxResolution } from './sandbox.js'

/** What decides whether commands may run without bubblewrap. */
export interface FallbackFacts {
  /** The `sandbox` setting. */
  requested: SandboxMode
  /** The confinement resolved for it. */
  resolved: 'bwrap' | 'none'
  /** Commands run as another user than the runner (a root runner), so they cannot read its memory or signal it. */
  otherUser: boolean
  /** Names of the runner's environment variables that hold secrets. */
  secretNames: string[]
}

/**
 * Why commands may not run here, or undefined when they may: falling back (not asked for with `sandbox: none`)
 * as the runner's own user while the runner's environment holds secrets would let a command read them from
 * `/proc/<pid>/environ` and signal the runner.
 */
export function fallbackRefusal(facts: FallbackFacts): string | undefined {
  if (facts.resolved === 'bwrap' || facts.requested === 'none' || facts.otherUser || facts.secretNames.length === 0) return undefined
  return (
    `Commands would run without a sandbox as the runner's own user (bubblewrap is not usable and the runner is not ` +
    `root), while the runner's environment holds secrets (${facts.secretNames.join(', ')}); a command could read ` +
    'them from /proc and signal the runner. Install bubblewrap, run as root (commands then run as a user of their ' +
    'own), or set `sandbox: none` to accept this.'
  )
}

/** Names of variables in `env` whose values count as secrets (the rule of {@link secretValuesFromEnv}). */
export function secretNamesInEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  const secrets = new Set(secretValuesFromEnv(env))
  return Object.entries(env)
    .filter(([, value]) => value !== undefined && secrets.has(value))
    .map(([name]) => name)
    .sort()
}

/** Throws a ConfigurationError (field `sandbox`) when {@link fallbackRefusal} gives a reason. */
export function assertFallbackAllowed(facts: Omit<FallbackFacts, 'secretNames'>, env: NodeJS.ProcessEnv = process.env): void {
  const reason = fallbackRefusal({ ...facts, secretNames: secretNamesInEnv(env) })
  if (reason) throw new ConfigurationError('CONFIG_INVALID', reason, { field: 'sandbox' })
}

/** Resolves `mode` as a run's workspaces will, and refuses up front a fallback {@link fallbackRefusal} refuses. */
export async function checkSandboxPolicy(mode: SandboxMode, env: NodeJS.ProcessEnv = process.env): Promise<SandboxResolution> {
  const runAs = defaultRunAs()
  const resolved = await resolveSandbox(mode, { runAs })
  assertFallbackAllowed({ requested: mode, resolved: resolved.mode, otherUser: isOtherUser(runAs) }, env)
  return resolved
}
