import { lstatSync, readdirSync, readlinkSync } from 'node:fs'

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
 * Entries of /etc that a shell, git, python and the C library need. Each bind costs a mount per command, so
 * the list is short; not bound are credentials and configuration that may hold secrets (shadow, ssl/private,
 * npmrc, pip.conf, gitconfig, ssh, ...). Symlinks among them are recreated, not bound.
 */
const ETC_NAMES = new Set([
  'alternatives', 'group', 'hosts', 'ld.so.cache', 'locale.alias', 'localtime', 'mime.types', 'nsswitch.conf',
  'os-release', 'passwd', 'protocols', 'services', 'timezone',
])
/** Tool configuration kept whole because the tool fails without it (the JVM reads its config from /etc). */
const ETC_PREFIXES = ['java-']
const ETC_SSL = ['/etc/ssl/certs', '/etc/ssl/openssl.cnf']

let systemArgs: string[] | undefined

/** The read-only system part of the arguments: /usr, the top-level system dirs and selected /etc entries. */
export function systemBindArgs(): string[] {
  if (systemArgs) return systemArgs
  const args = ['--ro-bind', '/usr', '/usr']
  for (const dir of SYSTEM_DIRS) {
    const target = symlinkTarget(dir)
    if (target !== undefined) args.push('--symlink', target, dir)
    else if (exists(dir)) args.push('--ro-bind', dir, dir)
  }
  let etc: string[] = []
  try {
    etc = readdirSync('/etc')
  } catch {
    // no /etc: nothing to bind
  }
  const wanted = etc
    .sort()
    .filter((name) => ETC_NAMES.has(name) || ETC_PREFIXES.some((prefix) => name.startsWith(prefix)))
    .map((name) => `/etc/${name}`)
  for (const path of [...wanted, ...ETC_SSL]) {
    const target = symlinkTarget(path)
    if (target !== undefined) args.push('--symlink', target, path)
    else args.push('--ro-bind-try', path, path)
  }
  systemArgs = args
  return args
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
