import type { AgentRun } from '../src/agent/loop.js'
import type { HarnessVersion } from '../src/harness/version.js'
import type { Workspace } from '../src/workspace/workspace.js'
import type { ProvidedSettings, TaskMetaRecord } from './provided.js'

/** The agent bound to the trial's workspace and the harness in force. */
export interface Agent {
  /**
   * Runs the agent on an instruction; resolves with the run and its trace when it finished or ran out of turns.
   * A run that timed out or errored throws a `TrialInfrastructureError` (holding the run), and the trial is recorded
   * as `error`, never as a failure.
   */
  run(instruction: string): Promise<AgentRun>
}

declare module '@vitest/runner' {
  interface TestContext {
    /** The agent under the harness in force, bound to this trial's workspace. */
    agent: Agent
    /** This trial's fresh directory. */
    workspace: Workspace
    /** The harness version in force. */
    harness: HarnessVersion
  }
  interface TaskMeta {
    /** Trials of this task, written by the self-harness runner. */
    selfHarness?: TaskMetaRecord & { taskId: string }
  }
}

declare module 'vitest' {
  interface ProvidedContext {
    selfHarness: ProvidedSettings
  }
}
