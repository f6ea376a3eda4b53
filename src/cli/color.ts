/**
 * Makes `FORCE_COLOR=0` (and `false`) mean "no colour", as Node and most tools read it: picocolors and vitest's
 * colour library count any value of FORCE_COLOR as "on". Rewrites the environment before either loads, so the
 * command and the vitest processes it starts agree. `NO_COLOR` wins over everything.
 */
export function normalizeColorEnv(env: NodeJS.ProcessEnv): void {
  if (env.NO_COLOR) {
    delete env.FORCE_COLOR
    return
  }
  if (env.FORCE_COLOR === '0' || env.FORCE_COLOR === 'false') {
    delete env.FORCE_COLOR
    env.NO_COLOR = '1'
  }
}
