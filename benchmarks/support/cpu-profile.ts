import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/** One line of a profile summary. */
export interface ProfileLine {
  /** A function (`name file:line`) or a package / file. */
  where: string
  ms: number
  /** Share of the sampled time (idle included). */
  percent: number
}

/** What the CPU profiles of a run show. */
export interface ProfileSummary {
  sampledMs: number
  idleMs: number
  /** Self time by package (node_modules) or file (ours), busiest first. */
  selfByPackage: ProfileLine[]
  /** Inclusive (synchronous) time of this package's own functions, busiest first. */
  ours: ProfileLine[]
}

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }>
  samples: number[]
  timeDeltas: number[]
}

/** Sums the `.cpuprofile` files of a directory (one per worker with `--cpu-prof`). */
export function summarizeProfiles(dir: string, top = 15): ProfileSummary {
  const self = new Map<string, number>()
  const inclusive = new Map<string, number>()
  let sampled = 0
  let idle = 0
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.cpuprofile'))) {
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile
    const nodes = new Map(profile.nodes.map((node) => [node.id, node]))
    const parent = new Map<number, number>()
    for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id)
    const time = new Map<number, number>()
    profile.samples.forEach((id, i) => time.set(id, (time.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)))
    for (const [id, us] of time) {
      const node = nodes.get(id)!
      sampled += us
      if (node.callFrame.functionName === '(idle)') idle += us
      const pkg = packageOf(node.callFrame.url) || node.callFrame.functionName
      self.set(pkg, (self.get(pkg) ?? 0) + us)
      const seen = new Set<string>()
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
        const frame = nodes.get(at)!.callFrame
        if (!/\/dist\/(src|plugin)\//.test(frame.url)) continue
        const label = `${frame.functionName || '(anonymous)'} ${frame.url.replace(/.*\/dist\//, '')}:${frame.lineNumber + 1}`
        if (seen.has(label)) continue
        seen.add(label)
        inclusive.set(label, (inclusive.get(label) ?? 0) + us)
      }
    }
  }
  const lines = (map: Map<string, number>): ProfileLine[] =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([where, us]) => ({ where, ms: Math.round(us / 1000), percent: Math.round((1000 * us) / Math.max(sampled, 1)) / 10 }))
  return { sampledMs: Math.round(sampled / 1000), idleMs: Math.round(idle / 1000), selfByPackage: lines(self), ours: lines(inclusive) }
}

function packageOf(url: string): string {
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (inModules) return inModules[1]!
  if (url.includes('/dist/')) return url.replace(/.*\/dist\//, '')
  return url.startsWith('node:') ? url : ''
}
