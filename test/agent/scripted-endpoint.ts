import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** One scripted answer: a JSON body (or raw text with its content type), a status, headers; `hang` never answers. */
export interface ScriptedAnswer {
  status?: number
  headers?: Record<string, string>
  body?: unknown
  /** Sent as it is, with `contentType`, instead of JSON. */
  raw?: string
  contentType?: string
  hang?: boolean
}

/** A request the endpoint received. */
export interface ReceivedRequest {
  body: Record<string, unknown> & { messages: Array<Record<string, unknown>> }
  headers: IncomingMessage['headers']
}

/** A chat-completions server on localhost that answers from a script and fails loudly past its end. */
export interface ScriptedEndpoint {
  url: string
  requests: ReceivedRequest[]
  /** Requests that arrived after the script ran out (each answered 599). */
  unexpected: number
  /** Adds answers to the script. */
  push(...answers: Array<ScriptedAnswer | ((request: ReceivedRequest) => ScriptedAnswer)>): void
  close(): Promise<void>
}

/** A chat completion body with the given message parts. */
export function completion(parts: {
  content?: unknown
  toolCalls?: unknown
  finishReason?: unknown
  usage?: unknown
} = {}): Record<string, unknown> {
  return {
    id: 'chatcmpl-test',
    object: 'chat.completion',
    created: 0,
    model: 'scripted',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: parts.content ?? null, ...(parts.toolCalls !== undefined ? { tool_calls: parts.toolCalls } : {}) },
        finish_reason: parts.finishReason ?? (parts.toolCalls ? 'tool_calls' : 'stop'),
      },
    ],
    usage: parts.usage ?? { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
  }
}

/** A tool call as the API sends it. */
export const call = (id: string, name: string, args: unknown) => ({ id, type: 'function', function: { name, arguments: typeof args === 'string' ? args : JSON.stringify(args) } })

/** Starts a scripted endpoint. */
export async function startScriptedEndpoint(): Promise<ScriptedEndpoint> {
  const script: Array<ScriptedAnswer | ((request: ReceivedRequest) => ScriptedAnswer)> = []
  const requests: ReceivedRequest[] = []
  const state = { unexpected: 0 }
  const answer = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk)
    const request: ReceivedRequest = { body: JSON.parse(Buffer.concat(chunks).toString('utf8')), headers: req.headers }
    requests.push(request)
    const next = script.shift()
    if (!next) {
      state.unexpected++
      res.writeHead(599, { 'content-type': 'application/json' })
      return void res.end(JSON.stringify({ error: { message: 'unexpected request: the script has ended' } }))
    }
    const a = typeof next === 'function' ? next(request) : next
    if (a.hang) return
    const text = a.raw ?? JSON.stringify(a.body ?? completion())
    res.writeHead(a.status ?? 200, { 'content-type': a.raw !== undefined ? (a.contentType ?? 'text/plain') : 'application/json', ...a.headers })
    res.end(text)
  }
  const server = createServer((req, res) => void answer(req, res).catch(() => res.destroy()))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    get unexpected() {
      return state.unexpected
    },
    push: (...answers) => void script.push(...answers),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
