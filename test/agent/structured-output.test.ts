import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSimServer, type SimServer } from '../../fixtures/sim/server.js'
import { createModelClient, resolveModelOptions } from '../../src/agent/model.js'
import { clusterFailures } from '../../src/miner/cluster.js'
import { extractFeatures } from '../../src/miner/features.js'
import { nameCluster, NAMING_FORMAT } from '../../src/miner/name-clusters.js'
import { PROPOSAL_FORMAT, proposeEdits } from '../../src/proposer/propose.js'
import { baselineSpec, suiteTasks, weakness } from '../proposer/helpers.js'
import { gitIdentityFailure } from '../miner/traces.js'
import { completion, startScriptedEndpoint } from './scripted-endpoint.js'

// The miner and the proposer ask for structured output built from their zod schemas, and fall back to plain-text
// parsing when the endpoint refuses it.

describe('structured output', () => {
  it('asks with response_format json_schema and, refused once with a 400 naming it, asks without it from then on', async () => {
    const endpoint = await startScriptedEndpoint()
    try {
      endpoint.push(
        { status: 400, body: { error: { message: "Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model.", type: 'invalid_request_error' } } },
        { body: completion({ content: '{"pattern": "git identity missing", "category": "prerequisite-missing", "explanation": "no user.name"}' }) },
        { body: completion({ content: '{"proposals": []}' }) },
      )
      const client = createModelClient(resolveModelOptions({ baseURL: endpoint.url, apiKey: 'k', model: 'm', maxRetries: 0 }))
      const [cluster] = clusterFailures([0, 1].map((i) => ({ taskId: `t${i}`, trial: 0, features: extractFeatures(gitIdentityFailure(`t${i}`)) })))
      const named = await nameCluster(client, cluster!)
      expect(named).toMatchObject({ ok: true, naming: { category: 'prerequisite-missing' } })
      const first = endpoint.requests[0]!.body.response_format as { type: string; json_schema: { name: string; schema: { properties: Record<string, unknown> } } }
      expect(first.type).toBe('json_schema')
      expect(first.json_schema).toEqual({ name: NAMING_FORMAT.name, schema: NAMING_FORMAT.schema })
      expect(Object.keys(first.json_schema.schema.properties)).toEqual(['pattern', 'category', 'explanation'])
      expect(endpoint.requests[1]!.body.response_format).toBeUndefined()
      await proposeEdits({ weakness: weakness(), harness: baselineSpec(), client, guardContext: suiteTasks(), retries: 0 })
      expect(endpoint.requests[2]!.body.response_format).toBeUndefined()
      expect(endpoint.unexpected).toBe(0)
    } finally {
      await endpoint.close()
    }
  })

  describe('against the simulator', () => {
    let sim: SimServer
    beforeAll(async () => {
      sim = await startSimServer({ solutionsDir: fileURLToPath(new URL('../sim/solutions', import.meta.url)), seed: 3 })
    })
    afterAll(() => sim.close())

    it.each([false, true])('proposes parsed edits whether the server takes response_format or not (refused: %s)', async (refuse) => {
      sim.setFaults(refuse ? { refuseResponseFormat: { probability: 1 } } : {})
      const client = createModelClient(resolveModelOptions({ baseURL: sim.url, apiKey: 'k', model: 'sim-steady', maxRetries: 0 }))
      const result = await proposeEdits({ weakness: weakness(), harness: baselineSpec(), client, guardContext: suiteTasks() })
      expect(result.proposals.length).toBeGreaterThanOrEqual(1)
      expect(sim.stats().faults.refuseResponseFormat).toBe(refuse ? 1 : 0)
      expect(PROPOSAL_FORMAT.schema).toMatchObject({ type: 'object', required: ['proposals'] })
    })
  })
})
