import { RECORD_SCHEMA_VERSION, type RunRecord } from '../record/schema.js'
import type { GatePolicy } from './policy.js'
import type { Alignment } from './tally.js'

/** Reasons two records cannot be compared at all, from their headers; empty when they can. */
export function headerProblems(baseline: RunRecord, candidate: RunRecord, policy: GatePolicy): string[] {
  const problems: string[] = []
  // Records are typed, but one read without parsing may carry another version: check the header anyway.
  const headers = [
    ['baseline', baseline as { kind: unknown; schemaVersion: unknown }],
    ['candidate', candidate as { kind: unknown; schemaVersion: unknown }],
  ] as const
  if (headers[0][1].schemaVersion !== headers[1][1].schemaVersion) {
    problems.push(
      `The records have different schema versions (${String(headers[0][1].schemaVersion)} vs ` +
        `${String(headers[1][1].schemaVersion)}).`,
    )
  }
  for (const [side, header] of headers) {
    if (header.kind !== 'self-harness/run-record') {
      problems.push(`The ${side} is not a run record (kind \`${String(header.kind)}\`).`)
    } else if (header.schemaVersion !== RECORD_SCHEMA_VERSION) {
      problems.push(
        `The ${side} record has schemaVersion ${String(header.schemaVersion)}; this gate reads ${RECORD_SCHEMA_VERSION}.`,
      )
    }
  }
  if (baseline.model !== candidate.model && !policy.allowModelChange) {
    problems.push(
      `The records were made with different models (\`${baseline.model}\` vs \`${candidate.model}\`); ` +
        'set `allowModelChange` to compare them anyway.',
    )
  }
  if (baseline.taskSetHash !== candidate.taskSetHash && !policy.allowTaskSetChange) {
    problems.push(
      `The records ran different task sets (taskSetHash \`${baseline.taskSetHash}\` vs \`${candidate.taskSetHash}\`); ` +
        'rerun the baseline on the same tasks, or set `allowTaskSetChange` to compare the tasks they share.',
    )
  }
  return problems
}

/** Reasons the aligned task lists cannot be compared: duplicate ids, or tasks on one side only. */
export function alignmentProblems(alignment: Alignment, policy: GatePolicy): string[] {
  const problems: string[] = []
  if (alignment.duplicates.length > 0) {
    problems.push(`Task ids appear more than once in a record: ${list(alignment.duplicates)}.`)
  }
  if (!policy.allowTaskSetChange) {
    if (alignment.removed.length > 0) {
      problems.push(`Tasks only in the baseline: ${list(alignment.removed.map((t) => t.id))}.`)
    }
    if (alignment.added.length > 0) {
      problems.push(`Tasks only in the candidate: ${list(alignment.added.map((t) => t.id))}.`)
    }
  }
  return problems
}

function list(ids: readonly string[], max = 10): string {
  const shown = ids.slice(0, max).map((id) => `\`${id}\``)
  return ids.length > max ? `${shown.join(', ')} and ${ids.length - max} more` : shown.join(', ')
}
