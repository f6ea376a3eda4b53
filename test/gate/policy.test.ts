import { describe, expect, it } from 'vitest'
import { ConfigurationError } from '../../src/errors.js'
import { DEFAULT_GATE_POLICY, lookAlpha, resolveGatePolicy } from '../../src/gate/policy.js'

describe('resolveGatePolicy', () => {
  it('fills every default', () => {
    expect(resolveGatePolicy(undefined)).toEqual(DEFAULT_GATE_POLICY)
    expect(resolveGatePolicy({})).toMatchObject({ mode: 'check', rule: 'exact', alpha: 0.05, requireGain: false, maxErrorRate: 0, followUpShare: 0.6 })
  })

  it('requires a gain in mode promote, unless told otherwise', () => {
    expect(resolveGatePolicy({ mode: 'promote' }).requireGain).toBe(true)
    expect(resolveGatePolicy({ mode: 'promote', requireGain: false }).requireGain).toBe(false)
    expect(() => resolveGatePolicy({ mode: 'merge' })).toThrow('Expected `mode` to be one of `check`, `promote`, got `merge`')
    expect(() => resolveGatePolicy({ followUpShare: 1 })).toThrow('`followUpShare`')
  })

  it('spends alpha over looks so that all looks together stay within it', () => {
    const policy = resolveGatePolicy({})
    expect(lookAlpha(policy, 1)).toBeCloseTo(0.02)
    expect(lookAlpha(policy, 2)).toBeCloseTo(0.015)
    expect(lookAlpha(policy, 3)).toBeCloseTo(0.0075)
    let total = 0
    for (let look = 1; look <= 60; look++) total += lookAlpha(policy, look)
    expect(total).toBeLessThanOrEqual(policy.alpha)
  })

  it('keeps given values', () => {
    const policy = resolveGatePolicy({ rule: 'strict', alpha: 0.01, ignore: ['a'], splits: { a: 'train' } })
    expect(policy).toMatchObject({ rule: 'strict', alpha: 0.01, ignore: ['a'], splits: { a: 'train' } })
  })

  it('says what was expected and what arrived', () => {
    expect(() => resolveGatePolicy({ alpha: 2 })).toThrow('Expected `alpha` to be in (0, 1), got `2`')
    expect(() => resolveGatePolicy({ alpha: 0 })).toThrow('Expected `alpha` to be in (0, 1), got `0`')
    expect(() => resolveGatePolicy({ rule: 'loose' })).toThrow(
      'Expected `rule` to be one of `exact`, `strict`, `split`, got `loose`',
    )
    expect(() => resolveGatePolicy({ maxErrorRate: -0.1 })).toThrow('Expected `maxErrorRate` to be in [0, 1], got `-0.1`')
    expect(() => resolveGatePolicy({ requireGain: 'yes' })).toThrow('Expected `requireGain` to be a boolean, got `yes`')
    expect(() => resolveGatePolicy({ splits: { t: 'test' } })).toThrow(
      'Expected `splits["t"]` to be one of `train`, `validation`, `sealed`, got `test`',
    )
    expect(() => resolveGatePolicy({ ignore: [1] })).toThrow('Expected `ignore[0]` to be a task id (string), got `1`')
  })

  it('rejects unknown options, naming the field', () => {
    try {
      resolveGatePolicy({ alhpa: 0.1 })
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigurationError)
      expect((error as ConfigurationError).code).toBe('CONFIG_INVALID')
      expect((error as ConfigurationError).field).toBe('alhpa')
      expect((error as Error).message).toContain('Unknown gate policy option `alhpa`')
    }
  })

  it('does not share arrays with its input', () => {
    const ignore = ['a']
    const policy = resolveGatePolicy({ ignore })
    ignore.push('b')
    expect(policy.ignore).toEqual(['a'])
  })
})

describe('resolveGatePolicy: underpowered', () => {
  it('defaults to insufficient evidence and accepts strict', () => {
    expect(resolveGatePolicy({}).underpowered).toBe('insufficient-evidence')
    expect(resolveGatePolicy({ underpowered: 'strict' }).underpowered).toBe('strict')
    expect(() => resolveGatePolicy({ underpowered: 'ignore' })).toThrow(
      'Expected `underpowered` to be one of `insufficient-evidence`, `strict`, got `ignore`',
    )
  })
})
