import { defineConfig } from 'vitest/config'
import { selfHarness } from 'self-harness/plugin'
import { simulatedModel } from 'self-harness/sim'

// Until OPENAI_BASE_URL or SELF_HARNESS_MODEL names a model, runs use the bundled simulated model (a simulator
// with scripted weaknesses, not a real model), which knows the tasks whose solutions are in solutions/.
const simulated = !process.env.OPENAI_BASE_URL && !process.env.SELF_HARNESS_MODEL

export default defineConfig({
  plugins: [
    ...(simulated ? [simulatedModel({ solutions: 'solutions', profile: 'steady' })] : []),
    // The agent is ours (agent.ts); harnesses/<name>.json are its own harness data.
    selfHarness({ agent: './agent.ts', gate: { underpowered: 'strict' } }),
  ],
  test: { include: ['tasks/**/*.test.ts'], testTimeout: 180_000 },
})
