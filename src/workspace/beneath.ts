import { randomBytes } from 'node:crypto'
import { constants, type Stats } from 'node:fs'
import { lstat, mkdir, open, readlink, rename, unlink, type FileHandle } from 'node:fs/promises'
import { isAbsolute, relative, resolve, sep } from 'node:path'
import { StringDecoder } from 'node:string_decoder'
import { ConfigurationError, WorkspaceError } from '../errors.js'
import type { RunAs } from './run-as.js'

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK, O_NOCTTY } = constants

/** Symbolic links followed while resolving one path, as the kernel's own limit. */
const MAX_LINKS = 40
/** Longest path the file tools accept. */
const MAX_PATH = 4096
/** Faults of the machine, not of the path: they end the trial as `error`. */
const MACHINE_FAULTS = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EROFS', 'EMFILE', 'ENFILE', 'ENOMEM', 'EFBIG'])

/** Where one path beneath the root ends: an open directory and a name in it that is not a symbolic link. */
interface Resolved {
  /** The directories walked, root first; the last holds `name`. Closed by {@link closeAll}. */
  dirs: FileHandle[]
  /** The final name, or `''` when the path is the root itself. */
  name: string
  /** What `name` is now, or undefined when it does not exist. */
  info: Stats | undefined
}

/** What {@link readBeneath} read. */
export interface ReadResult {
  /** The text, decoded as UTF-8, at most `maxBytes` of the file (never a character cut in two). */
  content: string
  /** Bytes of the file read into `content`. */
  bytes: number
  /** The file was longer than `maxBytes`; the rest was not read. */
  truncated: boolean
}

/** The one text for a path that leads out of the workspace, whether or not anything exists there. */
export function outsideError(file: string): ConfigurationError {
  return new ConfigurationError('USAGE', `Expected a path inside the workspace, got \`${file}\`.`, { field: 'file' })
}

/** The absolute path of `file` beneath `root`, resolved lexically (links are not looked at); throws if it leaves. */
export function lexicalPath(root: string, file: string): string {
  if (typeof file !== 'string' || file.length === 0) throw pathError(file, 'expected a non-empty path')
  if (file.includes('\0') || Buffer.byteLength(file) > MAX_PATH) throw pathError(file, 'not a valid path')
  const full = isAbsolute(file) ? resolve(file) : resolve(root, file)
  if (!isWithin(root, full)) throw outsideError(file)
  return full
}

/**
 * Reads `file` beneath `root` without following any link out of it: the path is walked one component at a time,
 * each directory opened with O_NOFOLLOW through the one before it (`/proc/self/fd/N/name`), links inside resolved
 * by hand; only a regular file is opened (O_NONBLOCK, so a FIFO swapped in cannot block), and at most `maxBytes`.
 * With `owner` (the command user, when it is not the runner), a hard-linked file of another owner is outside.
 */
export async function readBeneath(root: string, file: string, maxBytes: number, owner?: RunAs): Promise<ReadResult> {
  const found = await walk(root, file, { create: undefined })
  try {
    if (found.name === '') throw notRegular(file, undefined, 'directory')
    if (!found.info) throw missingError(file)
    if (!found.info.isFile()) throw notRegular(file, found.info)
    const handle = await openFinal(found, file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY)
    try {
      const info = await handle.stat()
      if (!info.isFile()) throw notRegular(file, info)
      // A second name for a file the command user does not own: a hard link it made to a host file (possible
      // where fs.protected_hardlinks is off). Only a runner of another user than the commands can be led so.
      if (owner && info.nlink > 1 && info.uid !== owner.uid) throw outsideError(file)
      await assertStillBeneath(root, handle, file)
      return await readHead(handle, maxBytes)
    } finally {
      await handle.close()
    }
  } catch (error) {
    throw classify(error, file, 'read')
  } finally {
    await closeAll(found.dirs)
  }
}

/** Whether `file` names an entry beneath `root` (links inside followed, links out of it: false). */
export async function existsBeneath(root: string, file: string): Promise<boolean> {
  let found: Resolved | undefined
  try {
    found = await walk(root, file, { create: undefined })
    return found.name === '' || found.info !== undefined
  } catch {
    return false
  } finally {
    if (found) await closeAll(found.dirs)
  }
}

