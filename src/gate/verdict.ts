import { z } from 'zod'

/** Current version of the verdict format. */
export const VERDICT_SCHEMA_VERSION = 1 as const

/** What the gate concluded. */
export const VerdictStatusSchema = z.enum(['accepted', 'regression', 'no-gain', 'not-comparable', 'insufficient-evidence'])
export type VerdictStatus = z.infer<typeof VerdictStatusSchema>

/** Exit code of every gating command: 0 accepted, 1 regression or no required gain, 3 cannot decide. */
export const VerdictExitCodeSchema = z.union([z.literal(0), z.literal(1), z.literal(3)])
export type VerdictExitCode = z.infer<typeof VerdictExitCodeSchema>

/** How one task moved between the two records. */
export const TaskChangeSchema = z.enum([
  'regression',
  'fix',
  'same',
  'flaky',
  'undecided',
  'invalid',
  'added',
  'removed',
  'suspected-regression',
  'suspected-fix',
])
export type TaskChange = z.infer<typeof TaskChangeSchema>

/** One side's trial counts of a task; `rate` is passes over non-error trials, null when there are none. */
export const TrialCountsSchema = z.strictObject({
  pass: z.number().int().min(0),
  fail: z.number().int().min(0),
  error: z.number().int().min(0),
  rate: z.number().min(0).max(1).nullable(),
})
export type TrialCounts = z.infer<typeof TrialCountsSchema>

/** A task's stability, from its baseline trials (history included), before the candidate is looked at. */
export const StabilitySchema = z.enum(['unknown', 'stable', 'flaky', 'too-flaky', 'failing'])
export type Stability = z.infer<typeof StabilitySchema>

const share = z.number().min(0).max(1)

/**
 * pass@k (at least one of k trials passes) and pass^k (all k pass), estimated without bias from the n valid
 * trials kept: pass@k = 1 - C(n-c, k)/C(n, k), pass^k = C(c, k)/C(n, k); null with fewer than k valid trials.
 */
export const PassKSchema = z.strictObject({ passAtK: share.nullable(), passHatK: share.nullable() })
export type PassK = z.infer<typeof PassKSchema>

/** Per-task evidence behind the verdict. */
export const TaskEvidenceSchema = z.strictObject({
  id: z.string(),
  file: z.string(),
  split: z.enum(['train', 'validation', 'sealed']).optional(),
  /** False for ignored, sealed, added and removed tasks: reported, never deciding. */
  gating: z.boolean(),
  /** Absent for an added task. */
  baseline: TrialCountsSchema.optional(),
  /** Absent for a removed task. */
  candidate: TrialCountsSchema.optional(),
  change: TaskChangeSchema,
  /** One-sided p-value in the direction of the change (rule `exact`). */
  pValue: z.number().min(0).max(1).optional(),
  /** Holm-corrected p-value, when the task was in the tested family (rule `exact`). */
  adjustedPValue: z.number().min(0).max(1).optional(),
  stability: StabilitySchema.optional(),
  /** pass@k and pass^k of each side, k being the candidate's trials per task. */
  passK: z.strictObject({ baseline: PassKSchema, candidate: PassKSchema }).optional(),
})
export type TaskEvidence = z.infer<typeof TaskEvidenceSchema>

/** The policy in force, as resolved; the split map itself is left out (each task's split is in its evidence). */
export const VerdictPolicySchema = z.strictObject({
  rule: z.enum(['exact', 'strict', 'split']),
  alpha: z.number().gt(0).lt(1),
  requireGain: z.boolean(),
  underpowered: z.enum(['insufficient-evidence', 'strict']),
  maxErrorRate: z.number().min(0).max(1),
  allowModelChange: z.boolean(),
  allowTaskSetChange: z.boolean(),
  ignore: z.array(z.string()),
  evidence: z.enum(['auto', 'all', 'changed']),
  mode: z.enum(['check', 'promote']).optional(),
  followUpShare: z.number().min(0).lt(1).optional(),
  stableRate: z.number().gt(0.5).max(1).optional(),
  maxFlipRate: z.number().min(0).max(1).optional(),
  maxTrialsPerTask: z.number().int().positive().optional(),
})

/** What the verdict says about one of the two records. */
export const RunSummarySchema = z.strictObject({
  harness: z.strictObject({ name: z.string(), id: z.string() }),
  model: z.string(),
  taskSetHash: z.string(),
  trials: z.number().int().positive(),
})

/** Pass counts of one split, before and after. */
export const SplitSummarySchema = z.strictObject({
  split: z.enum(['none', 'train', 'validation', 'sealed']),
  tasks: z.number().int().min(0),
  baselinePasses: z.number().min(0),
  candidatePasses: z.number().min(0),
  gating: z.boolean(),
  change: z.enum(['worse', 'same', 'better']),
})

