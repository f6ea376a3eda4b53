export { compareRuns, type CompareContext } from './compare.js'
export { passK, PassKMean } from './pass-k.js'
export {
  DEFAULT_GATE_POLICY,
  EVIDENCE_ALL_LIMIT,
  lookAlpha,
  resolveGatePolicy,
  type EvidenceMode,
  type GateMode,
  type GatePolicy,
  type GatePolicyInput,
  type GateRule,
  type TaskSplit,
  type UnderpoweredMode,
} from './policy.js'
export {
  RunSummarySchema,
  SplitSummarySchema,
  TaskChangeSchema,
  TaskEvidenceSchema,
  TrialCountsSchema,
  VERDICT_SCHEMA_VERSION,
  VerdictExitCodeSchema,
  VerdictPolicySchema,
  VerdictSchema,
  VerdictStatusSchema,
  StabilitySchema,
  PassKSchema,
  exitCodeFor,
  verdictJsonSchema,
  type TaskChange,
  type TaskEvidence,
  type TrialCounts,
  type Verdict,
  type VerdictExitCode,
  type VerdictStatus,
} from './verdict.js'
export { fisherOneSided, fisherBest, fisherFloor, LogFactorials, type FisherResult } from './fisher.js'
export { holmAdjust, taroneHolm, type TestedFamily } from './holm.js'
export { baselineTrialsFor, minTrialsFor } from './rule-exact.js'
export {
  formatSimulationTable,
  REALISTIC_MIX,
  simulateGate,
  type MixEntry,
  type SimulationOptions,
  type SimulationRow,
} from './simulate.js'
export { seededRandom } from './prng.js'
export {
  CALIBRATION_SCHEMA_VERSION,
  CalibrationSchema,
  CalibrationTaskSchema,
  FalseAlarmSchema,
  calibrate,
  wilsonInterval,
  type CalibrateOptions,
  type Calibration,
  type CalibrationTask,
  type FalseAlarm,
} from './calibrate.js'
export {
  followUpOf,
  planExtraTrials,
  type AdaptiveOptions,
  type AdaptiveStop,
  type PlannedTrials,
  type TrialPlan,
  type TrialState,
} from './adaptive.js'
export {
  FLAKE_HISTORY_SCHEMA_VERSION,
  FlakeHistorySchema,
  FlakeTaskSchema,
  emptyFlakeHistory,
  estimateFlipRate,
  readFlakeHistory,
  tooFlakyToBlock,
  updateFlakeHistory,
  writeFlakeHistory,
  type FlakeHistory,
  type FlakeTask,
  type TooFlakyOptions,
} from '../record/flake-history.js'
