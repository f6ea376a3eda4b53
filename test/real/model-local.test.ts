import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
// @ts-expect-error: a plain script (no types); it runs before `npm ci` too
import { buildFlags, cacheRoot, llamaServerPaths, parseArgs, readGgufMetadata, readLock, status } from '../../scripts/model-local.mjs'

// The parts of scripts/model-local.mjs that need no download or build: the lock, the build flags, the cache
// folder, the flags, the GGUF reader on files written here.

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'model-local-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** A small GGUF file: magic, version 3, no tensors, the given string and u32 metadata. */
function gguf(kv: Array<[string, string | number]>): Buffer {
  const u32 = (n: number) => Buffer.from(new Uint32Array([n]).buffer)
  const u64 = (n: number) => Buffer.from(new BigUint64Array([BigInt(n)]).buffer)
  const str = (s: string) => Buffer.concat([u64(Buffer.byteLength(s)), Buffer.from(s)])
  const parts = [Buffer.from('GGUF'), u32(3), u64(0), u64(kv.length + 1)]
  for (const [k, v] of kv) parts.push(str(k), ...(typeof v === 'string' ? [u32(8), str(v)] : [u32(4), u32(v)]))
  parts.push(str('tokenizer.ggml.tokens'), u32(9), u32(8), u64(2), str('a'), str('b')) // an array of strings
  return Buffer.concat(parts)
}

describe('models.lock.json', () => {
  it('pins llama-server source and every model by sha256, with a test-tier and a loop model', () => {
    const lock = readLock()
    expect(lock.llamaServer).toMatchObject({ package: 'node-llama-cpp', bundle: 'package/llama/gitRelease.bundle' })
    expect(lock.llamaServer.integrity).toMatch(/^sha512-[A-Za-z0-9+/]+=*$/)
    expect(lock.llamaServer.commit).toMatch(/^[0-9a-f]{40}$/)
    expect(Object.keys(lock.models)).toContain(lock.testModel)
    expect(Object.keys(lock.models)).toContain(lock.loopModel)
    for (const model of Object.values(lock.models) as Array<Record<string, any>>) {
      expect(model.sha256).toMatch(/^[0-9a-f]{64}$/)
      expect(model.sizeBytes).toBeGreaterThan(1e6)
      expect(model.licence).toBeTruthy()
      for (const p of model.packages) {
        expect(p.sha256).toMatch(/^[0-9a-f]{64}$/)
        expect(p.file).toMatch(/\.whl$/)
        expect(p.member).toBeTruthy()
      }
    }
  })
})

describe('build flags', () => {
  const cpu = (flags: string) => `processor : 0\nflags : fpu sse ${flags}\n`
  it('uses AVX-512 where the CPU has avx512f, AMX off and never a native build', () => {
    const { key, flags } = buildFlags(cpu('avx avx2 avx512f amx_tile'), 'x64')
    expect(key).toBe('avx512')
    expect(flags).toEqual(expect.arrayContaining(['-DGGML_NATIVE=OFF', '-DGGML_AVX2=ON', '-DGGML_AVX512=ON', '-DGGML_AMX_TILE=OFF', '-DGGML_AMX_INT8=OFF', '-DGGML_AMX_BF16=OFF', '-DBUILD_SHARED_LIBS=OFF', '-DLLAMA_CURL=OFF']))
  })
  it('falls back to AVX2 without avx512f, and refuses a CPU without AVX2', () => {
    expect(buildFlags(cpu('avx avx2'), 'x64')).toMatchObject({ key: 'avx2' })
    expect(buildFlags(cpu('avx avx2'), 'x64').flags).toContain('-DGGML_AVX512=OFF')
    expect(() => buildFlags(cpu('avx'), 'x64')).toThrow(/no AVX2/)
  })
})

describe('cache and status', () => {
  it('keeps the cache outside the repository: an override, else XDG_CACHE_HOME, else ~/.cache', () => {
    expect(cacheRoot({ SELF_HARNESS_MODEL_CACHE: '/x/cache' })).toBe('/x/cache')
    expect(cacheRoot({ XDG_CACHE_HOME: '/x/xdg' })).toBe('/x/xdg/self-harness')
    const paths = llamaServerPaths(readLock(), { SELF_HARNESS_MODEL_CACHE: '/x/cache' }, 'flags : avx2 avx512f')
    expect(paths.binary).toMatch(new RegExp(`^/x/cache/llama/${readLock().llamaServer.version}/build-avx512/bin/llama-server$`))
  })
  it('says what is missing and how to prepare it, fetching nothing', () => {
    const s = status({ env: { SELF_HARNESS_MODEL_CACHE: join(dir, 'empty') } })
    expect(s.ready).toBe(false)
    expect(s.reason).toContain('not prepared: llama-server')
    expect(s.reason).toContain('node scripts/model-local.mjs --prepare')
    expect(status({ model: 'nope', env: {} }).reason).toMatch(/No model `nope`/)
  })
})

describe('flags', () => {
  it('parses the commands and the numbers, and refuses the rest by name', () => {
    expect(parseArgs([])).toEqual({ command: 'start' })
    expect(parseArgs(['--prepare', '--model=m'])).toEqual({ command: 'prepare', model: 'm' })
    expect(parseArgs(['--port=8080', '--parallel=3', '--ctx=4096', '--threads=1'])).toEqual({ command: 'start', port: 8080, parallel: 3, ctxPerSlot: 4096, threads: 1 })
    expect(() => parseArgs(['--port=0'])).toThrow('Expected `--port` to be a positive integer, got `0`')
    expect(() => parseArgs(['--prot=1'])).toThrow('Unknown flag `--prot`')
  })
})

describe('the GGUF reader', () => {
  it('reads general.name and skips arrays', async () => {
    const file = join(dir, 'm.gguf')
    await writeFile(file, gguf([['general.architecture', 'qwen2'], ['general.name', 'Tiny Test'], ['general.file_type', 15]]))
    const meta = await readGgufMetadata(file)
    expect(meta).toMatchObject({ 'gguf.version': 3, 'general.name': 'Tiny Test', 'general.architecture': 'qwen2', 'general.file_type': 15, 'tokenizer.ggml.tokens': '[2 items]' })
  })
  it('refuses a file without the GGUF magic, and one cut short', async () => {
    const bad = join(dir, 'bad.gguf')
    await writeFile(bad, Buffer.from('PK\u0003\u0004 not a model'))
    await expect(readGgufMetadata(bad)).rejects.toThrow(/not a GGUF file/)
    const cut = join(dir, 'cut.gguf')
    await writeFile(cut, gguf([['general.name', 'Tiny Test']]).subarray(0, 40))
    await expect(readGgufMetadata(cut)).rejects.toThrow(/ends early/)
  })
})
