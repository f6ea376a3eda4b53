import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseArgs } from '../../src/cli/args.js'
import { schemasCommand } from '../../src/cli/commands/schemas.js'
import { SAVED_FORMATS, jsonSchemas, schemaFileText } from '../../src/cli/schemas.js'
import { JSONL_FORMATS, SAMPLES, sample } from '../formats/samples.js'

const committed = resolve(import.meta.dirname, '../../schemas')
const stale = (file: string) => `schemas/${file} is out of date: run \`self-harness schemas\` (npm run build && node dist/src/cli/bin.js schemas) and commit the result`

describe('self-harness schemas', () => {
  it('publishes one schema per saved format, with an id and a title', () => {
    const schemas = jsonSchemas()
    expect(Object.keys(schemas).sort()).toEqual(
      ['baseline-history', 'calibration', 'flake-history', 'harness', 'journal-entry', 'ledger-entry', 'proposal', 'run-record', 'trace-event', 'verdict', 'weaknesses'],
    )
    for (const [name, schema] of Object.entries(schemas)) {
      expect(schema).toMatchObject({ $schema: 'https://json-schema.org/draft/2020-12/schema', $id: `self-harness/${name}.schema.json`, title: expect.any(String) })
    }
  })

  it('describes a harness file as people write it, defaults left out', () => {
    const harness = jsonSchemas().harness as { required: string[] }
    expect(harness.required).toEqual(['schemaVersion', 'name', 'systemPrompt', 'tools'])
  })

  it('keeps the committed schema files equal to what the zod schemas give now', async () => {
    const schemas = jsonSchemas()
    const files = (await readdir(committed)).filter((f) => f.endsWith('.schema.json')).sort()
    expect(files, stale('*.schema.json')).toEqual(Object.keys(schemas).map((n) => `${n}.schema.json`).sort())
    for (const [name, schema] of Object.entries(schemas)) {
      const file = `${name}.schema.json`
      expect(await readFile(join(committed, file), 'utf8'), stale(file)).toBe(schemaFileText(schema))
    }
  })

  it('writes the schema files to --out', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'schemas-'))
    try {
      const lines: string[] = []
      const code = await schemasCommand(parseArgs(['schemas', '--out=out']), dir, (text) => lines.push(text))
      expect(code).toBe(0)
      expect(lines.join('\n')).toContain('Wrote 11 JSON Schema files to out')
      for (const [name, schema] of Object.entries(jsonSchemas())) {
        expect(await readFile(join(dir, 'out', `${name}.schema.json`), 'utf8')).toBe(schemaFileText(schema))
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it.each(SAMPLES.filter((s) => s.valid))('accepts the sample $file under its zod schema', async ({ file, format }) => {
    const { schema } = SAVED_FORMATS.find((f) => f.name === format)!
    const text = await readFile(sample(file), 'utf8')
    const values = JSONL_FORMATS.has(format) ? text.split('\n').filter(Boolean).map((line) => JSON.parse(line)) : [JSON.parse(text)]
    expect(values.length).toBeGreaterThan(0)
    for (const [i, value] of values.entries()) {
      const parsed = schema.safeParse(value)
      expect(parsed.error?.issues, `${file}${values.length > 1 ? ` line ${i + 1}` : ''}`).toBeUndefined()
    }
  })
})
