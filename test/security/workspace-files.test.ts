import { existsSync, readdirSync } from 'node:fs'
import { mkdir, readdir, readFile, rm } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSimServer, type SimServer } from '../../fixtures/sim/server.js'
import { readRecord } from '../../src/record/store.js'
import type { TraceEvent } from '../../src/trace/events.js'
import { readTrace } from '../../src/trace/reader.js'
import { bwrap } from '../workspace/helpers.js'

// The model's file tools, driven end to end through the plugin by a scripted model that plants links and special
// files with shell commands and then calls read_file and write_file on them.

const project = resolve(import.meta.dirname, '../fixtures/workspace-probe-project')
const cli = resolve(import.meta.dirname, '../../dist/src/cli/bin.js')
const hostDir = '/tmp/self-harness-probe-host'
const absentDir = '/tmp/self-harness-probe-absent'
const OUTSIDE = /^error: Expected a path inside the workspace, got `[^`]+`\.$/
let sim: SimServer

beforeAll(async () => {
  sim = await startSimServer({ solutionsDir: join(project, 'solutions'), seed: 1 })
})
afterAll(async () => {
  await sim?.close()
  await rm(hostDir, { recursive: true, force: true })
  await rm(absentDir, { recursive: true, force: true })
})

async function run(sandbox: 'auto' | 'none', task: string) {
  const out = join(project, `.self-harness-${sandbox}-${task}`)
  await rm(out, { recursive: true, force: true })
  const result = await execa(process.execPath, [cli, 'vitest', 'run', '--harness=baseline', '--no-gate', `tasks/${task}`], {
    cwd: project,
    env: { OPENAI_BASE_URL: sim.url, OPENAI_API_KEY: 'k', SELF_HARNESS_MODEL: 'sim-oracle', SELF_HARNESS_OUTPUT_DIR: out, SELF_HARNESS_SANDBOX: sandbox, NO_COLOR: '1' },
    reject: false,
    all: true,
    timeout: 100_000,
  })
  const record = await readRecord(join(out, 'runs', 'baseline.json'))
  const entries = await readdir(out, { withFileTypes: true, recursive: true })
  const traces = entries.filter((e) => e.isFile() && e.name.endsWith('.jsonl') && !e.name.includes('journal'))
  const events = (await Promise.all(traces.map((e) => readTrace(join(e.parentPath, e.name))))).flat()
  await rm(out, { recursive: true, force: true })
  return { result, record, events }
}

/** The outputs of the tool calls in a trace, in order. */
function toolResults(events: TraceEvent[]): string[] {
  return events.flatMap((event) => (event.kind === 'tool-result' ? [String(event.output)] : []))
}

// `auto` is bubblewrap where it works, else the fallback as well.
describe.each(['auto', 'none'] as const)(`file tools under sandbox: %s${bwrap.available ? '' : ' (no bubblewrap here: both are the fallback)'}`, (sandbox) => {
  it('never write or read the host through links a command planted, dangling or not; one text for every way out', async () => {
    await rm(hostDir, { recursive: true, force: true })
    await rm(absentDir, { recursive: true, force: true })
    await mkdir(hostDir, { mode: 0o777 })
    const { result, record, events } = await run(sandbox, 'link-out')
    expect(result.exitCode, result.all).toBe(0)
    expect(record.tasks[0]?.trials[0]?.outcome, result.all).toBe('pass')
    expect(readdirSync(hostDir)).toEqual([]) // the host is untouched
    expect(existsSync(absentDir)).toBe(false)
    const outputs = toolResults(events)
    // The five writes and the two reads that lead out get the same text, whether the host path exists or not.
    const refused = outputs.filter((output) => output.startsWith('error:'))
    expect(refused).toHaveLength(7)
    for (const output of refused) expect(output).toMatch(OUTSIDE)
    expect(outputs.join('\n')).not.toContain(await readFile('/etc/hostname', 'utf8').catch(() => '\0none'))
    expect(outputs).toContain('through a link that stays inside\n') // links that stay inside are followed, both ways
  })

  it('refuse FIFOs and sockets at once, and read a large file only up to the limit', async () => {
    const { result, record, events } = await run(sandbox, 'special-files')
    expect(result.timedOut).toBe(false) // five FIFOs read and nothing blocked
    expect(result.exitCode, result.all).toBe(0)
    expect(record.tasks[0]?.trials[0]?.outcome, result.all).toBe('pass')
    const outputs = toolResults(events)
    expect(outputs.filter((output) => output.includes('it is a FIFO; the file tools read and write regular files only'))).toHaveLength(6)
    expect(outputs.some((output) => output.includes('it is a socket'))).toBe(true)
    expect(outputs.some((output) => output.startsWith(`[the file is longer than the read limit: only its first ${1024 * 1024} bytes follow]\na\na\n`))).toBe(true)
  })
})
