import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { stringFlag, type ParsedArgs } from '../args.js'

/**
 * `self-harness sim [--port=8787] [--solutions=DIR] [--profile=NAME] ...`: serves the bundled simulated model until
 * interrupted, knowing the solutions in DIR: by default the project's `solutions/` when there is one, else the
 * bundled suite's.
 */
export async function simCommand(args: ParsedArgs, cwd: string, out: (text: string) => void): Promise<number> {
  const argv = Object.keys(args.flags).flatMap((name) => (args.flags[name] === true ? [`--${name}`] : [`--${name}=${stringFlag(args, name)}`]))
  const own = join(cwd, 'solutions')
  if (args.flags.solutions === undefined && existsSync(own)) argv.push(`--solutions=${own}`)
  const { serveSim } = await import('self-harness/sim')
  return serveSim(argv, { out, err: (text) => process.stderr.write(`self-harness: ${text}\n`) })
}
