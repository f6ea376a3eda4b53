import { cac, type CAC, type Command } from 'cac'
import { ConfigurationError } from '../errors.js'
import { COMMANDS, commandSpec, flagNames, GLOBAL_FLAGS, type CommandSpec } from './spec.js'
import { closest } from '../suggest.js'

/** A parsed command line: the command, its positional arguments, its flags, and what goes through untouched. */
export interface ParsedArgs {
  command: string | undefined
  positional: string[]
  /** Flags by their long name as typed (`max-iterations`, `no-gate`): a string value, or `true` for a bare flag. */
  flags: Record<string, string | boolean>
  /** Arguments passed on to another program (for `self-harness vitest`), or given after `--`. */
  rest: string[]
}

/** What the command line asks for: run a command, show a usage text, or print the version. */
export type CommandLine =
  | { kind: 'run'; args: ParsedArgs; debug: boolean }
  | { kind: 'help'; text: string; exitCode: 0 | 2 }
  | { kind: 'version' }

const EXIT_CODES = `Exit codes: 0 accepted / no regression, 1 regression or no net gain, 2 usage or configuration error,
3 not comparable or not enough evidence.`

const isHelp = (arg: string) => arg === '--help' || arg === '-h'

/** The cac program for the whole command set; built per parse so parsing stays a pure function. */
function program(version: string): CAC {
  const cli = cac('self-harness')
  for (const spec of COMMANDS) {
    const command = cli.command(`${spec.name}${spec.args ? ` ${spec.args}` : ''}`, spec.summary)
    // Defaults go in the text only: each command applies its own, so an absent flag stays absent.
    for (const flag of spec.flags) command.option(flag.flag, flag.default === undefined ? flag.description : `${flag.description} (default: ${flag.default})`)
    for (const example of spec.examples ?? []) command.example(`  $ ${example}`)
    if (spec.passThrough) command.allowUnknownOptions()
  }
  for (const flag of GLOBAL_FLAGS) if (!flag.flag.includes('--help')) cli.option(flag.flag, flag.description)
  cli.help((sections) => [...sections, { body: EXIT_CODES }])
  cli.version(version)
  return cli
}

/** cac prints help with console.log; this returns it as text instead, with the command's summary under its name. */
function helpText(cli: CAC, command?: Command): string {
  const spec = command && commandSpec(command.name)
  const lines: string[] = []
  const log = console.log
  console.log = (text: string) => lines.push(text)
  try {
    if (command) command.outputHelp()
    else cli.globalCommand.outputHelp()
  } finally {
    console.log = log
  }
  const text = lines.join('\n').split('\n')
  if (spec) text.splice(1, 0, '', `${spec.summary}.${spec.passThrough ? ' Flags not listed here go to vitest (`npx vitest --help` lists them).' : ''}`)
  // cac gives a negated flag the default `true`; the text says what the flag does instead.
  return text.join('\n').replace(/ \(default: true\)/g, '').replace(/ +$/gm, '')
}

/** Splits a pass-through command's arguments into its own flags (normalized to `--name[=value]`) and vitest's. */
function splitPassThrough(spec: CommandSpec, args: readonly string[]): { own: string[]; rest: string[] } {
  const own: string[] = []
  const rest: string[] = []
  const byName = new Map(spec.flags.flatMap((flag) => flagNames(flag).map((name) => [name, flag] as const)))
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    const match = /^--([a-z][\w-]*)(?:=(.*))?$/s.exec(arg)
    const flag = match && byName.get(match[1]!)
    if (!match || !flag) {
      rest.push(arg)
      continue
    }
    const name = match[1]!
    if (flag.flag.includes('<')) {
      // A required value: inline, or the next argument.
      const value = match[2] ?? (args[i + 1] !== undefined && !args[i + 1]!.startsWith('-') ? args[++i]! : undefined)
      if (value === undefined) throw new ConfigurationError('USAGE', `Expected a value after \`--${name}\`, got none.`, { field: name })
      own.push(`--${name}=${value}`)
    } else {
      // A boolean flag, or an optional value that only counts inline (`--adaptive=60`): `--adaptive run` keeps `run` for vitest.
      own.push(match[2] === undefined ? `--${name}` : `--${name}=${match[2]}`)
    }
  }
  return { own, rest }
}

