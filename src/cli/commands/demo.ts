import { join, resolve } from 'node:path'
import { execa } from 'execa'
import { stringFlag, type ParsedArgs } from '../args.js'
import { packageRoot } from '../package-root.js'

/**
 * `self-harness demo [--gate] [--profiles=LIST] [--out=.self-harness/demo]`: the loop demo (or the gate demo) on the bundled suite
 * with the simulated models, run from the installed package; everything it writes goes under `--out`.
 */
export async function demoCommand(args: ParsedArgs, cwd: string): Promise<number> {
  const script = join(packageRoot(), 'dist', 'fixtures', args.flags.gate ? 'demo-gate.js' : 'demo.js')
  const outDir = resolve(cwd, stringFlag(args, 'out') ?? join('.self-harness', 'demo'))
  const profiles = stringFlag(args, 'profiles')
  const env = { SELF_HARNESS_DEMO_OUT: outDir, ...(profiles ? { SELF_HARNESS_DEMO_PROFILES: profiles } : {}) }
  const result = await execa(process.execPath, [script], { cwd, stdio: 'inherit', reject: false, env })
  return result.exitCode ?? 1
}
