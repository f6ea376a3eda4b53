import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

// The import rules of STYLE.md, read from the source's import statements so they stay true.

const root = resolve(import.meta.dirname, '../..')
const LAYERS: Record<string, number> = {
  'json.ts': 0, 'errors.ts': 0, 'suggest.ts': 0, index: 9,
  harness: 1, trace: 1, workspace: 2, agent: 2, record: 3, run: 3, gate: 4, miner: 4, report: 4, proposer: 5, evolve: 6, pipeline: 6, cli: 7,
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name)
    return statSync(full).isDirectory() ? files(full) : full.endsWith('.ts') ? [full] : []
  })
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  const found = [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"\n]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)import\s+['"]([^'"]+)['"]/g)]
  return found.map((m) => m[1] ?? m[2] ?? m[3]!).filter(Boolean)
}

/** The layer of a file under src/: its first folder, or its own name at the top. */
function layerOf(file: string): number {
  const rel = relative(join(root, 'src'), file).split('/')
  const key = rel.length === 1 ? (rel[0] === 'index.ts' ? 'index' : rel[0]!) : rel[0]!
  const layer = LAYERS[key]
  if (layer === undefined) throw new Error(`No layer for ${file}: add its folder to LAYERS`)
  return layer
}

const resolveLocal = (from: string, spec: string) => resolve(dirname(from), spec).replace(/\.js$/, '.ts')

describe('import direction', () => {
  it('keeps src/ free of vitest, vite and plugin/', () => {
    const offenders = files(join(root, 'src')).flatMap((file) =>
      importsOf(file).filter((spec) => /^(vitest|vite)(\/|$)/.test(spec) || (spec.startsWith('.') && resolveLocal(file, spec).startsWith(join(root, 'plugin')))).map((spec) => `${relative(root, file)} -> ${spec}`),
    )
    expect(offenders).toEqual([])
  })

  it('imports only from the same or an earlier layer inside src/', () => {
    const offenders: string[] = []
    for (const file of files(join(root, 'src'))) {
      for (const spec of importsOf(file)) {
        if (!spec.startsWith('.')) continue
        const target = resolveLocal(file, spec)
        if (!target.startsWith(join(root, 'src'))) continue
        if (layerOf(target) > layerOf(file)) offenders.push(`${relative(root, file)} -> ${relative(root, target)}`)
      }
    }
    expect(offenders).toEqual([])
  })

  it('keeps the per-trial path small: the runner never reaches the reporter, vitest/node, the miner, the proposer or evolve', () => {
    const seen = new Set<string>()
    const stack = [join(root, 'plugin', 'runner.ts')]
    const offenders: string[] = []
    while (stack.length) {
      const file = stack.pop()!
      if (seen.has(file)) continue
      seen.add(file)
      for (const spec of importsOf(file)) {
        if (spec === 'vitest/node') offenders.push(`${relative(root, file)} -> vitest/node`)
        if (!spec.startsWith('.')) continue
        const target = resolveLocal(file, spec)
        if (/plugin\/reporter|src\/(miner|proposer|evolve|gate)\//.test(target)) offenders.push(`${relative(root, file)} -> ${relative(root, target)}`)
        stack.push(target)
      }
    }
    expect(seen.size).toBeGreaterThan(5)
    expect(offenders).toEqual([])
  })

  it('has entry files that only list named re-exports', () => {
    for (const entry of ['src/index.ts', 'plugin/index.ts']) {
      const lines = readFileSync(join(root, entry), 'utf8').split('\n').filter((line) => line.trim() && !line.trim().startsWith('//') && !line.trim().startsWith('*') && !line.trim().startsWith('/*'))
      const text = lines.join('\n')
      expect(text, entry).not.toMatch(/export \*/)
      const statements = text.split(/(?<=['"])\n/).map((s) => s.trim()).filter(Boolean)
      for (const statement of statements) expect(statement, `${entry}: ${statement}`).toMatch(/^export (type )?\{[\s\S]*\} from '[^']+'$/)
    }
  })

  it('has fixtures and benchmarks use the package through its public entries', () => {
    const offenders = [...files(join(root, 'benchmarks')), ...files(join(root, 'fixtures'))].flatMap((file) =>
      importsOf(file).filter((spec) => spec.startsWith('.') && /\/(src|plugin)\//.test(resolveLocal(file, spec) + '/') && !resolveLocal(file, spec).startsWith(join(root, 'fixtures'))).map((spec) => `${relative(root, file)} -> ${spec}`),
    )
    expect(offenders).toEqual([])
  })
})
