import type { WeaknessCategory } from './categories.js'
import type { TraceFeatures } from './features.js'

/** Errors that mean something the command needs was never set up: identity, permissions, an installed tool. */
export const PREREQUISITE_ERRORS: ReadonlySet<string> = new Set(['identity unknown', 'permission denied', 'command not found'])

/** Errors that mean a step ran before the step that makes what it uses (a file, a table, a target). */
export const ORDER_ERRORS: ReadonlySet<string> = new Set(['no such file or directory', 'no such table', 'nothing to commit'])

/**
 * The category the features point to, first rule that holds:
 * 0. the run made no tool call on the workspace (nothing, or only `finish`) and did not error: `no-tool-call`
 *    (the model did not act: an endpoint without tool calling, or a task the model cannot start on);
 * 0b. the run ended because it used all its turns (`max-turns`): `out-of-turns`, whatever else the trace shows;
 * 1. the run stopped on a failed command: a prerequisite error is `prerequisite-missing`, a missing input is
 *    `planning-order`, anything else (a timeout included) is `error-recovery` (it gave up instead of handling it);
 * 2. the run itself timed out: `error-recovery`;
 * 3. a read-back MISMATCH was ignored: `verification-missing`;
 * 4. the expected value is in the instruction but the agent never used it, in a long conversation: `context-lost`;
 * 5. a write was followed by `finish` without a read-back: `verification-missing`;
 * 6. a wrong value at the end of a long conversation: `context-lost`;
 * 7. a clean finish with a wrong result: `capability-gap`; otherwise `other`.
 */
export function guessCategory(features: TraceFeatures): WeaknessCategory {
  const { cause } = features
  if (features.noAction) return 'no-tool-call'
  if (features.maxTurns) return 'out-of-turns'
  if (cause) {
    if (PREREQUISITE_ERRORS.has(cause.errorKey)) return 'prerequisite-missing'
    if (ORDER_ERRORS.has(cause.errorKey)) return 'planning-order'
    return 'error-recovery'
  }
  if (features.runTimedOut) return 'error-recovery'
  if (features.mismatch) return 'verification-missing'
  if (features.lostValue && features.longConversation) return 'context-lost'
  if (features.unverifiedWrite) return 'verification-missing'
  if (features.longConversation && features.assertionKind === 'value') return 'context-lost'
  if (features.end === 'finish' && features.assertion !== null) return 'capability-gap'
  return 'other'
}
