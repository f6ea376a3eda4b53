import { createHash } from 'node:crypto'
import type { WeaknessCategory } from './categories.js'
import { guessCategory } from './category.js'
import { rulesExplanation, rulesPattern } from './describe.js'
import type { TraceFeatures } from './features.js'
import { cut } from './normalize.js'
import type { Frequency } from './schema.js'
import { clusterKeyOf } from './signature.js'

/** One failed trial and its features. */
export interface FailureItem {
  taskId: string
  trial: number
  features: TraceFeatures
}

/** Options of {@link clusterFailures}. */
export interface ClusterOptions {
  /** Tasks the failures were drawn from, passing ones included. @default the distinct tasks among the failures */
  totalTasks?: number
  /** Distinct tasks a cluster must span to count as a weakness (a one-off is not one). @default 2 */
  minTasks?: number
  /** Trials run per task, for the impact. @default the highest trial index seen, plus one */
  trialsPerTask?: number
}

/** A recurring failure pattern before the model names it: the rules' naming and what the model is shown. */
export interface Cluster {
  /** `W-` and six hex digits of a hash of `key`. */
  id: string
  /** The cluster key (see `clusterKeyOf`); the weakness's `signature`. */
  key: string
  /** Every trace signature in the cluster, sorted. */
  signatures: string[]
  category: WeaknessCategory
  pattern: string
  explanation: string
  frequency: Frequency
  /** Share of all task-trials lost to this pattern: sum over its tasks of min(1, failures / trials), over all tasks. */
  impact: number
  exampleTasks: string[]
  evidence: string[]
  /** Heads of the failing commands, most frequent first. */
  heads: string[]
  /** Features of the representative trace. */
  sample: TraceFeatures
}

interface Seen {
  failures: number
  trial: number
  features: TraceFeatures
}

/**
 * What an accumulator holds, as plain data (it crosses worker threads): per signature and task, the failures
 * counted and the features of the earliest trial.
 */
export interface AccumulatorState {
  entries: Array<{ signature: string; taskId: string; failures: number; trial: number; features: TraceFeatures }>
  maxTrial: number
}

/** Collects failures one at a time or as merged states (in any order, with the same result), then clusters them. */
export interface ClusterAccumulator {
  add(item: FailureItem): void
  /** Adds what another accumulator collected. */
  merge(state: AccumulatorState): void
  state(): AccumulatorState
  clusters(options?: ClusterOptions): Cluster[]
}

/** Makes an accumulator that keeps one trace's features per signature and task, so memory stays bounded. */
export function createClusterAccumulator(): ClusterAccumulator {
  const bySignature = new Map<string, Map<string, Seen>>()
  const tasks = new Set<string>()
  let maxTrial = 0
  const count = (signature: string, taskId: string, failures: number, trial: number, features: TraceFeatures) => {
    tasks.add(taskId)
    let perTask = bySignature.get(signature)
    if (!perTask) bySignature.set(signature, (perTask = new Map()))
    const seen = perTask.get(taskId)
    if (!seen) perTask.set(taskId, { failures, trial, features })
    else {
      seen.failures += failures
      if (trial < seen.trial) Object.assign(seen, { trial, features })
    }
  }
  return {
    add({ taskId, trial, features }) {
      maxTrial = Math.max(maxTrial, trial)
      count(features.signature, taskId, 1, trial, features)
    },
    merge(state) {
      maxTrial = Math.max(maxTrial, state.maxTrial)
      for (const e of state.entries) count(e.signature, e.taskId, e.failures, e.trial, e.features)
    },
    state() {
      const entries: AccumulatorState['entries'] = []
      for (const [signature, perTask] of bySignature) {
        for (const [taskId, seen] of perTask) entries.push({ signature, taskId, ...seen })
      }
      return { entries, maxTrial }
    },
    clusters(options = {}) {
      return buildClusters(bySignature, {
        ofTasks: Math.max(options.totalTasks ?? 0, tasks.size, 1),
        minTasks: options.minTasks ?? 2,
        trials: Math.max(1, options.trialsPerTask ?? maxTrial + 1),
      })
    },
  }
}

/**
 * Groups failures into recurring patterns, ranked by impact, then failures, then tasks. Pure.
 * Traces group by signature; signatures with the same cluster key merge (see `clusterKeyOf`); clusters spanning
 * fewer than `minTasks` distinct tasks are dropped.
 */
