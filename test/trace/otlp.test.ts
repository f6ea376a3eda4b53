import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { context, trace, type AttributeValue, type HrTime } from '@opentelemetry/api'
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { describe, expect, it } from 'vitest'
import type { TraceEvent } from '../../src/trace/events.js'
import { tracesToOtlp, type OtlpAttribute, type OtlpSpan, type OtlpValue } from '../../src/trace/otlp.js'
import { parseTrace } from '../../src/trace/reader.js'

const formats = resolve(import.meta.dirname, '../../fixtures/formats')
const START = Date.UTC(2026, 0, 2, 3, 4, 5, 678)

async function sampleTrace(): Promise<TraceEvent[]> {
  return parseTrace(await readFile(join(formats, 'trace.v1.jsonl'), 'utf8'))
}

/** An OTLP attribute value as the JS value it encodes. */
function decode(value: OtlpValue): AttributeValue {
  if ('stringValue' in value) return value.stringValue
  if ('intValue' in value) return Number(value.intValue)
  if ('doubleValue' in value) return value.doubleValue
  if ('boolValue' in value) return value.boolValue
  return value.arrayValue.values.map((v) => decode(v) as string)
}
const asObject = (attributes: readonly OtlpAttribute[]) => Object.fromEntries(attributes.map((a) => [a.key, decode(a.value)]))
const hr = (nanos: string): HrTime => [Number(BigInt(nanos) / 1_000_000_000n), Number(BigInt(nanos) % 1_000_000_000n)]

/** A span of an OTLP JSON request, with ids replaced by the names of the spans they point to and int64s as numbers. */
function comparable(span: Record<string, unknown>, names: Map<string, string>) {
  const { traceId: _t, spanId, parentSpanId, attributes, events, status, name, kind, startTimeUnixNano, endTimeUnixNano } = span as unknown as OtlpSpan
  return {
    name,
    kind,
    parent: parentSpanId ? names.get(parentSpanId) : undefined,
    self: names.get(spanId),
    startTimeUnixNano: String(startTimeUnixNano),
    endTimeUnixNano: String(endTimeUnixNano),
    attributes: asObject(attributes),
    events: (events ?? []).map((e) => ({ name: e.name, timeUnixNano: String(e.timeUnixNano), attributes: asObject(e.attributes ?? []) })),
    status: { code: status?.code ?? 0, ...(status?.message ? { message: status.message } : {}) },
  }
}

