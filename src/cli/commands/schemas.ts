import { mkdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { stringFlag, type ParsedArgs } from '../args.js'
import { jsonSchemas, schemaFileText } from '../schemas.js'

/** Default directory `self-harness schemas` writes to. */
export const DEFAULT_SCHEMAS_DIR = 'schemas'

/** `self-harness schemas [--out=DIR]`: writes one JSON Schema file per saved format. */
export async function schemasCommand(args: ParsedArgs, cwd: string, out: (text: string) => void): Promise<number> {
  const dir = resolve(cwd, stringFlag(args, 'out') ?? DEFAULT_SCHEMAS_DIR)
  await mkdir(dir, { recursive: true })
  const schemas = Object.entries(jsonSchemas())
  for (const [name, schema] of schemas) await writeFile(join(dir, `${name}.schema.json`), schemaFileText(schema))
  out(`Wrote ${schemas.length} JSON Schema files to ${stringFlag(args, 'out') ?? DEFAULT_SCHEMAS_DIR}.`)
  return 0
}
