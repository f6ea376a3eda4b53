import { createHash, randomBytes } from 'node:crypto'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { z } from 'zod'
import { ConfigurationError } from '../errors.js'
import { stableStringify } from '../json.js'
import type { Redactor } from '../trace/redact.js'
import type { ChatCompletion, ChatRequest, ModelClient } from './model.js'

/** How the cache is used: `read-write` answers hits and stores misses; `read-only` never writes; `refresh` never reads. */
export type CacheMode = 'read-write' | 'read-only' | 'refresh'

/** Options of {@link createCachingClient}. */
export interface CachingClientOptions {
  /** Directory of the cache entries (one JSON file per key, fanned out over two levels of folders). */
  dir: string
  /** @default 'read-write' */
  mode?: CacheMode
  /**
   * The run's redactor: responses are stored redacted (a response that echoed a secret replays with the secret
   * replaced; the live answer reaches the agent unchanged). Absent = stored as the endpoint sent them.
   */
  redact?: Redactor
}

/** What a caching client has done so far. */
export interface CacheStats {
  /** Requests answered from the cache. */
  hits: number
  /** Requests passed to the model (`refresh` counts every request). */
  misses: number
  /** Entries written. */
  writes: number
  /** Entries that could not be written (the answer was still returned; a replay will miss them). */
  failedWrites: number
}

/** A model client that answers repeated requests from disk. */
export type CachingClient = ModelClient & { stats(): CacheStats }

/** A client that may say which sampling temperature it uses (it is part of the cache key). */
type ClientWithTemperature = ModelClient & { readonly temperature?: number }
/** A request that may carry its own temperature, which wins over the client's. */
type RequestWithTemperature = ChatRequest & { temperature?: number }

/** Version of the entry format. */
export const CACHE_SCHEMA_VERSION = 1

/** One cache entry on disk. The response is kept as the endpoint sent it, less secrets; only its outline is checked. */
export const CacheEntrySchema = z.object({
  schemaVersion: z.literal(CACHE_SCHEMA_VERSION),
  key: z.string().regex(/^[0-9a-f]{64}$/),
  model: z.string(),
  createdAt: z.string(),
  response: z.looseObject({ choices: z.array(z.looseObject({ message: z.looseObject({}) })).min(1) }),
})
export type CacheEntry = z.infer<typeof CacheEntrySchema>

/**
 * The cache key of a request: sha256 (hex) of the stable JSON of everything that decides the answer (model,
 * messages, tools, tool choice, temperature and the trial key). The abort signal is not part of it.
 */
export function cacheKey(model: string, request: RequestWithTemperature, temperature: number | undefined): string {
  const material = {
    v: CACHE_SCHEMA_VERSION,
    model,
    messages: request.messages,
    tools: request.tools?.length ? request.tools : null,
    // The endpoint sees a tool choice only when tools are offered (see createModelClient).
    toolChoice: request.tools?.length ? (request.toolChoice ?? 'auto') : null,
    temperature: request.temperature ?? temperature ?? null,
    trialKey: request.trialKey ?? null,
  }
  return createHash('sha256').update(stableStringify(material)).digest('hex')
}

/** Path of a key's entry: `<dir>/ab/cd/<key>.json`. */
export function cacheEntryPath(dir: string, key: string): string {
  return join(dir, key.slice(0, 2), key.slice(2, 4), `${key}.json`)
}

/**
 * Wraps a model client with an opt-in response cache on disk, for replaying runs. A hit answers without calling
 * the model; a missing, unreadable or corrupt entry is a miss (and is rewritten unless `read-only`). Entries are
 * written atomically (a temporary file, then a rename), so concurrent workers never see half an entry.
 */
export function createCachingClient(client: ModelClient, options: CachingClientOptions): CachingClient {
  const mode = options.mode ?? 'read-write'
  if (mode !== 'read-write' && mode !== 'read-only' && mode !== 'refresh') {
    throw new ConfigurationError('CONFIG_INVALID', `Expected \`cache.mode\` to be read-write, read-only or refresh, got \`${String(mode)}\`.`, { field: 'cache.mode' })
  }
  if (!options.dir) {
    throw new ConfigurationError('CONFIG_INVALID', 'Expected `cache.dir` to be a directory, got an empty value.', { field: 'cache.dir' })
  }
  const dir = options.dir
  const counts: CacheStats = { hits: 0, misses: 0, writes: 0, failedWrites: 0 }
  const temperature = (client as ClientWithTemperature).temperature

  return {
    model: client.model,
    stats: () => ({ ...counts }),
    async chat(request) {
      const key = cacheKey(client.model, request, temperature)
      const file = cacheEntryPath(dir, key)
      if (mode !== 'refresh') {
        const cached = await readEntry(file, key)
        if (cached) {
          counts.hits++
          return cached
        }
      }
      counts.misses++
      const response = await client.chat(request)
      if (mode !== 'read-only') {
        // A full disk must not cost the trial an answer the model already gave.
        const stored = options.redact ? options.redact.value(response) : response
        const written = await writeEntry(file, { schemaVersion: CACHE_SCHEMA_VERSION, key, model: client.model, createdAt: new Date().toISOString(), response: stored })
        if (written) counts.writes++
        else counts.failedWrites++
      }
      return response
    },
  }
}

/** The cached response of a key, or undefined when the entry is missing or does not parse. */
async function readEntry(file: string, key: string): Promise<ChatCompletion | undefined> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch {
    return undefined
  }
  try {
    const entry = CacheEntrySchema.safeParse(JSON.parse(text))
    if (!entry.success || entry.data.key !== key) return undefined
    return entry.data.response as unknown as ChatCompletion
  } catch {
    return undefined
  }
}

/** Writes an entry atomically; false when it could not be written. */
async function writeEntry(file: string, entry: Omit<CacheEntry, 'response'> & { response: ChatCompletion }): Promise<boolean> {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  try {
    await mkdir(dirname(file), { recursive: true })
    await writeFile(tmp, `${JSON.stringify(entry)}\n`)
    await rename(tmp, file)
    return true
  } catch {
    await rm(tmp, { force: true }).catch(() => {})
    return false
  }
}
