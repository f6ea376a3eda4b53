import { isGenericErrorKey } from './error-key.js'

/** The parts a signature is made of, in their fixed order; absent parts are left out. */
export interface SignatureParts {
  /** Program (and subcommand) of the failing command, or the failing tool. */
  cmd?: string
  /** Error key of the failure (see `errorKey`). */
  err?: string
  /** The one telling cue of a run that failed without a failing command. */
  cue?: 'no-tool-call' | 'mismatch' | 'lost-value' | 'unverified-write' | 'long'
  /** Kind of the failed assertion, for runs without a failing command. */
  assert?: string
  /** How the run ended. */
  end: string
}

/** Joins parts into a signature: `cmd:git commit|err:identity unknown|end:finish`. */
export function buildSignature(parts: SignatureParts): string {
  const out: string[] = []
  if (parts.cmd) out.push(`cmd:${clean(parts.cmd)}`)
  if (parts.err) out.push(`err:${clean(parts.err)}`)
  if (parts.cue) out.push(parts.cue)
  if (parts.assert) out.push(`assert:${clean(parts.assert)}`)
  out.push(`end:${clean(parts.end)}`)
  return out.join('|')
}

/**
 * The key a signature is clustered under. Signatures that differ only in their command are merged when their
 * error is informative (`cmd:chmod|err:no such file or directory|end:finish` and `cmd:tar|err:no such file or
 * directory|end:finish` are one weakness); with a bare `exit code <n>` the command is what tells failures apart,
 * so it stays. Runs that made no tool call are one key. Every other part must match exactly.
 */
export function clusterKeyOf(signature: string): string {
  const parts = signature.split('|')
  // A run without a tool call is one weakness however it ended.
  if (parts[0] === 'no-tool-call') return 'no-tool-call'
  const err = parts.find((part) => part.startsWith('err:'))
  if (!err || isGenericErrorKey(err.slice(4))) return signature
  return parts.filter((part) => !part.startsWith('cmd:')).join('|')
}

/** The value of one `name:value` part of a signature. */
export function signaturePart(signature: string, name: 'cmd' | 'err' | 'assert' | 'end'): string | undefined {
  const prefix = `${name}:`
  return signature.split('|').find((part) => part.startsWith(prefix))?.slice(prefix.length)
}

function clean(text: string): string {
  return text.replace(/[|\n]/g, ' ').trim()
}