/** Refuses a flag the command does not declare, with the closest declared one as a suggestion. */
function refuseUnknownFlags(spec: CommandSpec, args: readonly string[]): void {
  const known = [...spec.flags, ...GLOBAL_FLAGS].flatMap(flagNames)
  const end = args.indexOf('--')
  for (const arg of end < 0 ? args : args.slice(0, end)) {
    const match = /^(--?)([^=]+)/.exec(arg)
    if (!match || /^-\d/.test(arg)) continue
    const name = match[2]!
    const names = match[1] === '-' && name.length > 1 ? [...name] : [name] // `-abc` is three short flags
    for (const one of names) {
      if (known.includes(one)) continue
      const shown = `${one.length > 1 ? '--' : '-'}${one}`
      const guess = closest(one, known.filter((k) => k.length > 1))
      throw new ConfigurationError(
        'USAGE',
        `unknown flag \`${shown}\` for \`self-harness ${spec.name}\`${guess ? `; did you mean \`--${guess}\`?` : '.'} Run \`self-harness ${spec.name} --help\` for its flags.`,
        { field: shown },
      )
    }
  }
}

/** The flags typed, by their long names, from the normalized `--name[=value]` tokens; values keep their text. */
function flagsOf(spec: CommandSpec, own: readonly string[]): Record<string, string | boolean> {
  const flags: Record<string, string | boolean> = {}
  for (const token of own) {
    const match = /^--([a-z][\w-]*)(?:=(.*))?$/s.exec(token)!
    const flag = spec.flags.find((f) => flagNames(f).includes(match[1]!))
    const name = flag ? flagNames(flag).find((n) => n.length > 1)! : match[1]!
    flags[name] = match[2] ?? true
  }
  return flags
}

/**
 * Parses `self-harness <command> ...` with cac. A pure function of argv: usage errors are thrown as
 * ConfigurationError (exit 2), `--help`/`-h` anywhere before `--` asks for the command's usage and nothing else.
 */
export function parseCommandLine(argv: readonly string[], version = '0.0.0'): CommandLine {
  const cli = program(version)
  const [first, ...tail] = argv
  if (first === undefined) return { kind: 'help', text: helpText(cli), exitCode: 2 }
  if (isHelp(first)) return { kind: 'help', text: helpText(cli), exitCode: 0 }
  if (first === '--version' || first === '-v') return { kind: 'version' }
  if (first === 'help') {
    const target = tail[0] === undefined ? undefined : cli.commands.find((c) => c.name === tail[0])
    if (tail[0] !== undefined && !target) throw unknownCommand(tail[0])
    return { kind: 'help', text: helpText(cli, target), exitCode: 0 }
  }
  if (first.startsWith('-')) {
    const guess = closest(first.replace(/^-+/, ''), COMMANDS.map((c) => c.name))
    throw new ConfigurationError('USAGE', `Expected a command first, got the flag \`${first}\`${guess ? `; did you mean \`self-harness ${guess}\`?` : '.'} Run \`self-harness --help\` for the commands.`, { field: 'command' })
  }
  const spec = commandSpec(first)
  if (!spec) throw unknownCommand(first)
  const command = cli.commands.find((c) => c.name === spec.name)!
  const end = tail.indexOf('--')
  const before = end < 0 ? tail : tail.slice(0, end)
  if (before.some(isHelp)) return { kind: 'help', text: helpText(cli, command), exitCode: 0 }
  const debug = before.includes('--debug')
  const args = tail.filter((arg, i) => !(arg === '--debug' && (end < 0 || i < end)))
  if (spec.passThrough) {
    const { own, rest } = splitPassThrough(spec, args)
    return { kind: 'run', debug, args: { command: spec.name, positional: [], flags: flagsOf(spec, own), rest } }
  }
  refuseUnknownFlags(spec, args)
  // cac splits positional arguments from flags and takes what follows `--`; the flags' text is read from argv.
  const parsed = cli.parse(['node', 'self-harness', spec.name, ...args], { run: false })
  const positional = parsed.args.map(String)
  const rest = ((parsed.options['--'] as unknown[] | undefined) ?? []).map(String)
  const own = splitPassThrough(spec, end < 0 ? args : args.slice(0, args.indexOf('--'))).own
  return { kind: 'run', debug, args: { command: spec.name, positional, flags: flagsOf(spec, own), rest } }
}

function unknownCommand(name: string): ConfigurationError {
  const guess = closest(name, COMMANDS.map((c) => c.name))
  return new ConfigurationError('USAGE', `unknown command \`${name}\`${guess ? `; did you mean \`self-harness ${guess}\`?` : '.'} Run \`self-harness --help\` for the commands.`, { field: 'command' })
}

/** Parses a command line that runs a command (tests and callers that build argv); refuses a request for help. */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const line = parseCommandLine(argv)
  if (line.kind !== 'run') throw new ConfigurationError('USAGE', `Expected a command to run, got a request for ${line.kind}.`, { field: 'command' })
  return line.args
}

/** A string flag's value, or undefined; refuses a bare flag where a value is needed. */
export function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const value = args.flags[name]
  if (value === undefined) return undefined
  if (typeof value !== 'string' || value === '') {
    throw new ConfigurationError('USAGE', `Expected \`--${name}=<value>\`, got \`--${name}\` with no value.`, { field: name })
  }
  return value
}
