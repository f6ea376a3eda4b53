import { escapeHtml, percent } from './escape.js'
import { rateOf, type Lineage, type SplitCount } from './types.js'

/** One point of the pass-rate chart. */
export interface ChartPoint {
  iteration: number
  harnessId: string
  count: SplitCount
}

/** Validation and sealed pass counts per accepted version; the end entry adds the final version's sealed count. */
export function chartSeries(lineage: Lineage): { validation: ChartPoint[]; sealed: ChartPoint[] } {
  const validation: ChartPoint[] = []
  const sealed: ChartPoint[] = []
  for (const step of lineage.steps) {
    const end = lineage.end?.harnessId === step.harnessId ? lineage.end.summary : undefined
    const v = step.summary.validation ?? end?.validation
    const s = step.summary.sealed ?? end?.sealed
    if (v) validation.push({ iteration: step.iteration, harnessId: step.harnessId, count: v })
    if (s) sealed.push({ iteration: step.iteration, harnessId: step.harnessId, count: s })
  }
  return { validation, sealed }
}

const W = 640
const H = 260
const PAD = { left: 48, right: 28, top: 36, bottom: 40 }

/** An inline SVG line chart of the validation and sealed pass rates per iteration. */
export function passRateChart(lineage: Lineage): string {
  const { validation, sealed } = chartSeries(lineage)
  const lastIteration = Math.max(1, lineage.iterations, ...lineage.steps.map((s) => s.iteration))
  const x = (iteration: number) => PAD.left + (iteration / lastIteration) * (W - PAD.left - PAD.right)
  const y = (rate: number) => PAD.top + (1 - rate) * (H - PAD.top - PAD.bottom)
  const parts: string[] = []
  for (const tick of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(`<line class="grid" x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(tick)}" y2="${y(tick)}"/>`)
    parts.push(`<text class="axis" x="${PAD.left - 8}" y="${y(tick) + 4}" text-anchor="end">${percent(tick)}</text>`)
  }
  for (let i = 0; i <= lastIteration; i++) {
    parts.push(`<text class="axis" x="${x(i)}" y="${H - PAD.bottom + 18}" text-anchor="middle">${i}</text>`)
  }
  parts.push(`<text class="axis" x="${(PAD.left + W - PAD.right) / 2}" y="${H - 4}" text-anchor="middle">iteration</text>`)
  const series = (points: ChartPoint[], name: 'validation' | 'sealed') => {
    if (!points.length) return
    // Validation is known for every accepted version, which stays in force until the next: steps. Sealed is
    // measured only at the start and the end: a dashed straight line between what is known.
    const path = points.map((p, i) => {
      const rate = rateOf(p.count) ?? 0
      if (i === 0) return `M${x(p.iteration)},${y(rate)}`
      return name === 'validation' ? `H${x(p.iteration)}V${y(rate)}` : `L${x(p.iteration)},${y(rate)}`
    })
    parts.push(`<path class="line ${name}" d="${path.join('')}"/>`)
    for (const p of points) {
      const rate = rateOf(p.count) ?? 0
      const label = `${name} at iteration ${p.iteration} (harness ${p.harnessId}): ${p.count.passed}/${p.count.tasks} = ${percent(rate)}`
      parts.push(
        `<circle class="point ${name}" data-series="${name}" data-iteration="${p.iteration}" cx="${x(p.iteration)}" cy="${y(rate)}" r="5"><title>${escapeHtml(label)}</title></circle>`,
        `<text class="value ${name}" x="${x(p.iteration)}" y="${y(rate) + (name === 'sealed' ? 18 : -10)}" text-anchor="middle">${percent(rate)}</text>`,
      )
    }
  }
  series(validation, 'validation')
  series(sealed, 'sealed')
  const legend =
    `<g class="legend" transform="translate(${PAD.left},6)">` +
    `<rect class="swatch validation" width="12" height="4" y="4"/><text x="18" y="10">validation</text>` +
    `<rect class="swatch sealed" width="12" height="4" x="100" y="4"/><text x="118" y="10">sealed</text></g>`
  const title = `Pass rate per iteration: validation ${validation.map((p) => percent(rateOf(p.count))).join(' → ') || 'none'}; sealed ${sealed.map((p) => percent(rateOf(p.count))).join(' → ') || 'none'}`
  return `<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="${escapeHtml(title)}">${parts.join('')}${legend}</svg>`
}
