import { describe, expect, it } from 'vitest'
import { chooseModel, type ProviderInfo } from './model-selection'

const anthropic: ProviderInfo = { id: 'anthropic', source: 'env', models: { 'claude-sonnet-4-5': {}, 'claude-haiku-4-5': {} } }
const builtIn: ProviderInfo = { id: 'opencode', source: 'custom', models: { 'big-pickle': {} } }

describe('chooseModel', () => {
  it('takes --model first, then the configured model, checking the provider has it', () => {
    expect(chooseModel({ requested: 'anthropic/claude-haiku-4-5', configured: 'anthropic/claude-sonnet-4-5', providers: [anthropic] })).toEqual({ model: 'anthropic/claude-haiku-4-5', from: '--model' })
    expect(chooseModel({ requested: undefined, configured: 'anthropic/claude-sonnet-4-5', providers: [anthropic] })).toEqual({ model: 'anthropic/claude-sonnet-4-5', from: 'config' })
  })

  it("leaves the choice to OpenCode's default when a provider has credentials", () => {
    expect(chooseModel({ requested: undefined, configured: undefined, providers: [builtIn, anthropic] })).toEqual({ model: undefined, from: 'OpenCode default' })
  })

  it('fails with how to configure a model (or try the demo) when only the built-in provider is there', () => {
    expect(() => chooseModel({ requested: undefined, configured: undefined, providers: [builtIn] })).toThrow(/No model is configured for OpenCode\..*--model provider\/model.*orchestrator run --demo/s)
  })

  it('names an unknown provider or model and lists what is available', () => {
    expect(() => chooseModel({ requested: 'openai/gpt-5', configured: undefined, providers: [anthropic, builtIn] })).toThrow(/needs provider 'openai'.*available: anthropic, opencode.*opencode auth login openai/s)
    expect(() => chooseModel({ requested: 'anthropic/claude-9', configured: undefined, providers: [anthropic] })).toThrow(/Provider 'anthropic' has no model 'claude-9' \(--model\)\. Its models: claude-sonnet-4-5, claude-haiku-4-5/)
  })

  it('accepts any model id of a provider that lists none', () => {
    expect(chooseModel({ requested: 'local/any', configured: undefined, providers: [{ id: 'local', source: 'config', models: {} }] })).toEqual({ model: 'local/any', from: '--model' })
  })
})
