/** Edit distance of two strings (insertions, deletions, substitutions and swaps of neighbours all cost one). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)))
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1)
    }
  }
  return d[a.length]![b.length]!
}

/** The known name closest to a mistyped one, when it is close enough to be what was meant; pure. */
export function closest(wrong: string, known: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined
  for (const name of known) {
    const distance = name.startsWith(wrong) && wrong.length >= 3 ? 0.5 : editDistance(wrong, name)
    if (distance <= Math.max(1, Math.min(3, Math.floor(name.length / 3))) && (!best || distance < best.distance)) best = { name, distance }
  }
  return best?.name
}
