import { benchCache } from './cache.bench.js'
import { benchDecisionCost } from './decision-cost.bench.js'
import { benchGate } from './gate.bench.js'
import { benchMiner } from './miner.bench.js'
import { benchParallel, LARGE_RUNS } from './parallel.bench.js'
import { benchRunnerOverhead } from './runner-overhead.bench.js'

// `npm run bench`: every benchmark at its default sizes (a few minutes on 2 cores); `--large` adds the big sizes.
const large = process.argv.includes('--large')
console.log('gate: compareRuns on two records, 5 trials per task')
console.table(await benchGate([10_000, 100_000, 1_000_000]))
console.log('miner: failure traces, worker threads vs one thread')
console.table(await benchMiner(large ? [10_000, 20_000, 100_000] : [10_000, 20_000]))
console.log('runner overhead: N trivial tasks (one command each), self-harness vs plain vitest doing the same workspace work; 2 workers, the simulated model answering at once')
console.table(await benchRunnerOverhead(large ? [100, 1_000] : [100], { repeats: 2 }))
console.log('parallel efficiency: agent tasks of 5 model turns, simulated latency 200 ms a call; ideal = total model latency / concurrency')
console.table(await benchParallel(large ? { tasks: 1_000, runs: LARGE_RUNS } : {}))
console.log('decision cost: evolve on the bundled suite (simulator seed 7) vs a loop that re-runs the decision set for both sides of every proposal')
console.table(await benchDecisionCost(large ? ['sim-steady', 'sim-hasty', 'sim-forgetful'] : ['sim-hasty']))
console.log('model-call cache: a live run against the simulator (filling the cache) vs its replay, read-only, from the cache')
console.table(await benchCache())
