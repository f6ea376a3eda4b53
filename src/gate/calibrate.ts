import { z } from 'zod'
import { ConfigurationError, NotComparableError } from '../errors.js'
import { estimateFlipRate } from '../record/flake-history.js'
import { RECORD_SCHEMA_VERSION, type RunRecord } from '../record/schema.js'
import { compareRuns } from './compare.js'
import { decide } from './decide.js'
import { resolveGatePolicy, type GatePolicy, type GatePolicyInput } from './policy.js'
import { seededRandom } from './prng.js'
import { alignRuns, type Tally } from './tally.js'
import { VerdictExitCodeSchema, VerdictPolicySchema, VerdictStatusSchema } from './verdict.js'

/** Current version of the calibration format. */
export const CALIBRATION_SCHEMA_VERSION = 1 as const

const count = z.number().int().min(0)
const share = z.number().min(0).max(1)

/** One task's outcomes pooled over every A/A record. */
export const CalibrationTaskSchema = z.strictObject({
  id: z.string(),
  /** Trials asked for over all records; a trial a record asked for but does not hold counts as an error. */
  trials: count,
  /** Pass or fail trials (errors left out). */
  valid: count,
  passes: count,
  errors: count,
  /** Passes over valid trials; null without valid trials. */
  passRate: share.nullable(),
  /** Unbiased estimate of the chance two valid trials disagree: 2·p·(1−p)·n/(n−1); null below two valid trials. */
  flipRate: share.nullable(),
})
export type CalibrationTask = z.infer<typeof CalibrationTaskSchema>

/** How often the gate, fed two A/A records, would claim a regression: measured by resampling. */
export const FalseAlarmSchema = z.strictObject({
  resamples: z.number().int().positive(),
  seed: z.number(),
  /** Share of resampled pairs with verdict `regression`: the false-alarm rate. */
  rate: share,
  /** 95% Wilson score interval of `rate`. */
  interval: z.strictObject({ low: share, high: share, level: z.literal(0.95) }),
  /** Share of resampled pairs with verdict `insufficient-evidence`. */
  insufficientEvidence: share,
})
export type FalseAlarm = z.infer<typeof FalseAlarmSchema>

/** What A/A runs of one harness say about the suite's noise and the gate's false alarms. */
export const CalibrationSchema = z.strictObject({
  schemaVersion: z.literal(CALIBRATION_SCHEMA_VERSION),
  kind: z.literal('self-harness/calibration'),
  harness: z.strictObject({ name: z.string(), id: z.string() }),
  model: z.string(),
  taskSetHash: z.string(),
  /** Records pooled. */
  records: z.number().int().min(2),
  policy: VerdictPolicySchema,
  tasks: z.array(CalibrationTaskSchema),
  summary: z.strictObject({
    tasks: count,
    /** Tasks with a flip rate above 0 (both a pass and a fail among their valid trials). */
    flakyTasks: count,
    /** Mean flip rate over tasks that have one. */
    meanFlipRate: share,
  }),
  /** The gate's verdict on the first two records, as `compare` would give it. */
  observed: z.strictObject({
    status: VerdictStatusSchema,
    exitCode: VerdictExitCodeSchema,
    regressions: z.array(z.string()),
  }),
  falseAlarm: FalseAlarmSchema,
})
export type Calibration = z.infer<typeof CalibrationSchema>

/** Options of {@link calibrate}. */
export interface CalibrateOptions {
  /**
   * Gate policy under test.
   * @default {} (the gate's defaults)
   */
  policy?: GatePolicyInput
  /**
   * Random splits of the pooled trials into two pseudo-records.
   * @default 500
   */
  resamples?: number
  /**
   * Seed of the resampling; the same inputs give the same calibration.
   * @default 1
   */
  seed?: number
}

const Z95 = 1.959963984540054

/**
 * Calibrates the gate on A/A records (two or more runs of one harness on one task set, refused otherwise with a
 * `NotComparableError`). Reports each task's pass and flip rates, the verdict on the first two records, and the
 * false-alarm rate by a seeded permutation test: each task's valid trials are pooled over the records and
 * `resamples` times split at random into two pseudo-records with the first two records' per-task valid trial
 * counts; the rate is the share of splits the gate calls a regression. Error trials are left out of the
 * splits, so the rate measures the test, not the infrastructure. Pure.
 */