export function clusterFailures(items: Iterable<FailureItem>, options: ClusterOptions = {}): Cluster[] {
  const accumulator = createClusterAccumulator()
  for (const item of items) accumulator.add(item)
  return accumulator.clusters(options)
}

function buildClusters(
  bySignature: ReadonlyMap<string, ReadonlyMap<string, Seen>>,
  settings: { ofTasks: number; minTasks: number; trials: number },
): Cluster[] {
  const groups = new Map<string, string[]>()
  for (const signature of [...bySignature.keys()].sort()) {
    const key = clusterKeyOf(signature)
    groups.set(key, [...(groups.get(key) ?? []), signature])
  }
  const clusters: Cluster[] = []
  for (const [key, signatures] of groups) {
    const perTask = new Map<string, number>()
    const heads = new Map<string, number>()
    let representative = { signature: signatures[0]!, failures: -1 }
    for (const signature of signatures) {
      let failures = 0
      for (const [taskId, seen] of bySignature.get(signature)!) {
        perTask.set(taskId, (perTask.get(taskId) ?? 0) + seen.failures)
        failures += seen.failures
        const head = seen.features.cause?.head
        if (head) heads.set(head, (heads.get(head) ?? 0) + seen.failures)
      }
      if (failures > representative.failures) representative = { signature, failures }
    }
    if (perTask.size < settings.minTasks) continue
    const ranked = [...perTask].sort((a, b) => b[1] - a[1] || compare(a[0], b[0]))
    const members = bySignature.get(representative.signature)!
    const sampleTask = ranked.find(([taskId]) => members.has(taskId))![0]
    const sample = members.get(sampleTask)!.features
    const failures = ranked.reduce((n, [, f]) => n + f, 0)
    const frequency: Frequency = { failures, tasks: perTask.size, ofTasks: settings.ofTasks }
    const impact = ranked
      .map(([, f]) => Math.min(1, f / settings.trials))
      .sort((a, b) => a - b)
      .reduce((sum, share) => sum + share, 0)
    const headList = [...heads].sort((a, b) => b[1] - a[1] || compare(a[0], b[0])).map(([head]) => head)
    const category = guessCategory(sample)
    const cues = { category, heads: headList, sample, frequency }
    clusters.push({
      id: '',
      key,
      signatures,
      category,
      pattern: rulesPattern(cues),
      explanation: rulesExplanation(cues),
      frequency,
      impact: Math.round((impact / settings.ofTasks) * 1e6) / 1e6,
      exampleTasks: ranked.slice(0, 5).map(([taskId]) => taskId),
      evidence: pickEvidence(ranked.map(([taskId]) => taskId), signatures, bySignature),
      heads: headList,
      sample,
    })
  }
  clusters.sort(
    (a, b) =>
      b.impact - a.impact ||
      b.frequency.failures - a.frequency.failures ||
      b.frequency.tasks - a.frequency.tasks ||
      compare(a.key, b.key),
  )
  const used = new Set<string>()
  for (const cluster of clusters) {
    let id = weaknessId(cluster.key)
    for (let n = 1; used.has(id); n++) id = weaknessId(`${cluster.key}#${n}`)
    used.add(id)
    cluster.id = id
  }
  return clusters
}

/** The stable id of a cluster key: `W-` and the first six hex digits of its sha256. */
export function weaknessId(key: string): string {
  return `W-${createHash('sha256').update(key).digest('hex').slice(0, 6)}`
}

/** Up to three evidence lines, one per task first (tasks in rank order), each from the task's earliest trial. */
function pickEvidence(
  tasks: readonly string[],
  signatures: readonly string[],
  bySignature: ReadonlyMap<string, ReadonlyMap<string, Seen>>,
): string[] {
  const earliest = (taskId: string): Seen | undefined => {
    let best: Seen | undefined
    for (const signature of signatures) {
      const seen = bySignature.get(signature)!.get(taskId)
      if (seen && (!best || seen.trial < best.trial)) best = seen
    }
    return best
  }
  const out: string[] = []
  const texts = new Set<string>()
  for (const round of [0, 1]) {
    for (const taskId of tasks.slice(0, 5)) {
      const seen = earliest(taskId)
      const line = seen?.features.evidence[round]
      if (!seen || !line || texts.has(line)) continue
      texts.add(line)
      out.push(`[${cut(taskId, 60)}#${seen.trial}] ${line}`)
      if (out.length === 3) return out
    }
  }
  return out
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)
