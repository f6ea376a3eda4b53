// Placeholders replace what varies between tasks and trials, so the same failure reads the same everywhere.

const QUOTED = [
  /(?<![\w\\])'(?:[^'\\]|\\.)*'(?!\w)/g,
  /(?<![\w\\])"(?:[^"\\]|\\.)*"(?!\w)/g,
  /`[^`\n]*`/g,
  /‘[^’\n]*’/g,
  /“[^”\n]*”/g,
]
const HASH = /\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,64}\b/gi
const VERSION = /(?<![\w.])v?\d+(?:\.\d+){2,}(?:[-+][\w.]+)?(?![\w.])/g
const PATH = /(?<![\w<>])(?:~|\.{1,2})?(?:[\w.@%+*?{},=:-]*\/)+[\w.@%+*?{},-]*/g
const FILE = /(?<![\w<>./-])[\w-]+(?:\.[A-Za-z][\w]{0,7})+(?::\d+)*(?![\w/])/g
const NUMBER = /(?<![\w<])\d+(?:\.\d+)?(?![\w>])/g

/** Replaces quoted strings, hashes, paths and numbers by `<str>`, `<hash>`, `<path>`, `<n>`; collapses blanks. */
export function normalizeText(text: string): string {
  let out = text
  for (const quoted of QUOTED) out = out.replace(quoted, '<str>')
  return out
    .replace(HASH, '<hash>')
    .replace(VERSION, '<n>')
    .replace(PATH, '<path>')
    .replace(FILE, '<path>')
    .replace(NUMBER, '<n>')
    .replace(/\s+/g, ' ')
    .trim()
}

/** A shell command with its variable parts replaced (see {@link normalizeText}). */
export function normalizeCommand(command: string): string {
  return cut(normalizeText(command), 160)
}

/** An error text normalized and lowercased, cut to a short line. */
export function normalizeError(text: string): string {
  return cut(normalizeText(text).toLowerCase(), 120)
}

const WRAPPERS = new Set(['sudo', 'env', 'time', 'nohup', 'command', 'exec', 'xargs'])
const NOISE = new Set(['cd', 'pushd', 'popd', 'echo', 'printf', 'true', 'set', 'export', 'sleep'])
const SUBCOMMANDS = new Set([
  'git', 'npm', 'npx', 'pnpm', 'yarn', 'docker', 'kubectl', 'cargo', 'go', 'pip', 'pip3', 'apt', 'apt-get',
  'systemctl', 'brew', 'gem', 'bundle', 'poetry', 'uv', 'dotnet', 'helm', 'terraform', 'conda',
])

/**
 * The telling part of a failing command: its program, and the subcommand for tools that have them
 * (`git commit`, `npm install`); a program given by path (`./build.sh`) is `<script>`. In a chain (`a && b; c | d`) it takes the part the error names
 * (`chmod: cannot access ...`), else the last part that does real work.
 */
export function commandHead(command: string, errorText = ''): string {
  const parts = normalizeText(command)
    .split(/&&|\|\||;|\|/)
    .map((part) => words(part))
    .filter((tokens) => tokens.length > 0)
  if (!parts.length) return '<empty>'
  const named = /^([\w.-]+):/.exec(errorText.trimStart())?.[1]
  const chosen =
    (named && parts.find((tokens) => tokens[0] === named)) ??
    [...parts].reverse().find((tokens) => !NOISE.has(tokens[0]!)) ??
    parts.at(-1)!
  const [program, ...rest] = chosen
  if (program === '<path>') return '<script>'
  const sub = SUBCOMMANDS.has(program!) ? rest.find((token) => !token.startsWith('-')) : undefined
  return sub && /^[a-z][\w-]*$/.test(sub) ? `${program} ${sub}` : program!
}

function words(part: string): string[] {
  const tokens = part.trim().split(/\s+/).filter(Boolean)
  let i = 0
  while (i < tokens.length && (WRAPPERS.has(tokens[i]!) || /^[A-Za-z_]\w*=/.test(tokens[i]!))) i++
  return tokens.slice(i)
}

/** Cuts text to `max` characters, marking the cut with an ellipsis. */
export function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`
}
