import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'

/**
 * Where vite and vitest keep their cache for a suite at `root`: `node_modules/.vite` of the nearest folder with a
 * package.json (vite's own default), not of the suite folder. vitest's default, `<root>/node_modules/.vite`, makes
 * a suite folder without a package.json look like a package root to npm, and `npx self-harness` there then fails.
 * Undefined when the user chose a cache directory, or when no folder above has a package.json.
 */
export function cacheDirFor(root: string, userCacheDir: string | undefined): string | undefined {
  if (userCacheDir !== undefined) return undefined
  for (let dir = resolve(root); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'node_modules', '.vite')
    if (dirname(dir) === dir) return undefined
  }
}
