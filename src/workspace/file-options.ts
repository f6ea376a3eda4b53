import { ConfigurationError } from '../errors.js'

/** Limits of the workspace's file operations (and so of the model's `read_file` and `write_file`). */
export interface FileOptions {
  /** Bytes read from one file at most; `read_file` shows this much and says the rest was left out. @default 1048576 */
  maxReadBytes?: number
  /** Bytes written to one file at most. @default 16777216 */
  maxWriteBytes?: number
}

/** {@link FileOptions} with defaults filled in. */
export type ResolvedFileOptions = Required<FileOptions>

/** Largest limit accepted: a file tool holds what it reads or writes in memory. */
const MAX_LIMIT = 1024 * 1024 * 1024

/** Copies `raw`, fills defaults and validates every field. */
export function resolveFileOptions(raw: FileOptions = {}): ResolvedFileOptions {
  const options = { maxReadBytes: raw.maxReadBytes ?? 1024 * 1024, maxWriteBytes: raw.maxWriteBytes ?? 16 * 1024 * 1024 }
  for (const field of ['maxReadBytes', 'maxWriteBytes'] as const) {
    const value: unknown = options[field]
    if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0 || value > MAX_LIMIT) {
      throw new ConfigurationError(
        'CONFIG_INVALID',
        `Expected \`files.${field}\` to be a positive integer of at most ${MAX_LIMIT}, got \`${String(value)}\`.`,
        { field: `files.${field}` },
      )
    }
  }
  return options
}
