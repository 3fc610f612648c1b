import { OrchestratorError } from '@opencode-orchestrator/core'

/** What `config.providers()` says about one provider (the fields this check reads). */
export interface ProviderInfo {
  id: string
  /** How OpenCode found it: `env` (an API key variable), `config`, `api` (`opencode auth login`), `custom` (built in, no credentials). */
  source: string
  models: Record<string, unknown>
}

export interface ModelChoice {
  /** `provider/model`; undefined when OpenCode picks its default among the user's providers. */
  model: string | undefined
  /** Where it came from, for the display. */
  from: '--model' | 'config' | 'OpenCode default'
}

export const NO_MODEL_HELP =
  'Configure one in ~/.config/opencode/opencode.json (e.g. {"model": "anthropic/claude-sonnet-4-5"} after `opencode auth login anthropic`), pass --model provider/model, or try the scripted demo: `orchestrator run --demo`.'

function splitModel(model: string): { provider: string; model: string } {
  const slash = model.indexOf('/')
  return { provider: model.slice(0, slash), model: model.slice(slash + 1) }
}

function checkAvailable(choice: ModelChoice & { model: string }, providers: readonly ProviderInfo[]): ModelChoice {
  const { provider, model } = splitModel(choice.model)
  const found = providers.find((item) => item.id === provider)
  if (found === undefined) {
    const known = providers.map((item) => item.id)
    throw new OrchestratorError({
      code: 'config-invalid',
      message: `The model ${choice.model} (${choice.from}) needs provider '${provider}', which OpenCode does not have${known.length > 0 ? ` (available: ${known.join(', ')})` : ''}. Log in with \`opencode auth login ${provider}\` or set its API key. ${NO_MODEL_HELP}`,
      details: { model: choice.model, provider },
    })
  }
  // Custom providers may list no models and still serve any id; only a listed catalogue is checked.
  const models = Object.keys(found.models)
  if (models.length > 0 && !models.includes(model)) {
    throw new OrchestratorError({
      code: 'config-invalid',
      message: `Provider '${provider}' has no model '${model}' (${choice.from}). Its models: ${models.slice(0, 12).join(', ')}${models.length > 12 ? ', …' : ''}.`,
      details: { model: choice.model, provider },
    })
  }
  return choice
}

/**
 * Which model the mission will run on, checked before anything starts: the
 * `--model` flag, else the user's configured `model`, else OpenCode's own
 * default — exactly what the user's TUI would pick — provided some provider has
 * credentials (an API key, a login, or a provider in the config). The built-in
 * provider alone does not count as a configured model.
 */
export function chooseModel(input: {
  requested: string | undefined
  configured: string | undefined
  providers: readonly ProviderInfo[]
}): ModelChoice {
  if (input.requested !== undefined) return checkAvailable({ model: input.requested, from: '--model' }, input.providers)
  if (input.configured !== undefined && input.configured.length > 0) return checkAvailable({ model: input.configured, from: 'config' }, input.providers)
  if (input.providers.some((provider) => provider.source !== 'custom')) return { model: undefined, from: 'OpenCode default' }
  throw new OrchestratorError({ code: 'config-invalid', message: `No model is configured for OpenCode. ${NO_MODEL_HELP}` })
}
