import { readdir, readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { z } from 'zod'
import { ConfigurationError } from '../errors.js'
import { fieldName, hashOf } from '../json.js'
import { closest } from '../suggest.js'
import { HarnessSpecSchema, type HarnessSpec } from './spec.js'

/**
 * A harness spec with its identity. `S` is the data's shape: the built-in loop's {@link HarnessSpec}, or a team's
 * own harness data (validated by the schema of its agent, see `defineAgent`).
 */
export interface HarnessVersion<S = HarnessSpec> {
  /** The file's base name, e.g. `candidate`. */
  name: string
  /** Content hash of the normalized spec (defaults filled, keys sorted; `name` and `description` excluded). */
  id: string
  /** Absolute path of the file it came from, when it came from one. */
  file?: string
  spec: S
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

/** How many problems of one harness file a message names. */
const MAX_PROBLEMS = 10

/** Validates raw JSON as a harness spec; errors name the file and the field. */
export function parseHarness(raw: unknown, file: string, name?: string): HarnessVersion {
  const parsed = HarnessSpecSchema.safeParse(raw)
  if (!parsed.success) {
    const issues = parsed.error.issues
    const field = fieldName(issues[0]!.path)
    const shown = issues.slice(0, MAX_PROBLEMS).map((issue) => `field \`${fieldName(issue.path)}\`: ${issue.message}`)
    const more = issues.length - shown.length
    throw new ConfigurationError(
      'HARNESS_INVALID',
      `Invalid harness file ${file}: ${shown.join('; ')}.` +
        (more > 0 ? ` (${more} more problem(s))` : '') +
        (issues.length > 1 ? ' Fix the fields and run again.' : ' Fix the field and run again.'),
      { file, field },
    )
  }
  const spec = parsed.data
  return { name: name ?? spec.name, id: harnessId(spec), file, spec }
}

/** Turns a harness file's parsed JSON into a version: the built-in {@link parseHarness}, or a team's own format. */
export type HarnessParser<S> = (raw: unknown, file: string, name: string) => HarnessVersion<S>

/** Loads `harnesses/<name>.json` from a directory, validated by `parse` (the built-in harness spec by default). */
export async function loadHarness(name: string, dir: string): Promise<HarnessVersion>
export async function loadHarness<S>(name: string, dir: string, parse: HarnessParser<S>): Promise<HarnessVersion<S>>
export async function loadHarness(name: string, dir: string, parse: HarnessParser<unknown> = parseHarness): Promise<HarnessVersion<unknown>> {
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
    const available = await harnessNames(dir)
    const guess = available.find((n) => n.toLowerCase() === name.toLowerCase()) ?? closestName(name, available)
    const listed = available.length ? ` Available: ${available.map((n) => `\`${n}\``).join(', ')}.` : ` No harness files in ${resolve(dir)}.`
    throw new ConfigurationError(
      'HARNESS_NOT_FOUND',
      `Unknown harness \`${name}\`: no file ${file}.${guess ? ` Did you mean \`--harness=${guess}\`?` : ''}${listed} Create it or choose another name with --harness.`,
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
  return parse(raw, file, name)
}

/** Names of the harness files (`*.json`) in a directory, sorted; none when it cannot be read. */
async function harnessNames(dir: string): Promise<string[]> {
  const entries = await readdir(dir).catch(() => [] as string[])
  return entries.filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -'.json'.length)).sort()
}

/** The harness name closest to a mistyped one, letter case aside. */
function closestName(wrong: string, names: readonly string[]): string | undefined {
  const guess = closest(wrong.toLowerCase(), names.map((n) => n.toLowerCase()))
  return guess === undefined ? undefined : names.find((n) => n.toLowerCase() === guess)
}

/** JSON Schema of the harness file, for editors and other tools. */
export function harnessJsonSchema(): unknown {
  return z.toJSONSchema(HarnessSpecSchema, { io: 'input' })
}
