import pc from 'picocolors'
import type { LiveStatus, TaskMetaRecord, TrialMeta } from './provided.js'

/** Options of {@link createProgress}. */
export interface ProgressOptions {
  log: (line: string) => void
  /** Trials per task, for `trial 2/3`. */
  trials: number
  /** `live`: a status line per running trial every few seconds and a line per trial; `trials`: a line per trial. */
  mode: 'live' | 'trials' | 'off'
  /** How often running trials are shown in live mode. @default 5000 */
  everyMs?: number
  now?: () => number
}

/** Progress of the trials of a run, fed with the meta the runner sends from the workers. */
export interface Progress {
  update(testId: string, meta: TaskMetaRecord & { taskId: string }): void
  stop(): void
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`
const tokens = (n: number): string => `${n.toLocaleString('en-US')} tokens`
const MARK: Record<TrialMeta['outcome'], string> = { pass: pc.green('✓'), fail: pc.red('✗'), error: pc.yellow('!') }

/** One line for a finished trial: outcome, turns, tokens, time, and why it did not pass. */
export function trialLine(taskId: string, trial: TrialMeta, of: number, note: string | undefined): string {
  const head = `self-harness ${MARK[trial.outcome]} ${taskId} (trial ${trial.index + 1}/${of}): ${trial.outcome}, ${trial.turns} turn${trial.turns === 1 ? '' : 's'}, ${tokens(trial.tokens.prompt + trial.tokens.completion)}, ${seconds(trial.durationMs)}`
  const why = note ?? (trial.outcome === 'pass' ? undefined : trial.reason?.split('\n')[0]?.slice(0, 200))
  return why ? `${head}: ${why}` : head
}

/** One line for a task's trials kept from the journal of an interrupted run: how many, and how they ended. */
export function keptLine(taskId: string, trials: readonly TrialMeta[], of: number): string {
  const passed = trials.filter((t) => t.outcome === 'pass').length
  return `self-harness ↺ ${taskId}: ${trials.length}/${of} trial(s) kept from the journal (${passed} passed), not run again`
}

/** One line for a running trial: where it is and how long it has waited on the model. */
export function liveLine(taskId: string, live: LiveStatus, of: number, now: number): string {
  const where = `self-harness … ${taskId} (trial ${live.trial + 1}/${of}, turn ${live.turn}, ${tokens(live.tokens)}, ${seconds(now - live.startedAt)})`
  return live.waitingSince === null ? `${where}: running ${live.lastTool ?? 'the harness'}` : `${where}: waiting on the model for ${seconds(now - live.waitingSince)}`
}

/** Shows finished trials at once and, in live mode, every running trial every `everyMs`. */
export function createProgress(options: ProgressOptions): Progress {
  const now = options.now ?? Date.now
  const shown = new Map<string, number>()
  const running = new Map<string, { taskId: string; live: LiveStatus }>()
  let timer: NodeJS.Timeout | undefined
  if (options.mode === 'live') {
    timer = setInterval(() => {
      for (const { taskId, live } of running.values()) options.log(pc.dim(liveLine(taskId, live, options.trials, now())))
    }, options.everyMs ?? 5_000)
    timer.unref()
  }
  return {
    update(testId, meta) {
      if (options.mode === 'off') return
      // Trials kept from an interrupted run were shown by that run: one line says they count.
      if (!shown.has(testId)) {
        const kept = meta.kept ?? 0
        shown.set(testId, kept)
        if (kept) options.log(keptLine(meta.taskId, meta.trials.slice(0, kept), options.trials))
      }
      for (const trial of meta.trials.slice(shown.get(testId))) options.log(trialLine(meta.taskId, trial, options.trials, meta.notes?.[trial.index]))
      shown.set(testId, meta.trials.length)
      if (meta.live) running.set(testId, { taskId: meta.taskId, live: meta.live })
      else running.delete(testId)
    },
    stop() {
      if (timer) clearInterval(timer)
      running.clear()
    },
  }
}
