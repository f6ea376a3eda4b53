import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, describe, expect, it } from 'vitest'
import { startSimServer } from '../../fixtures/sim/server.js'
import { bundledSuiteDir } from '../../fixtures/sim/bundled.js'
import { endpointSlots, serverRoot } from '../../src/agent/slots.js'
import { join } from 'node:path'

/** A server that answers `/props` with `handler`. */
async function serve(handler: Parameters<typeof createServer>[1]): Promise<{ url: string; server: Server }> {
  const server = createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, server }
}

const servers: Server[] = []
afterAll(() => {
  for (const server of servers) {
    server.closeAllConnections()
    server.close()
  }
})

describe('serverRoot', () => {
  it('drops the /v1 of an OpenAI base URL and keeps any prefix before it', () => {
    expect(serverRoot('http://127.0.0.1:8080/v1')).toBe('http://127.0.0.1:8080/')
    expect(serverRoot('http://127.0.0.1:8080/v1/')).toBe('http://127.0.0.1:8080/')
    expect(serverRoot('https://host/llama/v1?x=1')).toBe('https://host/llama/')
    expect(serverRoot('http://host:1')).toBe('http://host:1/')
  })
})

describe('endpointSlots', () => {
  it("reads llama.cpp's total_slots from GET /props, as the simulator reports it", async () => {
    const sim = await startSimServer({ solutionsDir: join(bundledSuiteDir(), 'solutions'), slots: 3 })
    try {
      expect(await endpointSlots(sim.url)).toBe(3)
    } finally {
      await sim.close()
    }
  })

  it('gives undefined when the endpoint does not say: 404, no base URL, an unreachable port', async () => {
    const sim = await startSimServer({ solutionsDir: join(bundledSuiteDir(), 'solutions') })
    try {
      expect(await endpointSlots(sim.url)).toBeUndefined()
    } finally {
      await sim.close()
    }
    expect(await endpointSlots(undefined)).toBeUndefined()
    expect(await endpointSlots('http://127.0.0.1:9/v1', 500)).toBeUndefined()
    expect(await endpointSlots('not a url')).toBeUndefined()
  })

  it('treats what the endpoint sends as untrusted: wrong types, HTML, bodies over 1 MB, no answer', async () => {
    const bodies: Array<[string, string]> = [
      ['application/json', JSON.stringify({ total_slots: '4' })],
      ['application/json', JSON.stringify({ total_slots: -1 })],
      ['application/json', JSON.stringify({ total_slots: 2.5 })],
      ['application/json', JSON.stringify({ total_slots: 1e9 })],
      ['text/html', '<html>props</html>'],
      ['application/json', JSON.stringify({ total_slots: 2, pad: 'x'.repeat(1_100_000) })],
    ]
    for (const [type, body] of bodies) {
      const { url, server } = await serve((_req, res) => {
        res.writeHead(200, { 'content-type': type })
        res.end(body)
      })
      servers.push(server)
      expect(await endpointSlots(url), body.slice(0, 40)).toBeUndefined()
    }
    const { url, server } = await serve(() => {}) // never answers
    servers.push(server)
    expect(await endpointSlots(url, 300)).toBeUndefined() // the time limit ends it (the test's own limit would fail it)
  })
})
