import { ConfigurationError } from '../errors.js'

/** A parsed command line: the command, its positional arguments, its flags, and what goes through untouched. */
export interface ParsedArgs {
  command: string | undefined
  positional: string[]
  flags: Record<string, string | boolean>
  /** Arguments passed on to another program (for `self-harness vitest`). */
  rest: string[]
}

/** Flags `self-harness vitest` keeps for itself; everything else goes to vitest. */
export const OWN_VITEST_FLAGS = ['harness', 'trials', 'baseline', 'no-gate', 'fresh', 'retry-errors', 'mine', 'report', 'adaptive', 'runs', 'resamples', 'output-dir', 'policy', 'json'] as const

/** Parses `self-harness <command> ...`. A pure function of argv. */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const [command, ...args] = argv
  const positional: string[] = []
  const flags: Record<string, string | boolean> = {}
  const rest: string[] = []
  const passThrough = command === 'vitest' || command === 'calibrate'
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    const match = /^--([a-z][\w-]*)(?:=(.*))?$/.exec(arg)
    if (passThrough) {
      const own = match && (OWN_VITEST_FLAGS as readonly string[]).includes(match[1]!)
      if (!own) {
        rest.push(arg)
        continue
      }
      const name = match[1]!
      if (name === 'no-gate' || name === 'fresh' || name === 'retry-errors' || name === 'mine' || name === 'report' || name === 'json') flags[name] = true
      else if (name === 'adaptive') flags[name] = match[2] ?? true
      else if (match[2] !== undefined) flags[name] = match[2]
      else if (args[i + 1] !== undefined && !args[i + 1]!.startsWith('--')) flags[name] = args[++i]!
      else throw new ConfigurationError('USAGE', `Expected a value after \`--${name}\`, got none.`, { field: name })
      continue
    }
    if (match) {
      flags[match[1]!] = match[2] ?? true
    } else {
      positional.push(arg)
    }
  }
  return { command, positional, flags, rest }
}

/** A string flag's value, or undefined; refuses a bare flag where a value is needed. */
export function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const value = args.flags[name]
  if (value === undefined) return undefined
  if (typeof value !== 'string' || value === '') {
    throw new ConfigurationError('USAGE', `Expected \`--${name}=<value>\`, got \`--${name}\` with no value.`, { field: name })
  }
  return value
}
