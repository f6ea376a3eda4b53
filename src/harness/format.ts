import { z } from 'zod'
import { ConfigurationError } from '../errors.js'
import { fieldName, hashOf } from '../json.js'
import { applyPatch, applyPatchWith, type PatchOp } from './patch.js'
import { HarnessSpecSchema, type HarnessSpec } from './spec.js'
import { harnessId, parseHarness, type HarnessVersion } from './version.js'

/**
 * How the harness data of one kind of agent is read, identified, patched and saved: the built-in loop's spec, or
 * a team's own data under its zod schema. Everything that handles harness versions (the plugin, the record checks,
 * the proposer's guards, evolve) goes through one, so a team's harness is versioned and edited like ours.
 */
export interface HarnessFormat<S = unknown> {
  readonly kind: 'builtin' | 'custom'
  /** Validates a harness file's JSON; errors name the file and the field. */
  parse(raw: unknown, file: string, name: string): HarnessVersion<S>
  /** The content hash of validated data: the harness id. */
  id(spec: S): string
  /** Applies patch operations and validates the result (throws `PatchError`). */
  apply(spec: S, ops: readonly PatchOp[]): S
  /** The data as saved for a named version of a lineage (ours records its name and parent; a team's is left as it is). */
  named(spec: S, name: string, parent?: string): S
  /** JSON Schema of the data (input side: defaults are optional), descriptions included. */
  jsonSchema(): Record<string, unknown>
}

/** The built-in loop's harness spec (`harnesses/<name>.json` as docs/agent-protocol.md describes it). */
export const builtinHarnessFormat: HarnessFormat<HarnessSpec> = Object.freeze({
  kind: 'builtin' as const,
  parse: (raw: unknown, file: string, name: string) => parseHarness(raw, file, name),
  id: harnessId,
  apply: applyPatch,
  named: (spec: HarnessSpec, name: string, parent?: string) => ({ ...spec, name, ...(parent ? { parent } : {}) }),
  jsonSchema: () => z.toJSONSchema(HarnessSpecSchema, { io: 'input' }) as Record<string, unknown>,
})

/**
 * A team's own harness data, validated by their zod schema. The id is the hash of the validated data (defaults
 * filled, keys sorted), so two files that mean the same thing have the same id, as ours do. Nothing is added to the
 * data: a version's name is its file's name.
 */
export function dataHarnessFormat(schema: z.ZodType): HarnessFormat<unknown> {
  return {
    kind: 'custom',
    parse(raw, file, name) {
      const parsed = schema.safeParse(raw)
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!
        const field = fieldName(issue.path)
        throw new ConfigurationError(
          'HARNESS_INVALID',
          `Invalid harness file ${file}: field \`${field}\`: ${issue.message}.` +
            (parsed.error.issues.length > 1 ? ` (${parsed.error.issues.length - 1} more problem(s))` : '') +
            " Fix the field (the agent's `harnessSchema` says what it takes) and run again.",
          { file, field },
        )
      }
      return { name, id: hashOf(parsed.data), file, spec: parsed.data }
    },
    id: (spec) => hashOf(spec),
    apply: (spec, ops) => applyPatchWith(schema, spec, ops),
    named: (spec) => spec,
    jsonSchema: () => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>,
  }
}
