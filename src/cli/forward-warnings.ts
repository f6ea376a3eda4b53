/** Warnings already passed on by this process, so each reaches the user once however many runs print it. */
const forwarded = new Set<string>()

/** How the plugin and the workers begin a warning line. */
const WARNING = /^self-harness: WARNING: .*$/gm

/**
 * Passes the warning lines of a vitest run whose output was captured (evolve's and calibrate's runs) on to this
 * process's stderr, each text once per process: without this, the no-sandbox warning never reaches the user.
 */
export function forwardWarnings(captured: string, write: (text: string) => void = (text) => process.stderr.write(text)): void {
  for (const line of captured.match(WARNING) ?? []) {
    if (forwarded.has(line)) continue
    forwarded.add(line)
    write(`${line}\n`)
  }
}
