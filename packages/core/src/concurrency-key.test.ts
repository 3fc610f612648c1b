import { describe, expect, it } from 'vitest'
import { createConcurrencyKeyResolver, normalizeKeyName } from './concurrency-key'
import { OrchestratorError } from './orchestrator-error'

const resolver = createConcurrencyKeyResolver({
  default: 4,
  agents: { Worker: 3, reviewer: 0 },
  providers: { Anthropic: 2 },
  models: { 'anthropic/claude-opus': 1, 'openai/GPT-5': 5 },
})

describe('createConcurrencyKeyResolver', () => {
  it('prefers a configured model, then provider, then agent, then default', () => {
    expect(resolver({ agent: 'worker', model: { providerId: 'anthropic', modelId: 'claude-opus' } })).toEqual({
      key: 'model:anthropic/claude-opus',
      limit: 1,
    })
    expect(resolver({ agent: 'worker', model: { providerId: 'anthropic', modelId: 'claude-haiku' } })).toEqual({
      key: 'provider:anthropic',
      limit: 2,
    })
    expect(resolver({ agent: 'worker', model: { providerId: 'mistral', modelId: 'large' } })).toEqual({ key: 'agent:worker', limit: 3 })
    expect(resolver({ agent: 'worker' })).toEqual({ key: 'agent:worker', limit: 3 })
    expect(resolver({ agent: 'planner', model: { providerId: 'mistral', modelId: 'large' } })).toEqual({ key: 'default', limit: 4 })
  })

  it('normalises names on both sides: Worker = worker, OpenAI/gpt-5 = openai/GPT-5', () => {
    expect(resolver({ agent: ' WORKER ' }).key).toBe('agent:worker')
    expect(resolver({ agent: 'x', model: { providerId: 'OpenAI', modelId: 'gpt-5' } })).toEqual({ key: 'model:openai/gpt-5', limit: 5 })
    expect(resolver({ agent: 'x', model: { providerId: 'ANTHROPIC', modelId: 'other' } }).key).toBe('provider:anthropic')
    expect(normalizeKeyName('  Planner')).toBe('planner')
  })

  it('keeps a configured 0 as its own unlimited key', () => {
    expect(resolver({ agent: 'Reviewer' })).toEqual({ key: 'agent:reviewer', limit: 0 })
  })

  it('rejects two spellings of one key', () => {
    const build = () => createConcurrencyKeyResolver({ default: 0, agents: { worker: 1, Worker: 2 }, providers: {}, models: {} })
    expect(build).toThrowError(/concurrency\.agents: "worker" and "Worker" name the same key/)
  })

  it('rejects negative and fractional limits, naming the config path', () => {
    try {
      createConcurrencyKeyResolver({ default: 0, agents: {}, providers: { openai: 1.5 }, models: {} })
      expect.unreachable()
    } catch (error) {
      expect(OrchestratorError.hasCode(error, 'invalid-argument')).toBe(true)
      expect((error as Error).message).toContain('concurrency.providers["openai"]: got 1.5')
    }
    expect(() => createConcurrencyKeyResolver({ default: -1, agents: {}, providers: {}, models: {} })).toThrowError(
      /concurrency\.default: got -1/,
    )
  })
})
