import { stringFlag, type ParsedArgs } from '../args.js'

/**
 * `self-harness sim [--port=8787] [--solutions=DIR] [--profile=NAME] ...`: serves the bundled simulated model
 * (the bundled suite's solutions, or the user's) until interrupted.
 */
export async function simCommand(args: ParsedArgs, _cwd: string, out: (text: string) => void): Promise<number> {
  const argv = Object.keys(args.flags).flatMap((name) => (args.flags[name] === true ? [`--${name}`] : [`--${name}=${stringFlag(args, name)}`]))
  const { serveSim } = await import('self-harness/sim')
  return serveSim(argv, { out, err: (text) => process.stderr.write(`${text}\n`) })
}
