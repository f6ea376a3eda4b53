import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { agentOfModule, type AgentDefinition } from '../agent/define.js'
import { ConfigurationError } from '../errors.js'
import { builtinHarnessFormat, type HarnessFormat } from '../harness/format.js'
import { agentSurface, type DataSurface } from '../proposer/index.js'
import { stringFlag, type ParsedArgs } from './args.js'
import { importProjectModule } from './launch-vitest.js'

/** The agent a command works with: the built-in loop, or a team's own with its harness format and editable surface. */
export interface ProjectAgent {
  /** Absolute path of the agent module; undefined for the built-in loop. */
  file: string | undefined
  definition: AgentDefinition<unknown> | undefined
  format: HarnessFormat<unknown>
  /** The proposer's surface for a custom agent; undefined for the built-in loop (its own guards apply). */
  surface: DataSurface | undefined
}

/**
 * Loads the agent named by `--agent=PATH` or `SELF_HARNESS_AGENT` (relative to `cwd`), the module the plugin's
 * `agent` option names; without either, the built-in loop.
 */
export async function loadProjectAgent(args: ParsedArgs, cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<ProjectAgent> {
  const given = stringFlag(args, 'agent') ?? (env.SELF_HARNESS_AGENT || undefined)
  if (!given) return { file: undefined, definition: undefined, format: builtinHarnessFormat as HarnessFormat<unknown>, surface: undefined }
  const file = resolve(cwd, given)
  if (!existsSync(file)) throw new ConfigurationError('USAGE', `No agent module at ${file} (--agent or SELF_HARNESS_AGENT).`, { file, field: 'agent' })
  let loaded: unknown
  try {
    loaded = await importProjectModule(cwd, file)
  } catch (cause) {
    if (cause instanceof ConfigurationError) throw cause
    throw new ConfigurationError('CONFIG_INVALID', `The agent module ${file} failed to load: ${cause instanceof Error ? cause.message : String(cause)}`, { cause, file, field: 'agent' })
  }
  const definition = agentOfModule(loaded, file)
  return { file, definition, format: definition.format, surface: agentSurface(definition) }
}
