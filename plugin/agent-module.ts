import { existsSync } from 'node:fs'
import { runnerImport } from 'vite'
import { agentOfModule, type AgentDefinition } from '../src/agent/define.js'
import { ConfigurationError } from '../src/errors.js'

/**
 * Loads the agent module named by the plugin's `agent` option in the main process (TypeScript included, through
 * vite's module runner), to read its harness schema and editable surface. Workers load it again themselves.
 */
export async function importAgentModule(file: string): Promise<AgentDefinition<unknown>> {
  if (!existsSync(file)) {
    throw new ConfigurationError('CONFIG_INVALID', `No agent module at ${file} (the plugin option \`agent\` or SELF_HARNESS_AGENT). Point it at a module whose default export is defineAgent({ ... }).`, { file, field: 'agent' })
  }
  let loaded: unknown
  try {
    loaded = (await runnerImport<{ default?: unknown }>(file)).module
  } catch (cause) {
    if (cause instanceof ConfigurationError) throw cause
    throw new ConfigurationError('CONFIG_INVALID', `The agent module ${file} failed to load: ${cause instanceof Error ? cause.message : String(cause)}`, { cause, file, field: 'agent' })
  }
  return agentOfModule(loaded, file)
}
