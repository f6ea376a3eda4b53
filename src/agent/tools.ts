import { SandboxError } from '../errors.js'
import type { HarnessSpec, ToolName } from '../harness/spec.js'
import type { Workspace } from '../workspace/workspace.js'
import type { ChatTool } from './model.js'

const PARAMETERS: Record<ToolName, Record<string, unknown>> = {
  shell: {
    type: 'object',
    properties: { command: { type: 'string', description: 'A bash command, run in the workspace.' } },
    required: ['command'],
  },
  read_file: {
    type: 'object',
    properties: { path: { type: 'string', description: 'Path relative to the workspace.' } },
    required: ['path'],
  },
  write_file: {
    type: 'object',
    properties: {
      path: { type: 'string', description: 'Path relative to the workspace.' },
      content: { type: 'string', description: 'The whole new content of the file.' },
    },
    required: ['path', 'content'],
  },
  finish: {
    type: 'object',
    properties: { summary: { type: 'string', description: 'What was done.' } },
    required: ['summary'],
  },
}

/** Names of every tool a harness can offer, in a fixed order. */
export const TOOL_NAMES: readonly ToolName[] = ['shell', 'read_file', 'write_file', 'finish']

/** The tool definitions the model sees under a harness. */
export function toolDefinitions(spec: HarnessSpec): ChatTool[] {
  return TOOL_NAMES.filter((name) => spec.tools[name].enabled).map((name) => ({
    type: 'function',
    function: { name, description: spec.tools[name].description, parameters: PARAMETERS[name] },
  }))
}

/** What one bare tool call did, before wrappers. */
export interface ToolOutcome {
  output: string
  ok: boolean
}

/** Runs one bare tool call in the workspace. Exceptions become results the model can read. */
export async function callTool(
  name: Exclude<ToolName, 'finish'>,
  args: Record<string, unknown>,
  workspace: Workspace,
  timeoutMs: number,
): Promise<ToolOutcome> {
  try {
    switch (name) {
      case 'shell': {
        const command = requireString(args, 'command')
        const result = await workspace.exec(command, { timeoutMs })
        let output = result.timedOut
          ? `timed out after ${timeoutMs} ms; the command was killed`
          : `exit code: ${result.exitCode}`
        if (result.stdout) output += `\nstdout:\n${result.stdout}`
        if (result.stderr) output += `\nstderr:\n${result.stderr}`
        if (result.outputLimited) output += '\n[the command printed too much and was stopped]'
        else if (result.truncated) output += '\n[output over the limit was dropped]'
        return { output, ok: result.exitCode === 0 }
      }
      case 'read_file': {
        const read = await workspace.readLimited(requireString(args, 'path'))
        // The note leads: the loop keeps the head of a long tool result.
        const note = read.truncated ? `[the file is longer than the read limit: only its first ${read.bytes} bytes follow]\n` : ''
        return { output: note + read.content, ok: true }
      }
      case 'write_file': {
        const path = requireString(args, 'path')
        const content = requireString(args, 'content')
        await workspace.write(path, content)
        return { output: `wrote ${Buffer.byteLength(content)} bytes to ${path}`, ok: true }
      }
    }
  } catch (error) {
    // The infrastructure failed (sandbox, or a WorkspaceError such as a full disk), not the model: the run ends as `error`.
    if (error instanceof SandboxError) throw error
    return { output: `error: ${error instanceof Error ? error.message : String(error)}`, ok: false }
  }
}

function requireString(args: Record<string, unknown>, key: string): string {
  const value = args[key]
  if (typeof value !== 'string') throw new Error(`argument \`${key}\` must be a string, got ${typeof value}`)
  return value
}
