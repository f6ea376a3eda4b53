import { dirname, resolve } from 'node:path'
import { renderWeaknesses } from '../../report/weaknesses.js'
import { createModelClient } from '../../agent/model.js'
import { resolveCommandModelOptions } from '../../agent/settings.js'
import { MODEL_SETTING_FLAGS, runSettingsOf, settingsEnv } from '../run-flags.js'
import { mineFailures, miningReport, type MiningReport } from '../../miner/index.js'
import { readRecord } from '../../record/store.js'
import { ConfigurationError } from '../../errors.js'
import type { ParsedArgs } from '../args.js'

/** Mines a record's failed trials; the model names the clusters unless `--no-model`. */
export async function mineRecord(file: string, args: ParsedArgs): Promise<MiningReport> {
  const record = await readRecord(file)
  const base = dirname(resolve(file))
  const failures = record.tasks.flatMap((task) =>
    task.trials.flatMap((trial) => (trial.outcome === 'fail' && trial.tracePath ? [{ taskId: task.id, trial: trial.index, tracePath: resolve(base, trial.tracePath) }] : [])),
  )
  const client = args.flags['no-model'] ? undefined : createModelClient(resolveCommandModelOptions({ model: record.model }, settingsEnv(runSettingsOf(args, MODEL_SETTING_FLAGS))))
  return miningReport(await mineFailures({ failures, totalTasks: record.tasks.length, client, trialsPerTask: record.trials }))
}

/** `self-harness mine <record> [--json] [--no-model]`: the record's failures as ranked weaknesses. */
export async function mineCommand(args: ParsedArgs, out: (text: string) => void): Promise<number> {
  const [file] = args.positional
  if (!file) throw new ConfigurationError('USAGE', 'Expected a record file: self-harness mine <record> [--json] [--no-model]', { field: 'record' })
  const report = await mineRecord(file, args)
  out(args.flags.json ? JSON.stringify(report) : renderWeaknesses(report))
  return 0
}