export function calibrate(records: RunRecord[], options: CalibrateOptions = {}): Calibration {
  const resamples = options.resamples ?? 500
  const seed = options.seed ?? 1
  if (!Number.isInteger(resamples) || resamples < 1) invalid('resamples', 'a positive integer', resamples)
  if (!Number.isFinite(seed)) invalid('seed', 'a finite number', seed)
  if (!Array.isArray(records) || records.length < 2) {
    throw new ConfigurationError(
      'USAGE',
      `Calibration needs at least two run records of the same harness and task set (A/A runs), got ${
        Array.isArray(records) ? records.length : 'none'
      }. Run the baseline again to get a second record.`,
    )
  }
  const problems = aaProblems(records)
  if (problems.length > 0) {
    throw new NotComparableError(`Calibration needs A/A records of one harness on one task set. ${problems.join(' ')}`)
  }
  const policy = resolveGatePolicy(options.policy)
  const first = records[0]!
  const verdict = compareRuns(first, records[1]!, policy)
  const pool = poolTrials(records)
  const tasks: CalibrationTask[] = first.tasks.map((task, i) => {
    const valid = pool.pass[i]! + pool.fail[i]!
    return {
      id: task.id,
      trials: valid + pool.error[i]!,
      valid,
      passes: pool.pass[i]!,
      errors: pool.error[i]!,
      passRate: valid > 0 ? pool.pass[i]! / valid : null,
      flipRate: estimateFlipRate(pool.pass[i]!, valid),
    }
  })
  const rates = tasks.flatMap((t) => (t.flipRate === null ? [] : [t.flipRate]))
  const { tally } = alignRuns(first, records[1]!, policy)
  const outcome = resampleVerdicts(tally, pool, policy, resamples, seed)
  const rate = outcome.regression / resamples
  return {
    schemaVersion: CALIBRATION_SCHEMA_VERSION,
    kind: 'self-harness/calibration',
    harness: { name: first.harness.name, id: first.harness.id },
    model: first.model,
    taskSetHash: first.taskSetHash,
    records: records.length,
    policy: verdict.policy,
    tasks,
    summary: {
      tasks: tasks.length,
      flakyTasks: rates.filter((r) => r > 0).length,
      meanFlipRate: rates.length > 0 ? rates.reduce((a, b) => a + b, 0) / rates.length : 0,
    },
    observed: { status: verdict.status, exitCode: verdict.exitCode, regressions: verdict.regressions },
    falseAlarm: {
      resamples,
      seed,
      rate,
      interval: { ...wilsonInterval(outcome.regression, resamples), level: 0.95 },
      insufficientEvidence: outcome.insufficient / resamples,
    },
  }
}

