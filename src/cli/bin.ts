#!/usr/bin/env node
import { normalizeColorEnv } from './color.js'

// Colour settings first: picocolors reads the environment once, when it loads with main.
normalizeColorEnv(process.env)
const { main } = await import('./main.js')
process.exitCode = await main(process.argv.slice(2))
