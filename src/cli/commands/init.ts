import { access, mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { ConfigurationError } from '../../errors.js'
import type { ParsedArgs } from '../args.js'
import { mergeGitignore, scaffoldFiles } from '../init/templates.js'
import { packageRoot } from '../package-root.js'

const exists = (file: string) => access(file).then(() => true, () => false)

/**
 * `self-harness init [--force]`: scaffolds a project in the current directory: the vitest config with the plugin
 * (on the bundled simulated model until a real one is set), a baseline harness, an example task and its solution,
 * a tsconfig that types the context, the CI workflow and `.gitignore` lines. Refuses to overwrite files unless `--force`.
 */
export async function initCommand(args: ParsedArgs, cwd: string, out: (text: string) => void): Promise<number> {
  const example = await readFile(join(packageRoot(), 'examples', 'harness-gate.yml'), 'utf8')
  const pkg = await readFile(join(cwd, 'package.json'), 'utf8').then((text) => JSON.parse(text) as { type?: unknown }, () => undefined)
  const files = scaffoldFiles(example, pkg?.type === 'module')
  const taken: string[] = []
  for (const file of files) if (await exists(join(cwd, file.path))) taken.push(file.path)
  // A vitest config under another extension would be loaded instead of (or beside) the one written here.
  for (const ext of ['ts', 'mts', 'js', 'mjs', 'cts', 'cjs']) {
    const other = `vitest.config.${ext}`
    if (!files.some((f) => f.path === other) && (await exists(join(cwd, other)))) taken.push(other)
  }
  if (taken.length && !args.flags.force) {
    throw new ConfigurationError('USAGE', `init would overwrite ${taken.join(', ')}; nothing was written. Move them away, or run \`self-harness init --force\` to overwrite them.`, { field: 'force' })
  }
  for (const file of files) {
    await mkdir(dirname(join(cwd, file.path)), { recursive: true })
    await writeFile(join(cwd, file.path), file.text)
    out(`${taken.includes(file.path) ? 'overwrote' : 'created'} ${file.path}`)
  }
  const gitignore = join(cwd, '.gitignore')
  const merged = mergeGitignore(await readFile(gitignore, 'utf8').catch(() => undefined))
  if (merged !== undefined) {
    await writeFile(gitignore, merged)
    out('updated .gitignore')
  }
  out('')
  out('Next: npx self-harness vitest run   (runs tasks/ under harnesses/baseline.json on the bundled simulated model)')
  out('      set OPENAI_BASE_URL, OPENAI_API_KEY and SELF_HARNESS_MODEL to run on a real model instead;')
  out('      npx self-harness sim serves the simulator on its own, knowing the tasks in solutions/ (--solutions=solutions).')
  return 0
}
