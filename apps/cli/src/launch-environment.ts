import { join } from 'node:path'
import { OrchestratorError, errorMessage } from '@opencode-orchestrator/core'

type Environment = Record<string, string | undefined>

/**
 * The runner ships a pinned OpenCode binary (from the `opencode-ai` dependency):
 * it must not replace itself. Set it to `0` in your environment to override.
 */
export const QUIET_OPENCODE_ENV: Readonly<Record<string, string>> = {
  OPENCODE_DISABLE_AUTOUPDATE: '1',
}

/** Switches of the isolated demo home: no models.dev fetch, no LSP download, no Claude Code files. */
export const ISOLATED_OPENCODE_ENV: Readonly<Record<string, string>> = {
  ...QUIET_OPENCODE_ENV,
  OPENCODE_DISABLE_SHARE: '1',
  OPENCODE_DISABLE_MODELS_FETCH: '1',
  OPENCODE_DISABLE_LSP_DOWNLOAD: '1',
  OPENCODE_DISABLE_CLAUDE_CODE: '1',
}

function defined(env: Environment): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined))
}

function parseConfigContent(text: string | undefined): Record<string, unknown> {
  if (text === undefined || text.trim().length === 0) return {}
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new OrchestratorError({
      code: 'config-invalid',
      message: `OPENCODE_CONFIG_CONTENT in your environment is not valid JSON (${errorMessage(error)}). Fix or unset it.`,
      cause: error,
    })
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new OrchestratorError({ code: 'config-invalid', message: 'OPENCODE_CONFIG_CONTENT in your environment must be a JSON object. Fix or unset it.' })
  }
  return value as Record<string, unknown>
}

/**
 * Environment of a normal `run`: the user's own, so OpenCode reads their config
 * files, auth and model. The plugin (and `--model`) arrive through
 * `OPENCODE_CONFIG_CONTENT`, which OpenCode merges over the files (plugin lists
 * are concatenated), so the user's files are never touched. A config content
 * the user already set is kept and extended.
 */
export function runEnvironment(env: Environment, options: { pluginUrl: string; model?: string }): Record<string, string> {
  const content = parseConfigContent(env['OPENCODE_CONFIG_CONTENT'])
  const plugins = Array.isArray(content['plugin']) ? (content['plugin'] as unknown[]) : []
  const config = {
    ...content,
    plugin: [...plugins.filter((plugin) => plugin !== options.pluginUrl), options.pluginUrl],
    ...(options.model !== undefined ? { model: options.model } : {}),
  }
  return { ...QUIET_OPENCODE_ENV, ...defined(env), OPENCODE_CONFIG_CONTENT: JSON.stringify(config) }
}

/** XDG directories below an isolated home, as OpenCode reads them. */
export function isolatedXdgDirectories(home: string): Record<'XDG_CONFIG_HOME' | 'XDG_DATA_HOME' | 'XDG_CACHE_HOME' | 'XDG_STATE_HOME', string> {
  return {
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_DATA_HOME: join(home, '.local', 'share'),
    XDG_CACHE_HOME: join(home, '.cache'),
    XDG_STATE_HOME: join(home, '.local', 'state'),
  }
}

/**
 * Environment of the demo: the user's own OpenCode config, auth and data are
 * hidden (an isolated `HOME` and XDG dirs, no inherited `OPENCODE_*`), so the
 * demo behaves the same on every machine and never touches the user's setup.
 */
export function demoEnvironment(env: Environment, options: { home: string; config: Record<string, unknown> }): Record<string, string> {
  const inherited = Object.fromEntries(Object.entries(defined(env)).filter(([name]) => !name.startsWith('OPENCODE_') && !name.startsWith('XDG_')))
  return {
    ...inherited,
    HOME: options.home,
    ...isolatedXdgDirectories(options.home),
    ...ISOLATED_OPENCODE_ENV,
    OPENCODE_CONFIG_CONTENT: JSON.stringify(options.config),
  }
}
