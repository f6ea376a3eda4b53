import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { z } from 'zod'
import { ConfigurationError } from '../errors.js'
import { fieldName, hashOf } from '../json.js'
import { HarnessSpecSchema, type HarnessSpec } from './spec.js'

/** A harness spec with its identity. */
export interface HarnessVersion {
  /** The file's base name, e.g. `candidate`. */
  name: string
  /** Content hash of the normalized spec (defaults filled, keys sorted; `name` and `description` excluded). */
  id: string
  /** Absolute path of the file it came from, when it came from one. */
  file?: string
  spec: HarnessSpec
}

/** The run time limit every id is computed with (its old default), whatever the file says. */
const HASHED_RUN_TIMEOUT_MS = 120_000

/**
 * Id of a spec: the hash of its normalized behaviour-bearing content. `limits.runTimeoutMs` is a run setting (it
 * depends on the machine), so it is hashed as its old default whatever the file says: ids made before stay the
 * same, and records of a slow and a fast machine stay comparable.
 */
export function harnessId(spec: HarnessSpec): string {
  const { name: _name, description: _description, parent: _parent, ...behaviour } = spec
  return hashOf({ ...behaviour, limits: { ...behaviour.limits, runTimeoutMs: HASHED_RUN_TIMEOUT_MS } })
}

/** Validates raw JSON as a harness spec; errors name the file and the field. */
export function parseHarness(raw: unknown, file: string, name?: string): HarnessVersion {
  const parsed = HarnessSpecSchema.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    const field = fieldName(issue.path)
    throw new ConfigurationError(
      'HARNESS_INVALID',
      `Invalid harness file ${file}: field \`${field}\`: ${issue.message}.` +
        (parsed.error.issues.length > 1 ? ` (${parsed.error.issues.length - 1} more problem(s))` : '') +
        ' Fix the field and run again.',
      { file, field },
    )
  }
  const spec = parsed.data
  return { name: name ?? spec.name, id: harnessId(spec), file, spec }
}

/** Loads `harnesses/<name>.json` from a directory. */
export async function loadHarness(name: string, dir: string): Promise<HarnessVersion> {
  if (!/^[A-Za-z0-9][\w.-]*$/.test(name)) {
    throw new ConfigurationError(
      'HARNESS_NOT_FOUND',
      `Expected a harness name of letters, digits, '.', '_' or '-', got \`${name}\`.`,
      { field: 'harness' },
    )
  }
  const file = resolve(join(dir, `${name}.json`))
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (cause) {
    throw new ConfigurationError(
      'HARNESS_NOT_FOUND',
      `Unknown harness \`${name}\`: no file ${file}. Create it or choose another name with --harness.`,
      { cause, file, field: 'harness' },
    )
  }
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (cause) {
    throw new ConfigurationError(
      'HARNESS_INVALID',
      `Invalid harness file ${file}: not valid JSON (${(cause as Error).message}).`,
      { cause, file },
    )
  }
  return parseHarness(raw, file, name)
}

/** JSON Schema of the harness file, for editors and other tools. */
export function harnessJsonSchema(): unknown {
  return z.toJSONSchema(HarnessSpecSchema, { io: 'input' })
}
