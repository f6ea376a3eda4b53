import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'

/** What a scripted endpoint sees of one chat request. */
export interface ScriptedRequest {
  /** The `Authorization` header the client sent. */
  authorization: string | undefined
  /** The first user message: the task's instruction. */
  instruction: string
  /** Assistant messages so far: 0 on the first turn. */
  turn: number
  body: { messages: Array<{ role: string; content?: unknown }> }
}

/** One scripted answer: a completion message, or an HTTP error with a raw body. */
export type ScriptedAnswer =
  | { content?: string | null; toolCalls?: Array<{ name: string; arguments: string }> }
  | { status: number; body: string }

/** A scripted OpenAI-compatible endpoint on 127.0.0.1: `answer` decides every reply; what it throws becomes a 500 and is kept. */
export interface ScriptedEndpoint {
  url: string
  /** Requests received, in order. */
  requests: ScriptedRequest[]
  /** Failures of the script (unexpected calls); a test asserts there are none. */
  failures: string[]
  close(): Promise<void>
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/** Starts a scripted endpoint; `answer` fails loudly (throws) on any call it does not expect. */
export async function startScriptedEndpoint(answer: (request: ScriptedRequest) => ScriptedAnswer): Promise<ScriptedEndpoint> {
  const requests: ScriptedRequest[] = []
  const failures: string[] = []
  let n = 0
  const server = createServer(async (req, res) => {
    const send = (status: number, body: string) => {
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(body)
    }
    try {
      // The run's preflight asks for the model list before the first task.
      if (req.method === 'GET' && req.url?.endsWith('/models')) return send(200, JSON.stringify({ object: 'list', data: [{ id: 'scripted', object: 'model' }] }))
      // It then asks how many requests the server serves at once (llama.cpp answers /props); this one does not say.
      if (req.method === 'GET' && req.url === '/props') return send(404, JSON.stringify({ error: { message: 'not found' } }))
      if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) throw new Error(`unexpected ${req.method} ${req.url}`)
      const body = JSON.parse(await readBody(req)) as ScriptedRequest['body']
      const user = body.messages.find((m) => m.role === 'user')
      const request: ScriptedRequest = {
        authorization: req.headers.authorization,
        instruction: typeof user?.content === 'string' ? user.content : '',
        turn: body.messages.filter((m) => m.role === 'assistant').length,
        body,
      }
      requests.push(request)
      const reply = answer(request)
      if ('status' in reply) return send(reply.status, reply.body)
      n++
      send(
        200,
        JSON.stringify({
          id: `scripted-${n}`,
          object: 'chat.completion',
          created: 0,
          model: 'scripted',
          choices: [
            {
              index: 0,
              finish_reason: reply.toolCalls?.length ? 'tool_calls' : 'stop',
              message: {
                role: 'assistant',
                content: reply.content ?? null,
                ...(reply.toolCalls?.length
                  ? { tool_calls: reply.toolCalls.map((call, i) => ({ id: `call-${n}-${i}`, type: 'function', function: call })) }
                  : {}),
              },
            },
          ],
          usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
        }),
      )
    } catch (error) {
      failures.push((error as Error).message)
      send(500, JSON.stringify({ error: { message: `scripted endpoint: ${(error as Error).message}` } }))
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    failures,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}
