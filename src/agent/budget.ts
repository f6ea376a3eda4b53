import { ModelError } from '../errors.js'

/** The time a run has left: every wait of the loop, its tools, wrappers and checks is bounded by it. */
export interface RunBudget {
  /** Epoch milliseconds at which the run's time limit passes. */
  readonly deadline: number
  /** Aborted when the deadline passes. */
  readonly signal: AbortSignal
  /** Milliseconds left (0 once the deadline passed). */
  left(): number
  /** A command time limit from the harness, multiplied by the time scale and clamped to the time left (at least 1 ms). */
  commandMs(harnessMs: number): number
  /** Throws `RUN_TIMEOUT` when the deadline has passed. */
  check(): void
  /** Settles like `work`, or rejects with `RUN_TIMEOUT` as soon as the deadline passes, whichever comes first. */
  race<T>(work: Promise<T>): Promise<T>
  /** Stops the timer. */
  dispose(): void
}

const timeoutError = (limitMs: number) => new ModelError(`The agent run passed its time limit of ${limitMs} ms.`, { code: 'RUN_TIMEOUT' })

/** Starts a run's budget of `limitMs` milliseconds; command limits are scaled by `timeScale`. */
export function startBudget(limitMs: number, timeScale = 1): RunBudget {
  const deadline = Date.now() + limitMs
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), limitMs)
  const left = () => Math.max(0, deadline - Date.now())
  return {
    deadline,
    signal: controller.signal,
    left,
    commandMs: (harnessMs) => Math.max(1, Math.min(Math.round(harnessMs * timeScale), left())),
    check() {
      if (controller.signal.aborted || left() <= 0) throw timeoutError(limitMs)
    },
    race(work) {
      if (controller.signal.aborted) {
        work.catch(() => {})
        return Promise.reject(timeoutError(limitMs))
      }
      return new Promise((resolve, reject) => {
        const onAbort = () => reject(timeoutError(limitMs))
        controller.signal.addEventListener('abort', onAbort, { once: true })
        work.then(resolve, reject).finally(() => controller.signal.removeEventListener('abort', onAbort))
      })
    },
    dispose: () => clearTimeout(timer),
  }
}
