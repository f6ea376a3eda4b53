import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { NotComparableError } from '../errors.js'
import { loadHarness, parseHarness, type HarnessParser } from '../harness/version.js'
import type { RunRecord } from './schema.js'

/**
 * Checks that the harness a record names still hashes to the id the record holds. A harness file changed after
 * its record was written makes the record stale: comparing it would credit or blame the wrong harness.
 * Records whose harness file is not in `harnessDir` are not checked. `parse` reads the harness files: the built-in
 * spec by default, a team's own format for a custom agent.
 */
export async function verifyRecordHarness(record: RunRecord, recordFile: string, harnessDir: string, parse: HarnessParser<unknown> = parseHarness): Promise<void> {
  const file = join(harnessDir, `${record.harness.name}.json`)
  if (!existsSync(file)) return
  const current = await loadHarness(record.harness.name, harnessDir, parse)
  if (current.id !== record.harness.id) {
    throw new NotComparableError(
      `The record ${recordFile} was made with harness \`${record.harness.name}\` ${record.harness.id}, but ${file} now hashes to ${current.id}: ` +
        'the harness changed after its record was written. Run it again (and accept the new record if it is the baseline).',
    )
  }
}
