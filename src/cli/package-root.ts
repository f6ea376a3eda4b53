import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

let root: string | undefined

/** The directory of the installed self-harness package (where its package.json is), from the source or the build. */
export function packageRoot(): string {
  if (root) return root
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    try {
      if ((JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string }).name === 'self-harness') return (root = dir)
    } catch {
      // no package.json here: look further up
    }
    const up = dirname(dir)
    if (up === dir) throw new Error(`self-harness: cannot find its own package.json above ${fileURLToPath(import.meta.url)}`)
    dir = up
  }
}

/** The package's version. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version
}
