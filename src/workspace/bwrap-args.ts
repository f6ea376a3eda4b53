import { createHash, type Hash } from 'node:crypto'
import { chmodSync, cpSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, renameSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

/** What one bubblewrap sandbox sees beyond the read-only system. */
export interface BwrapLayout {
  /** Directories bound read-write at the same path (the workspace, the private HOME). */
  writable: string[]
  /** Extra host paths bound read-only at the same path. */
  readOnly: string[]
  /** Working directory inside the sandbox. */
  chdir?: string
  /** Size of the private /tmp and /dev/shm (tmpfs, in memory). */
  tmpSizeBytes: number
  /** Add the hardening flags that need bubblewrap >= 0.8 (`--size`, `--disable-userns`). */
  modern: boolean
  /** File descriptor bubblewrap reports the command's exit status on (proves the sandbox started). */
  statusFd?: number
}

/** Top-level directories that may be symlinks into /usr (merged /usr) or real directories. */
const SYSTEM_DIRS = ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32']

/**
 * Entries of /etc that a shell, git, python and the C library need. Not included are credentials and
 * configuration that may hold secrets (shadow, ssl/private, npmrc, pip.conf, gitconfig, ssh, ...).
 */
const ETC_NAMES = new Set([
  'alternatives', 'group', 'hosts', 'ld.so.cache', 'locale.alias', 'localtime', 'mime.types', 'nsswitch.conf',
  'os-release', 'passwd', 'protocols', 'services', 'timezone',
])
/** Tool configuration kept whole because the tool fails without it (the JVM reads its config from /etc). */
const ETC_PREFIXES = ['java-']
const ETC_SSL = ['certs', 'openssl.cnf']

/** Shared by every copy of this module in the process. */
const SLOT = Symbol.for('self-harness.sandbox-system.v1')
type Slot = { [SLOT]?: { args: string[]; etc: string } }

/**
 * The read-only system part of the arguments: /usr, the top-level system dirs and /etc. The sandbox's /etc is a
 * private copy of the selected entries (see {@link sandboxEtc}), bound as one directory: a bind costs a mount per
 * command, and one instead of twenty saves about a fifth of a command's start.
 */
export function systemBindArgs(): string[] {
  const slot = globalThis as Slot
  if (slot[SLOT]) return slot[SLOT].args
  const args = ['--ro-bind', '/usr', '/usr']
  for (const dir of SYSTEM_DIRS) {
    const target = symlinkTarget(dir)
    if (target !== undefined) args.push('--symlink', target, dir)
    else if (exists(dir)) args.push('--ro-bind', dir, dir)
  }
  const etc = copyEtc()
  args.push('--ro-bind', etc, '/etc')
  slot[SLOT] = { args, etc }
  return args
}

/** The directory bound as the sandbox's /etc (see {@link copyEtc}). */
export function sandboxEtc(): string {
  systemBindArgs()
  return (globalThis as Slot)[SLOT]!.etc
}

/**
 * The copy of the selected /etc entries (symlinks as symlinks) bound as the sandbox's /etc: one directory per user
 * and content, `<tmpdir>/self-harness-etc-<uid>-<hash>`, made once and shared by every runner process (it is never
 * written after it is complete, so no process needs to remove it). A directory at that path that is not the
 * user's own, or is writable by others, is not trusted: a private copy is made instead and removed at exit.
 */
function copyEtc(): string {
  const sources = etcSources()
  const hash = createHash('sha256')
  for (const [from] of sources) stamp(from, hash)
  const uid = process.getuid?.() ?? -1
  const shared = join(tmpdir(), `self-harness-etc-${uid}-${hash.digest('hex').slice(0, 16)}`)
  if (isOwnDirectory(shared, uid)) return shared
  const fresh = mkdtempSync(join(tmpdir(), 'self-harness-etc-'))
  chmodSync(fresh, 0o755)
  for (const [from, to] of sources) {
    try {
      mkdirSync(dirname(join(fresh, to)), { recursive: true, mode: 0o755 })
      cpSync(from, join(fresh, to), { recursive: true, verbatimSymlinks: true })
    } catch {
      // unreadable or gone: left out, as a missing entry would be
    }
  }
  try {
    renameSync(fresh, shared)
    return shared
  } catch {
    // another process made it first, or the path is taken
  }
  if (isOwnDirectory(shared, uid)) {
    rmSync(fresh, { recursive: true, force: true })
    return shared
  }
  process.once('exit', () => rmSync(fresh, { recursive: true, force: true }))
  return fresh
}

/** The host paths copied into the sandbox's /etc, each with its path inside it. */
function etcSources(): Array<[string, string]> {
  let names: string[] = []
  try {
    names = readdirSync('/etc').sort()
  } catch {
    // no /etc: an empty one
  }
  const picked = names.filter((name) => ETC_NAMES.has(name) || ETC_PREFIXES.some((prefix) => name.startsWith(prefix)))
  return [
    ...picked.map((name): [string, string] => [join('/etc', name), name]),
    ...ETC_SSL.filter((name) => exists(join('/etc/ssl', name))).map((name): [string, string] => [join('/etc/ssl', name), join('ssl', name)]),
  ]
}

/** Feeds what identifies the content under `path` (names, sizes, times, modes, link targets) into `hash`. */
function stamp(path: string, hash: Hash): void {
  let info
  try {
    info = lstatSync(path)
  } catch {
    return
  }
  hash.update(`${path}\0${info.size}\0${info.mtimeMs}\0${info.mode}\0`)
  if (info.isSymbolicLink()) hash.update(readlinkSync(path))
  else if (info.isDirectory()) {
    let names: string[] = []
    try {
      names = readdirSync(path).sort()
    } catch {
      // unreadable: identified by its own entry
    }
    for (const name of names) stamp(join(path, name), hash)
  }
}

function isOwnDirectory(path: string, uid: number): boolean {
  try {
    const info = lstatSync(path)
    return info.isDirectory() && info.uid === uid && (info.mode & 0o022) === 0
  } catch {
    return false
  }
}

/** The full bubblewrap argument list (without the command) for one sandbox. */
export function bwrapArgs(layout: BwrapLayout): string[] {
  const size = (): string[] => (layout.modern ? ['--size', String(layout.tmpSizeBytes)] : [])
  const args = [
    '--unshare-user', '--unshare-ipc', '--unshare-pid', '--unshare-net', '--unshare-uts', '--unshare-cgroup-try',
    '--die-with-parent', '--new-session',
    ...(layout.modern ? ['--disable-userns'] : []),
    '--hostname', 'sandbox',
    ...systemBindArgs(),
    '--proc', '/proc',
    '--dev', '/dev',
    ...size(), '--tmpfs', '/dev/shm',
    '--remount-ro', '/dev',
    ...size(), '--tmpfs', '/tmp',
  ]
  for (const path of layout.readOnly) args.push('--ro-bind', path, path)
  for (const path of layout.writable) args.push('--bind', path, path)
  args.push('--remount-ro', '/')
  if (layout.chdir) args.push('--chdir', layout.chdir)
  if (layout.statusFd !== undefined) args.push('--json-status-fd', String(layout.statusFd))
  return args
}

function symlinkTarget(path: string): string | undefined {
  try {
    return lstatSync(path).isSymbolicLink() ? readlinkSync(path) : undefined
  } catch {
    return undefined
  }
}

function exists(path: string): boolean {
  try {
    lstatSync(path)
    return true
  } catch {
    return false
  }
}
