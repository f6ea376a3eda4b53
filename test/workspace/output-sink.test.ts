import { describe, expect, it } from 'vitest'
import { createOutputSink } from '../../src/workspace/output-sink.js'

describe('output sink', () => {
  it('keeps everything up to the limit', () => {
    const sink = createOutputSink(10)
    sink.push(Buffer.from('hello '))
    sink.push(Buffer.from('you!'))
    expect(sink.text()).toBe('hello you!')
    expect(sink.truncated).toBe(false)
  })

  it('keeps three quarters head and one quarter tail, and counts what it dropped', () => {
    const sink = createOutputSink(8)
    for (const ch of 'abcdefghijklmnopqrstuvwxyz') sink.push(Buffer.from(ch))
    expect(sink.totalBytes).toBe(26)
    expect(sink.truncated).toBe(true)
    expect(sink.text()).toBe('abcdef\n[... 18 bytes of output dropped ...]\nyz')
  })

  it('holds bounded memory however many chunks arrive', () => {
    const sink = createOutputSink(1024)
    const chunk = Buffer.alloc(4096, 'x')
    for (let i = 0; i < 10_000; i++) sink.push(chunk)
    expect(sink.totalBytes).toBe(40_960_000)
    expect(Buffer.byteLength(sink.text())).toBeLessThan(1024 + 60)
  })

  it('never cuts a multi-byte character in two', () => {
    const sink = createOutputSink(9)
    sink.push(Buffer.from('ééééééééééé')) // 22 bytes; the cuts fall inside characters
    const text = sink.text()
    expect(text).not.toContain('\uFFFD')
    expect(text.startsWith('ééé\n')).toBe(true)
    expect(text.endsWith('\né')).toBe(true)
  })
})
