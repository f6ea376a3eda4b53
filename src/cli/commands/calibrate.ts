import { join, resolve } from 'node:path'
import pc from 'picocolors'
import { ConfigurationError } from '../../errors.js'
import { calibrate, type Calibration } from '../../gate/index.js'
import { resolveGatePolicy } from '../../gate/policy.js'
import { readFlakeHistory, tooFlakyToBlock, updateFlakeHistory, writeFlakeHistory } from '../../record/flake-history.js'
import { latestRecordPathFor } from '../../record/paths.js'
import { readRecord, writeFileAtomic } from '../../record/store.js'
import { stringFlag, type ParsedArgs } from '../args.js'
import { runSettingsOf } from '../run-flags.js'
import { runSuite } from '../run-suite.js'

const int = (args: ParsedArgs, name: string, fallback: number, min: number): number => {
  const raw = stringFlag(args, name)
  const value = raw === undefined ? fallback : Number(raw)
  if (!Number.isInteger(value) || value < min) throw new ConfigurationError('USAGE', `Expected \`--${name}\` to be an integer of at least ${min}, got \`${raw}\`.`, { field: name })
  return value
}

/**
 * `self-harness calibrate [--harness=baseline] [--trials=5] [--runs=2] [--resamples=500] [--output-dir=.self-harness]
 * [--json] [vitest flags]`: runs a harness against itself, reports each task's flip rate and the gate's false-alarm
 * rate on this suite, and folds the runs into the harness's flake history.
 */
export async function calibrateCommand(args: ParsedArgs, cwd: string, out: (text: string) => void): Promise<number> {
  const harness = stringFlag(args, 'harness') ?? 'baseline'
  const trials = int(args, 'trials', 5, 1)
  const runs = int(args, 'runs', 2, 2)
  const resamples = int(args, 'resamples', 500, 1)
  const outputDir = resolve(cwd, stringFlag(args, 'output-dir') ?? '.self-harness')
  const policy = resolveGatePolicy(stringFlag(args, 'policy') ? { rule: stringFlag(args, 'policy') } : {})
  const settings = runSettingsOf(args)
  const records = []
  for (let i = 0; i < runs; i++) {
    const dir = join(outputDir, 'calibrate', harness, `run-${i + 1}`)
    process.stderr.write(pc.dim(`self-harness calibrate: run ${i + 1} of ${runs} of ${harness}, ${trials} trial(s) per task\n`))
    const result = await runSuite(
      { harness, trials, outputDir: dir, gate: false, fresh: true, settings },
      { cwd, vitestArgs: ['run', '--reporter=json', `--outputFile=${join(dir, 'vitest.json')}`, ...args.rest] },
    )
    if (result.outcome?.kind === 'startup-error') throw new ConfigurationError('CONFIG_INVALID', result.outcome.message)
    const recordFile = result.outcome?.recordFile ?? latestRecordPathFor(dir, harness)
    const record = await readRecord(recordFile).catch((cause) => {
      throw new ConfigurationError('CONFIG_INVALID', `Calibration run ${i + 1} wrote no record (vitest exit ${result.exitCode}):\n${result.stderr.trim().split('\n').slice(-10).join('\n')}`, { cause })
    })
    records.push(record)
  }
  const calibration = calibrate(records, { policy, resamples })
  const flakeFile = join(outputDir, 'flakes', `${records[0]!.harness.id}.json`)
  let history = await readFlakeHistory(flakeFile)
  for (const record of records) history = updateFlakeHistory(history, record)
  await writeFlakeHistory(flakeFile, history)
  await writeFileAtomic(join(outputDir, 'calibrate', harness, 'calibration.json'), `${JSON.stringify(calibration, null, 2)}\n`)
  out(args.flags.json ? JSON.stringify(calibration) : renderCalibration(calibration, tooFlakyToBlock(history), flakeFile))
  return 0
}

/** A readable calibration report. */
export function renderCalibration(c: Calibration, tooFlaky: string[], flakeFile: string): string {
  const fa = c.falseAlarm
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`
  const lines = [
    pc.bold(`calibration of ${c.harness.name} (${c.harness.id}) on ${c.model}: ${c.tasks.length} task(s), ${c.records} run(s)`),
    `  gate false-alarm rate on A/A resamples: ${pct(fa.rate)} (95% interval ${pct(fa.interval.low)}-${pct(fa.interval.high)}, ${fa.resamples} resamples; insufficient evidence ${pct(fa.insufficientEvidence)})`,
    `  the two runs compared: ${c.observed.status} (exit ${c.observed.exitCode})`,
  ]
  const flipping = [...c.tasks].filter((t) => (t.flipRate ?? 0) > 0).sort((a, b) => (b.flipRate ?? 0) - (a.flipRate ?? 0))
  lines.push(`  ${flipping.length} task(s) flip between trials${flipping.length ? ':' : ''}`)
  for (const t of flipping.slice(0, 15)) lines.push(`    ${pct(t.flipRate ?? 0).padStart(6)} flip, pass rate ${pct(t.passRate ?? 0).padStart(6)}  ${t.id}`)
  lines.push(tooFlaky.length ? pc.yellow(`  too flaky to block (reported, not gating): ${tooFlaky.join(', ')}`) : '  no task is too flaky to block')
  lines.push(pc.dim(`  flake history: ${flakeFile}`))
  return lines.join('\n')
}