/** Options of {@link writeBeneath}. */
export interface WriteBeneathOptions {
  /** Owner of the new file and of new parent directories (the command user), when it is not the runner. */
  owner: RunAs | undefined
}

/**
 * Writes `content` to `file` beneath `root`, creating parent directories, without following any link out of it.
 * The bytes go to a new file beside the target, which then replaces it by rename: nothing is ever written through
 * an existing inode (a hard link or a FIFO swapped in), and a write that fails (disk full) leaves the old file whole.
 */
export async function writeBeneath(root: string, file: string, content: Buffer, options: WriteBeneathOptions): Promise<void> {
  const found = await walk(root, file, { create: options.owner ?? null })
  let temp: string | undefined
  try {
    if (found.name === '') throw notRegular(file, undefined, 'directory')
    if (found.info && !found.info.isFile()) throw notRegular(file, found.info)
    const dir = found.dirs.at(-1)!
    const mode = found.info ? found.info.mode & 0o777 : 0o644
    temp = `.self-harness-${randomBytes(8).toString('hex')}.tmp` // short: any name the target has still fits
    const handle = await open(`${fdPath(dir)}/${temp}`, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600)
    try {
      await handle.writeFile(content)
      if (options.owner) await handle.chown(options.owner.uid, options.owner.gid)
      await handle.chmod(mode)
    } finally {
      await handle.close()
    }
    await assertStillBeneath(root, dir, file)
    await rename(`${fdPath(dir)}/${temp}`, `${fdPath(dir)}/${found.name}`)
    temp = undefined
  } catch (error) {
    throw classify(error, file, 'write')
  } finally {
    if (temp !== undefined) await unlink(`${fdPath(found.dirs.at(-1)!)}/${temp}`).catch(() => undefined)
    await closeAll(found.dirs)
  }
}

/**
 * Walks `file` beneath `root`. Every directory is opened with O_DIRECTORY|O_NOFOLLOW relative to the one before
 * it, so a component swapped for a link by a concurrent command fails to open instead of being followed; links
 * met on the way are read and resolved against the walked directories (`..` pops one), an absolute target only
 * when it lies beneath `root`. With `create` (the owner of new directories, or null for the runner), missing
 * directories are made.
 */
async function walk(root: string, file: string, options: { create: RunAs | null | undefined }): Promise<Resolved> {
  const full = lexicalPath(root, file)
  const queue = relative(root, full).split(sep).filter((part) => part !== '' && part !== '.')
  const dirs = [await open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)]
  try {
    let links = 0
    while (queue.length > 0) {
      const part = queue.shift()!
      if (part === '.') continue
      if (part === '..') {
        if (dirs.length === 1) throw outsideError(file)
        await dirs.pop()!.close()
        continue
      }
      const path = `${fdPath(dirs.at(-1)!)}/${part}`
      const info = await lstat(path).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return undefined
        throw error
      })
      if (info?.isSymbolicLink()) {
        if (++links > MAX_LINKS) throw pathError(file, 'too many symbolic links')
        const target = await readlink(path)
        if (isAbsolute(target)) {
          if (!isWithin(root, resolve(target))) throw outsideError(file)
          while (dirs.length > 1) await dirs.pop()!.close()
          queue.unshift(...relative(root, resolve(target)).split(sep).filter((p) => p !== ''))
        } else {
          queue.unshift(...target.split('/').filter((p) => p !== ''))
        }
        continue
      }
      if (queue.length === 0) return { dirs, name: part, info }
      if (!info) {
        if (options.create === undefined) return { dirs, name: part, info: undefined } // a missing parent: missing
        await mkdir(path, { mode: 0o755 }).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'EEXIST') throw error
        })
      } else if (!info.isDirectory()) {
        throw pathError(file, 'a part of the path is not a directory')
      }
      const dir = await open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW).catch((error: NodeJS.ErrnoException) => {
        throw error.code === 'ELOOP' || error.code === 'ENOTDIR' ? raced(file) : error
      })
      dirs.push(dir)
      if (!info && options.create) await dir.chown(options.create.uid, options.create.gid)
    }
    return { dirs, name: '', info: undefined }
  } catch (error) {
    await closeAll(dirs)
    throw classify(error, file, options.create === undefined ? 'read' : 'write')
  }
}

