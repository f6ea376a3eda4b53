import { z } from 'zod'
import type { ResponseFormat } from './model.js'

/** A structured-output request (`response_format: { type: 'json_schema' }`) built from a zod schema. */
export function responseFormatOf(name: string, schema: z.ZodType): ResponseFormat {
  const { $schema: _, ...body } = z.toJSONSchema(schema, { io: 'input' }) as Record<string, unknown>
  return { name, schema: body }
}
