import { SelfHarnessError } from '../src/errors.js'

/**
 * The error the plugin hands vitest when it refuses its configuration: the message alone (what is wrong, the file
 * and field, what to do), so vitest prints one line instead of a stack; `SELF_HARNESS_DEBUG=1` (the command's
 * `--debug`) keeps the original with its stack and cause.
 */
export function startupError(error: unknown, env: NodeJS.ProcessEnv = process.env): unknown {
  if (!(error instanceof SelfHarnessError) || env.SELF_HARNESS_DEBUG === '1') return error
  const line = `${error.name}: ${error.message}`
  const short = new Error(error.message)
  short.name = error.name
  short.stack = line
  // vitest prints a startup error with console.error, which shows this instead of the stack and the properties.
  Object.defineProperty(short, Symbol.for('nodejs.util.inspect.custom'), { value: () => `${line}\n(for the stack: run again with --debug, or set SELF_HARNESS_DEBUG=1)` })
  return short
}