const count = z.number().int().min(0)

/** The gate's verdict on a candidate record against a baseline record. */
export const VerdictSchema = z.strictObject({
  schemaVersion: z.literal(VERDICT_SCHEMA_VERSION),
  kind: z.literal('self-harness/verdict'),
  status: VerdictStatusSchema,
  exitCode: VerdictExitCodeSchema,
  /** Plain sentences: the rule applied and why the verdict is what it is. */
  reasons: z.array(z.string()),
  policy: VerdictPolicySchema,
  baseline: RunSummarySchema,
  candidate: RunSummarySchema,
  method: z.strictObject({
    test: z.enum(['fisher-exact-one-sided', 'any-pass', 'split-pass-counts', 'none']),
    correction: z.enum(['holm-tarone', 'none']),
    regressionFamily: count.optional(),
    fixFamily: count.optional(),
  }),
  counts: z.strictObject({
    /** Tasks in both records. */
    tasks: count,
    /** Tasks that take part in the decision. */
    gating: count,
    /** Baseline passes over gating tasks: summed pass rates (`exact`, `split`), tasks with a pass (`strict`). */
    baselinePasses: z.number().min(0),
    candidatePasses: z.number().min(0),
    regressions: count,
    fixes: count,
    flaky: count,
    undecided: count,
    suspectedRegressions: count.optional(),
    suspectedFixes: count.optional(),
    invalid: count,
    /** Gating tasks holding at least one error trial. */
    errored: count,
    ignored: count,
    added: count,
    removed: count,
  }),
  /** Gating task ids, by change. */
  regressions: z.array(z.string()),
  fixes: z.array(z.string()),
  flaky: z.array(z.string()),
  /** Dropped, but the trial counts could never reach significance: rerun with more trials. */
  undecided: z.array(z.string()),
  /** Error trials left on these tasks could change the verdict. */
  invalid: z.array(z.string()),
  /** Gating tasks whose pass rate dropped without being a regression, most suspicious first: where extra trials pay. */
  disputed: z.array(z.string()),
  /** Ignored task ids present in both records. */
  ignored: z.array(z.string()),
  /** Gating tasks whose change is `same`. */
  unchanged: count,
  /** Drops not yet significant that follow-up trials can settle, most suspicious first (they make the verdict exit 3). */
  suspectedRegressions: z.array(z.string()).optional(),
  /** Stable tasks that dipped (not suspected): adaptive follow-up checks them after the suspected ones; never blocking. */
  dips: z.array(z.string()).optional(),
  /** Rises not yet significant; never blocking. */
  suspectedFixes: z.array(z.string()).optional(),
  /** The look this verdict is (1: the run; 2, 3, ...: adaptive follow-up looks) and the alpha it tested at. */
  look: z.number().int().positive().optional(),
  lookAlpha: z.number().gt(0).lt(1).optional(),
  /** What would settle the suspected regressions. */
  followUp: z
    .strictObject({
      tasks: z.array(z.string()),
      extraTrials: count,
      /** The command that runs them (adaptive follow-up of this candidate). */
      command: z.string(),
    })
    .optional(),
  /** Where the baseline side's trials come from: the record alone, or the baseline history (runs folded in). */
  baselineEvidence: z.strictObject({ source: z.enum(['record', 'history']), runs: count, trials: count }).optional(),
  /** Gating and reported tasks by stability class. */
  stability: z
    .strictObject({ stable: count, flaky: count, tooFlaky: count, failing: count, unknown: count })
    .optional(),
  /** pass@k and pass^k averaged over gating tasks with at least k valid trials, k the candidate's trials per task. */
  passK: z.strictObject({ k: z.number().int().positive(), baseline: PassKSchema, candidate: PassKSchema }).optional(),
  splits: z.array(SplitSummarySchema),
  /** Which tasks `tasks` lists: all, or only those not `same` (and any with errors). */
  evidence: z.enum(['all', 'changed']),
  tasks: z.array(TaskEvidenceSchema),
})
export type Verdict = z.infer<typeof VerdictSchema>

/** Exit code for a status: accepted 0; regression and no-gain 1; not-comparable and insufficient-evidence 3. */
export function exitCodeFor(status: VerdictStatus): VerdictExitCode {
  if (status === 'accepted') return 0
  if (status === 'regression' || status === 'no-gain') return 1
  return 3
}

/** The verdict format as JSON Schema, for other tools. */
export function verdictJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(VerdictSchema) as Record<string, unknown>
}