async function openFinal(found: Resolved, file: string, flags: number): Promise<FileHandle> {
  try {
    return await open(`${fdPath(found.dirs.at(-1)!)}/${found.name}`, flags)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    // Changed since the walk looked: a link (ELOOP), a socket (ENXIO) or gone.
    if (code === 'ELOOP' || code === 'ENXIO' || code === 'ENOENT') throw raced(file)
    throw error
  }
}

/** Reads at most `maxBytes`, in chunks, and learns whether more follows by asking for one byte more. */
async function readHead(handle: FileHandle, maxBytes: number): Promise<ReadResult> {
  const buffer = Buffer.alloc(Math.min(maxBytes + 1, 64 * 1024))
  const decoder = new StringDecoder('utf8')
  let content = ''
  let bytes = 0
  while (bytes <= maxBytes) {
    const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, maxBytes + 1 - bytes), bytes)
    if (bytesRead === 0) break
    const keep = Math.min(bytesRead, maxBytes - bytes)
    content += decoder.write(buffer.subarray(0, keep))
    bytes += keep
    if (keep < bytesRead) return { content, bytes, truncated: true }
  }
  return { content: content + decoder.end(), bytes, truncated: false }
}

/** The descriptor's path as the kernel sees it now must still lie beneath `root` (nothing was moved out). */
async function assertStillBeneath(root: string, handle: FileHandle, file: string): Promise<void> {
  const now = (await readlink(fdPath(handle))).replace(/ \(deleted\)$/, '')
  if (!isWithin(root, now)) throw outsideError(file)
}

function fdPath(handle: FileHandle): string {
  return `/proc/self/fd/${handle.fd}`
}

async function closeAll(handles: FileHandle[]): Promise<void> {
  await Promise.all(handles.splice(0).map((handle) => handle.close().catch(() => undefined)))
}

function isWithin(dir: string, full: string): boolean {
  const rel = relative(dir, full)
  return rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel)
}

function kindOf(info: Stats | undefined): string {
  if (!info) return 'special file'
  if (info.isDirectory()) return 'directory'
  if (info.isFIFO()) return 'FIFO'
  if (info.isSocket()) return 'socket'
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'device'
  return 'special file'
}

function notRegular(file: string, info: Stats | undefined, kind = kindOf(info)): ConfigurationError {
  return pathError(file, `it is a ${kind}; the file tools read and write regular files only`)
}

function missingError(file: string): ConfigurationError {
  return pathError(file, 'no such file in the workspace')
}

function raced(file: string): ConfigurationError {
  return pathError(file, 'it changed while it was being opened; try again')
}

function pathError(file: unknown, why: string): ConfigurationError {
  return new ConfigurationError('USAGE', `Cannot use \`${String(file).slice(0, 300)}\`: ${why}.`, { field: 'file' })
}

/**
 * Errors of the path (the model's to fix) stay ConfigurationErrors, read by the model as a tool result; faults of
 * the machine become a {@link WorkspaceError} naming the file, and end the trial as `error`.
 */
function classify(error: unknown, file: string, action: 'read' | 'write'): Error {
  if (error instanceof ConfigurationError || error instanceof WorkspaceError) return error
  const code = (error as NodeJS.ErrnoException).code ?? ''
  if (MACHINE_FAULTS.has(code)) {
    const reason = (error as Error).message.replace(/,.*$/, '')
    return new WorkspaceError(`Could not ${action} \`${file}\` in the workspace: ${reason}.`, { file, cause: error })
  }
  if (code === 'ENOENT') return missingError(file)
  if (code === 'ENOTDIR') return pathError(file, 'a part of the path is not a directory')
  if (code === 'EISDIR') return notRegular(file, undefined, 'directory')
  if (code === 'EACCES' || code === 'EPERM') return pathError(file, 'permission denied')
  if (code === 'ENAMETOOLONG') return pathError(file, 'the name is too long')
  if (code === 'ELOOP') return raced(file)
  return pathError(file, code || (error instanceof Error ? error.message : String(error)))
}
