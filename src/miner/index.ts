export { CATEGORY_LABELS, parseCategory, WEAKNESS_CATEGORIES, WeaknessCategorySchema, type WeaknessCategory } from './categories.js'
export { guessCategory } from './category.js'
export {
  clusterFailures,
  createClusterAccumulator,
  weaknessId,
  type AccumulatorState,
  type Cluster,
  type ClusterAccumulator,
  type ClusterOptions,
  type FailureItem,
} from './cluster.js'
export { extractFeatures, signatureOfTrace, type FailureCause, type FeatureOptions, type TraceEnd, type TraceFeatures } from './features.js'
export { mineFailures, miningReport, type MiningResult } from './mine.js'
export { resolveMineOptions, type MineInput } from './mine-options.js'
export { ClusterNamingSchema, parseNaming, type ClusterNaming } from './name-clusters.js'
export { commandHead, normalizeCommand, normalizeError, normalizeText } from './normalize.js'
export { MINE_MARKER, miningMessages } from './prompt.js'
export { readTraceLines, type StreamedTrace } from './read-trace.js'
export { FrequencySchema, MiningReportSchema, WeaknessSchema, type Frequency, type MiningReport, type Weakness } from './schema.js'
export { buildSignature, clusterKeyOf } from './signature.js'
