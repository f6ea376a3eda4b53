import { MODEL_SETTING_FLAGS, RUN_SETTING_FLAGS } from './run-flags.js'

/** One flag of a command, as cac declares it: `--name`, `--name <value>` or `--name [value]`. */
export interface FlagSpec {
  /** cac's raw name, e.g. `--trials <k>`, `--no-gate`, `--adaptive [budget]`. */
  flag: string
  description: string
  /** Shown in the help as the default. */
  default?: string | number
}

/** A subcommand: what it takes, what it says in `--help`, and whether it hands unknown flags on to vitest. */
export interface CommandSpec {
  name: string
  /** Positional arguments in cac's notation, e.g. `<baseline> <candidate>`. */
  args?: string
  summary: string
  flags: readonly FlagSpec[]
  /** Flags not declared here go to vitest untouched (`self-harness vitest`, `calibrate`). */
  passThrough?: boolean
  examples?: readonly string[]
}

const json: FlagSpec = { flag: '--json', description: 'Print the result as one JSON object' }
const agent: FlagSpec = { flag: '--agent <module>', description: "The project's own agent module (its default export is defineAgent(...)); default: the built-in loop" }
const harnessDir: FlagSpec = { flag: '--harness-dir <dir>', description: 'Directory of the harness files', default: 'harnesses' }

/**
 * Every subcommand of `self-harness`. A flag a command reads must be declared here: undeclared flags are refused
 * (test/cli/spec.test.ts reads the command files and checks it).
 */