describe('the OTLP/JSON export', () => {
  it('makes one trace per trial: an invoke_agent root with chat and execute_tool children, GenAI attributes, hex ids, nanosecond strings', async () => {
    const events = await sampleTrace()
    const request = tracesToOtlp([{ events, startTimeMs: START, outcome: 'fail', reason: 'expected 1 to be 2' }], { resource: { 'self_harness.model': 'sim-steady' }, scopeVersion: '0.1.0' })
    const [resourceSpans] = request.resourceSpans
    expect(asObject(resourceSpans!.resource.attributes)).toEqual({ 'service.name': 'self-harness', 'self_harness.model': 'sim-steady' })
    const spans = resourceSpans!.scopeSpans[0]!.spans
    const root = spans[0]!
    const responses = events.filter((e) => e.kind === 'model-response')
    const results = events.filter((e) => e.kind === 'tool-result')
    expect(spans).toHaveLength(1 + responses.length + results.length)
    expect(root).toMatchObject({ name: 'invoke_agent self-harness', kind: 1, startTimeUnixNano: `${START}000000` })
    expect(root.parentSpanId).toBeUndefined()
    expect(asObject(root.attributes)).toMatchObject({ 'gen_ai.operation.name': 'invoke_agent', 'self_harness.outcome': 'fail', 'self_harness.reason': 'expected 1 to be 2' })
    for (const span of spans) {
      expect(span.traceId).toMatch(/^[0-9a-f]{32}$/)
      expect(span.spanId).toMatch(/^[0-9a-f]{16}$/)
      expect(span.traceId).toBe(root.traceId)
      expect(BigInt(span.startTimeUnixNano) <= BigInt(span.endTimeUnixNano)).toBe(true)
      for (const attribute of span.attributes) expect(Object.keys(attribute.value)).toHaveLength(1)
      if (span !== root) expect(span.parentSpanId).toBe(root.spanId)
    }
    expect(new Set(spans.map((s) => s.spanId)).size).toBe(spans.length)
    const chat = spans.find((s) => s.name.startsWith('chat'))!
    expect(chat.kind).toBe(3)
    expect(Object.keys(asObject(chat.attributes))).toEqual(expect.arrayContaining(['gen_ai.operation.name', 'gen_ai.usage.input_tokens', 'gen_ai.usage.output_tokens', 'gen_ai.output.messages']))
    const tool = spans.find((s) => s.name.startsWith('execute_tool'))!
    expect(asObject(tool.attributes)).toMatchObject({ 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.type': 'function' })
    // The same trace exported twice has the same ids.
    expect(tracesToOtlp([{ events, startTimeMs: START }]).resourceSpans[0]!.scopeSpans[0]!.spans.map((s) => s.spanId)).toEqual(spans.map((s) => s.spanId))
  })

  it('writes what the OpenTelemetry SDK writes for the same spans (its own JsonTraceSerializer)', async () => {
    const events = await sampleTrace()
    const ours = tracesToOtlp([{ events, startTimeMs: START, outcome: 'fail' }], { scopeVersion: '0.1.0' })
    const spans = ours.resourceSpans[0]!.scopeSpans[0]!.spans

    // The same spans built with the real SDK, parent and all, then serialized by the SDK's OTLP/JSON serializer.
    const exporter = new InMemorySpanExporter()
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
    const tracer = provider.getTracer('self-harness', '0.1.0')
    const sdkIds = new Map<string, string>() // our span id -> the SDK's
    let rootContext = context.active()
    for (const span of spans) {
      const parent = span.parentSpanId ? rootContext : context.active()
      const real = tracer.startSpan(span.name, { kind: span.kind === 3 ? 2 : 0, startTime: hr(span.startTimeUnixNano), attributes: asObject(span.attributes) }, parent)
      for (const event of span.events) real.addEvent(event.name, asObject(event.attributes), hr(event.timeUnixNano))
      if (span.status.code === 2) real.setStatus({ code: 2, ...(span.status.message ? { message: span.status.message } : {}) })
      sdkIds.set(span.spanId, real.spanContext().spanId)
      if (!span.parentSpanId) rootContext = trace.setSpan(context.active(), real)
      real.end(hr(span.endTimeUnixNano))
    }
    const theirs = JSON.parse(new TextDecoder().decode(JsonTraceSerializer.serializeRequest(exporter.getFinishedSpans()))) as { resourceSpans: Array<{ scopeSpans: Array<{ scope: unknown; spans: Array<Record<string, unknown>> }> }> }
    const theirSpans = theirs.resourceSpans[0]!.scopeSpans[0]!.spans

    const oursNames = new Map(spans.map((s, i) => [s.spanId, `#${i}`]))
    const theirNames = new Map(spans.map((s, i) => [sdkIds.get(s.spanId)!, `#${i}`]))
    // The SDK's span kinds are OTLP's plus one (its CLIENT is 3 on the wire, as ours).
    const expected = spans.map((s) => comparable(s as unknown as Record<string, unknown>, oursNames))
    const actual = theirSpans.map((s) => comparable(s, theirNames)).sort((a, b) => Number(a.self!.slice(1)) - Number(b.self!.slice(1)))
    expect(actual).toEqual(expected)
    expect(theirs.resourceSpans[0]!.scopeSpans[0]!.scope).toEqual(ours.resourceSpans[0]!.scopeSpans[0]!.scope)
    // Every field we write is one the SDK writes, with the same JSON type (int64s aside: decimal strings, which OTLP/JSON receivers accept).
    for (const [i, span] of spans.entries()) {
      const their = theirSpans.find((s) => s.spanId === sdkIds.get(span.spanId))!
      for (const [key, value] of Object.entries(span)) {
        expect(their, `span ${i} field ${key}`).toHaveProperty(key)
        if (key !== 'attributes' && key !== 'events') expect(typeof their[key], `span ${i} field ${key}`).toBe(typeof value)
      }
    }
  })

  it('writes the sample trace exactly as the committed OTLP/JSON sample (test/fixtures/otlp/trace.v1.otlp.json)', async () => {
    const events = await sampleTrace()
    const request = tracesToOtlp([{ events, startTimeMs: START, outcome: 'fail', reason: 'expected "" to be "chore: version file"' }], { scopeVersion: '0.1.0', resource: { 'self_harness.model': 'sim-steady' } })
    expect(request).toEqual(JSON.parse(await readFile(resolve(import.meta.dirname, '../fixtures/otlp/trace.v1.otlp.json'), 'utf8')))
  })

  it('marks failed tool calls and runs as errors, and errors and harness steps as span events', () => {
    const events: TraceEvent[] = [
      { t: 0, kind: 'trial-start', taskId: 't', trial: 1, harnessId: 'h', model: 'm', instruction: 'go' },
      { t: 1, kind: 'model-request', turn: 1, messages: 2 },
      { t: 5, kind: 'model-response', turn: 1, durationMs: 4, content: null, toolCalls: [{ id: 'c1', name: 'shell', arguments: '{"command":"false"}' }], tokens: { prompt: 10, completion: 2 } },
      { t: 6, kind: 'harness-step', step: 'before', detail: 'git config', ok: true },
      { t: 6, kind: 'tool-call', turn: 1, id: 'c1', name: 'shell', arguments: { command: 'false' } },
      { t: 9, kind: 'tool-result', turn: 1, id: 'c1', name: 'shell', ok: false, durationMs: 3, output: 'exit code: 1\n', truncated: false },
      { t: 10, kind: 'model-request', turn: 2, messages: 4 },
      { t: 12, kind: 'error', source: 'model', code: 'MODEL_HTTP_500', message: 'The endpoint answered 500.' },
      { t: 13, kind: 'tool-call', turn: 2, id: 'c2', name: 'shell', arguments: { command: 'sleep 99' } },
      { t: 20, kind: 'trial-end', status: 'timeout', turns: 2, toolCalls: 2, tokens: { prompt: 10, completion: 2 }, durationMs: 20.5 },
    ]
    const spans = tracesToOtlp([{ events, startTimeMs: START, outcome: 'error' }]).resourceSpans[0]!.scopeSpans[0]!.spans
    const [root, chat, tool, failedChat, unfinished] = spans
    expect(root!.status).toEqual({ code: 2, message: 'the run ended as timeout' })
    expect(BigInt(root!.endTimeUnixNano) - BigInt(root!.startTimeUnixNano)).toBe(20_500_000n)
    expect(root!.events.map((e) => [e.name, asObject(e.attributes)])).toEqual([
      ['self_harness.harness_step', { 'self_harness.step': 'before', 'self_harness.detail': 'git config', 'self_harness.ok': true }],
    ])
    expect(failedChat).toMatchObject({ name: 'chat m', status: { code: 2, message: 'The endpoint answered 500.' } })
    expect(asObject(failedChat!.attributes)).toMatchObject({ 'error.type': 'MODEL_HTTP_500', 'self_harness.turn': 2 })
    expect(failedChat!.events.map((e) => [e.name, asObject(e.attributes)])).toEqual([
      ['exception', { 'exception.type': 'MODEL_HTTP_500', 'exception.message': 'The endpoint answered 500.', 'self_harness.error.source': 'model' }],
    ])
    expect(chat).toMatchObject({ name: 'chat m', status: { code: 0 } })
    expect(BigInt(chat!.endTimeUnixNano) - BigInt(chat!.startTimeUnixNano)).toBe(4_000_000n)
    expect(tool).toMatchObject({ name: 'execute_tool shell', status: { code: 2, message: 'exit code: 1' } })
    expect(asObject(tool!.attributes)['gen_ai.tool.call.arguments']).toBe('{"command":"false"}')
    expect(unfinished).toMatchObject({ name: 'execute_tool shell', status: { code: 2 } })
  })
})