/** The 95% Wilson score interval of a binomial proportion `successes / n`. */
export function wilsonInterval(successes: number, n: number): { low: number; high: number } {
  if (n <= 0) return { low: 0, high: 1 }
  const p = successes / n
  const z2 = Z95 * Z95
  const denominator = 1 + z2 / n
  const center = (p + z2 / (2 * n)) / denominator
  const half = (Z95 * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denominator
  // At 0 and n the bounds are exactly 0 and 1; rounding would leave a hair beside them.
  return {
    low: successes <= 0 ? 0 : Math.max(0, center - half),
    high: successes >= n ? 1 : Math.min(1, center + half),
  }
}

/** Each task's trials summed over all records (in the first record's order), and each side's valid counts. */
interface Pool {
  pass: Int32Array
  fail: Int32Array
  error: Int32Array
  /** Valid trials of the task in the first and second record: the sizes of the two pseudo-records. */
  sizeA: Int32Array
  sizeB: Int32Array
}

function poolTrials(records: RunRecord[]): Pool {
  const first = records[0]!.tasks
  const n = first.length
  const pool: Pool = {
    pass: new Int32Array(n),
    fail: new Int32Array(n),
    error: new Int32Array(n),
    sizeA: new Int32Array(n),
    sizeB: new Int32Array(n),
  }
  records.forEach((record, r) => {
    // Records of one task set list the same ids; an equal order (the usual case) needs no map.
    const same = record.tasks.length === n && record.tasks.every((t, i) => t.id === first[i]!.id)
    const byId = same ? null : new Map(record.tasks.map((t) => [t.id, t]))
    for (let i = 0; i < n; i++) {
      const task = byId ? byId.get(first[i]!.id)! : record.tasks[i]!
      let p = 0
      let f = 0
      let e = 0
      for (const trial of task.trials) {
        if (trial.outcome === 'pass') p++
        else if (trial.outcome === 'fail') f++
        else e++
      }
      pool.pass[i]! += p
      pool.fail[i]! += f
      pool.error[i]! += e + Math.max(0, record.trials - task.trials.length)
      if (r === 0) pool.sizeA[i] = p + f
      if (r === 1) pool.sizeB[i] = p + f
    }
  })
  return pool
}

/** Counts the gate's verdicts over random splits of the pooled trials; one reused tally, no records built. */
function resampleVerdicts(aligned: Tally, pool: Pool, policy: GatePolicy, resamples: number, seed: number) {
  let gating = 0
  for (let i = 0; i < aligned.size; i++) gating += aligned.gating[i]!
  // The gate refuses to decide with no gating task; so would it on every split.
  if (gating === 0) return { regression: 0, insufficient: resamples }
  const t: Tally = { ...aligned, bErr: new Int32Array(aligned.size), cErr: new Int32Array(aligned.size) }
  const random = seededRandom(seed)
  let regression = 0
  let insufficient = 0
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < t.size; i++) {
      const a = pool.sizeA[i]!
      const b = pool.sizeB[i]!
      let passes = pool.pass[i]!
      let left = passes + pool.fail[i]!
      let aPass = 0
      let bPass = 0
      if (passes === left) {
        aPass = a
        bPass = b
      } else if (passes > 0) {
        // Draws without replacement: each trial passes with the share of passes still in the pool.
        for (let j = 0; j < a; j++, left--) if (random() * left < passes) (aPass++, passes--)
        for (let j = 0; j < b; j++, left--) if (random() * left < passes) (bPass++, passes--)
      }
      t.bPass[i] = aPass
      t.bFail[i] = a - aPass
      t.cPass[i] = bPass
      t.cFail[i] = b - bPass
    }
    const status = decide(t, policy).status
    if (status === 'regression') regression++
    else if (status === 'insufficient-evidence') insufficient++
  }
  return { regression, insufficient }
}

/** Why the records are not A/A runs of one harness on one task set; empty when they are. */
function aaProblems(records: RunRecord[]): string[] {
  const problems: string[] = []
  const first = records[0]!
  const ids = new Set<string>()
  for (const task of first.tasks) {
    if (ids.has(task.id)) problems.push(`Task id \`${task.id}\` appears more than once in record 1.`)
    ids.add(task.id)
  }
  records.forEach((record, r) => {
    const name = `record ${r + 1}`
    if (record.kind !== 'self-harness/run-record' || record.schemaVersion !== RECORD_SCHEMA_VERSION) {
      problems.push(`Record ${r + 1} is not a run record of schemaVersion ${RECORD_SCHEMA_VERSION}.`)
      return
    }
    if (r === 0) return
    const differs = (what: string, a: string, b: string): void => {
      if (a !== b) problems.push(`Record ${r + 1} has ${what} \`${b}\`, record 1 has \`${a}\`.`)
    }
    differs('harness', `${first.harness.name}@${first.harness.id}`, `${record.harness.name}@${record.harness.id}`)
    differs('model', first.model, record.model)
    differs('taskSetHash', first.taskSetHash, record.taskSetHash)
    const theirs = new Set<string>()
    let duplicate = false
    for (const task of record.tasks) {
      if (theirs.has(task.id)) duplicate = true
      theirs.add(task.id)
    }
    if (duplicate) problems.push(`Record ${r + 1} lists a task id more than once.`)
    const missing = [...ids].filter((id) => !theirs.has(id))
    const extra = [...theirs].filter((id) => !ids.has(id))
    if (missing.length > 0) problems.push(`Tasks missing from ${name}: ${list(missing)}.`)
    if (extra.length > 0) problems.push(`Tasks only in ${name}: ${list(extra)}.`)
  })
  return problems
}

function list(ids: string[], max = 10): string {
  const shown = ids.slice(0, max).map((id) => `\`${id}\``)
  return ids.length > max ? `${shown.join(', ')} and ${ids.length - max} more` : shown.join(', ')
}

function invalid(field: string, expected: string, got: unknown): never {
  throw new ConfigurationError('CONFIG_INVALID', `Expected \`${field}\` to be ${expected}, got \`${String(got)}\``, {
    field,
  })
}
