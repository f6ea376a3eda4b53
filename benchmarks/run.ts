import { benchGate } from './gate.bench.js'
import { benchMiner } from './miner.bench.js'

// `npm run bench`: every benchmark at its default sizes; `--large` adds the big sizes.
const large = process.argv.includes('--large')
console.log('gate: compareRuns on two records, 5 trials per task')
console.table(await benchGate([10_000, 100_000, 1_000_000]))
console.log('miner: failure traces, worker threads vs one thread')
console.table(await benchMiner(large ? [10_000, 100_000] : [10_000]))