export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'init',
    summary: 'Scaffold a project: config, baseline harness, an example task, CI workflow',
    flags: [{ flag: '--force', description: 'Overwrite files that exist' }],
    examples: ['self-harness init', 'self-harness init --force'],
  },
  {
    name: 'vitest',
    args: '[...vitest args]',
    summary: 'Run the tasks under a harness with vitest',
    passThrough: true,
    flags: [
      { flag: '--harness <name>', description: 'Harness version to run (harnesses/<name>.json)', default: 'baseline' },
      { flag: '--trials <k>', description: 'Trials per task', default: 1 },
      { flag: '--baseline <file>', description: 'Gate the run against this committed baseline record' },
      { flag: '--no-gate', description: 'Do not gate, even when a baseline is configured' },
      { flag: '--fresh', description: 'Discard the journal of an interrupted run instead of resuming it' },
      { flag: '--retry-errors', description: "Run only the last record's errored trials again" },
      { flag: '--mine', description: 'Mine the failures into ranked weaknesses after the run' },
      { flag: '--report', description: 'Write the HTML report beside the record' },
      { flag: '--adaptive [budget]', description: 'Extra trials for disputed tasks, within a budget of task trials', default: 40 },
      ...RUN_SETTING_FLAGS,
    ],
    examples: ['self-harness vitest run --harness=candidate --baseline=self-harness.baseline.json', 'self-harness vitest run --harness=candidate --shard=1/3 --reporter=dot'],
  },
  {
    name: 'compare',
    args: '<baseline-record> <candidate-record>',
    summary: 'The gate on two run records',
    flags: [
      json,
      { flag: '--mode <mode>', description: 'check (block regressions only) or promote (also needs a net gain)' },
      { flag: '--policy-file <file>', description: "The gate policy to use (default: the one recorded beside the candidate's record)" },
      { flag: '--history <file>', description: "The baseline's history (default: beside the baseline)" },
      { flag: '--look <n>', description: 'Which look at the task this is (1 for the run, 2+ for follow-up trials; default 1)' },
      { flag: '--policy <rule>', description: 'Gate rule: exact, strict or split' },
      { flag: '--alpha <a>', description: 'Significance level of the regression test' },
      { flag: '--underpowered <mode>', description: 'Tasks with too few trials: insufficient-evidence or strict' },
      harnessDir,
      agent,
    ],
  },
  {
    name: 'accept',
    args: '<record>',
    summary: 'Make a run record the committed baseline, on purpose',
    flags: [
      { flag: '--to <file>', description: 'The baseline file to write', default: 'self-harness.baseline.json' },
      { flag: '--allow-errors', description: 'Accept a record that still has infrastructure errors' },
      { flag: '--force', description: 'Accept a new harness even when it does not beat the current baseline' },
      { flag: '--policy-file <file>', description: 'The gate policy of the promotion check' },
      { flag: '--policy <rule>', description: 'Gate rule of the promotion check: exact, strict or split' },
      { flag: '--alpha <a>', description: 'Significance level of the promotion check' },
      { flag: '--underpowered <mode>', description: 'Tasks with too few trials: insufficient-evidence or strict' },
    ],
  },
  {
    name: 'calibrate',
    args: '[...vitest args]',
    summary: "Run a harness against itself: flip rates and the gate's false-alarm rate",
    passThrough: true,
    flags: [
      { flag: '--harness <name>', description: 'Harness version to calibrate', default: 'baseline' },
      { flag: '--trials <k>', description: 'Trials per task and run', default: 5 },
      { flag: '--runs <n>', description: 'Runs of the harness (at least 2)', default: 2 },
      { flag: '--resamples <n>', description: 'A/A resamples for the false-alarm rate', default: 500 },
      { flag: '--output-dir <dir>', description: 'Where the runs and the flake history go', default: '.self-harness' },
      { flag: '--policy <rule>', description: 'Gate rule: exact, strict or split' },
      ...RUN_SETTING_FLAGS,
      json,
    ],
  },
  {
    name: 'mine',
    args: '<record>',
    summary: "A record's failures as ranked weaknesses",
    flags: [json, { flag: '--no-model', description: 'Cluster without asking the model to name the clusters' }, ...MODEL_SETTING_FLAGS],
  },
  {
    name: 'propose',
    args: '<record>',
    summary: 'Ask the model for guarded harness edits for a weakness',
    flags: [
      { flag: '--harness <name>', description: "Harness to edit (default: the record's)" },
      harnessDir,
      agent,
      { flag: '--weakness <id>', description: 'The weakness to address (default: the top one)' },
      { flag: '--no-model', description: 'Mine without asking the model to name the clusters' },
      ...MODEL_SETTING_FLAGS,
      json,
    ],
  },
  {
    name: 'evolve',
    summary: 'Improve a harness by itself on the project tasks: run, mine, propose, validate, accept',
    flags: [
      { flag: '--harness <name>', description: 'Harness to start from', default: 'baseline' },
      harnessDir,
      agent,
      { flag: '--trials <k>', description: 'Trials per task', default: 1 },
      { flag: '--max-iterations <n>', description: 'Iterations at most', default: 5 },
      { flag: '--weaknesses <n>', description: 'Weaknesses addressed per iteration', default: 2 },
      { flag: '--proposals <n>', description: 'Proposals asked per weakness', default: 4 },
      { flag: '--dir <dir>', description: 'Ledger, versions and runs (default: .self-harness/evolve/<model>)' },
      ...RUN_SETTING_FLAGS,
      json,
    ],
  },
  {
    name: 'report',
    args: '<candidate-record>',
    summary: 'Write the self-contained HTML report of a run',
    flags: [
      { flag: '--baseline <record>', description: 'The baseline record (default: the one the verdict names)' },
      { flag: '--verdict <file>', description: 'The verdict (default: <record>.verdict.json)' },
      { flag: '--weaknesses <file>', description: 'The mining report (default: <record>.weaknesses.json)' },
      { flag: '--ledger <file>', description: 'An evolve ledger, for the lineage view' },
      { flag: '--out <file>', description: 'The HTML file to write', default: 'report.html' },
      { flag: '--traces <which>', description: 'Traces to embed: all or failed-and-flipped' },
      { flag: '--max-trace-events <n>', description: 'Events kept per trace', default: 400 },
    ],
  },
  {
    name: 'export',
    args: '<record-or-trace>',
    summary: 'Write traces as OTLP/JSON for Jaeger, Grafana Tempo, Langfuse or an OpenTelemetry Collector',
    flags: [
      { flag: '--out <file>', description: 'The JSON file to write (default: print to stdout)' },
      { flag: '--format <format>', description: 'Output format: otlp-json (an OTLP ExportTraceServiceRequest)', default: 'otlp-json' },
    ],
    examples: ['self-harness export .self-harness/runs/candidate.json --out traces.otlp.json', 'self-harness export .self-harness/traces/task/0.jsonl'],
  },
  {
    name: 'schemas',
    summary: 'Write the JSON Schema of every saved format',
    flags: [{ flag: '--out <dir>', description: 'Directory to write to', default: 'schemas' }],
  },
  {
    name: 'sim',
    summary: 'Serve the bundled simulated model (a simulator, not a real model) over the OpenAI protocol',
    flags: [
      { flag: '--port <n>', description: 'Port to listen on (0 picks a free one)', default: 8787 },
      { flag: '--host <addr>', description: 'Address to listen on', default: '127.0.0.1' },
      { flag: '--solutions <dir>', description: 'Directory of solution files (default: the bundled suite)' },
      { flag: '--profile <name>', description: 'Profile for the printed settings: oracle, steady, hasty or forgetful', default: 'steady' },
      { flag: '--seed <n>', description: 'Seed of all randomness', default: 0 },
      { flag: '--latency-ms <n>', description: 'Delay before every answer', default: 0 },
      { flag: '--faults <json>', description: 'Faults to inject, as JSON (see the simulator docs)' },
    ],
    examples: ['self-harness sim --port 8787', 'self-harness sim --solutions solutions --profile oracle'],
  },
  {
    name: 'demo',
    summary: 'Run the loop demo on the bundled suite with the simulated models',
    flags: [
      { flag: '--gate', description: 'Run the gate demo instead (baseline, candidate and risky harnesses)' },
      { flag: '--profiles <list>', description: 'Simulated profiles of the loop demo, comma-separated', default: 'sim-steady,sim-hasty,sim-forgetful' },
      { flag: '--out <dir>', description: 'Where records, ledgers and traces go', default: '.self-harness/demo' },
    ],
  },
]

/** Flags every command takes. */
export const GLOBAL_FLAGS: readonly FlagSpec[] = [
  { flag: '-h, --help', description: 'Show the usage and do nothing else' },
  { flag: '--debug', description: 'Show the stack of an error' },
]

/** The spec of a command, by name. */
export function commandSpec(name: string): CommandSpec | undefined {
  return COMMANDS.find((command) => command.name === name)
}

/** The long names a flag spec answers to, without dashes: `no-gate`, `trials`, `help` and `h`. */
export function flagNames(spec: FlagSpec): string[] {
  return spec.flag
    .replace(/[<[].*$/, '')
    .split(',')
    .map((part) => part.trim().replace(/^-+/, ''))
    .filter(Boolean)
}
