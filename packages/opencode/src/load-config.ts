import { lstat, readFile, readlink } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { DEFAULT_AGENTS, applyAgentOverrides } from '@opencode-orchestrator/agents'
import { OrchestratorError, errorMessage, resolveConfig, type ConfigLayer, type OrchestratorConfig } from '@opencode-orchestrator/core'
import { parseJsonc } from './parse-jsonc'

export interface LoadConfigOptions {
  /** The project directory (OpenCode's `directory`). */
  directory: string
  /** Options from the plugin tuple in opencode.json: `["opencode-orchestrator", { … }]`. */
  pluginOptions?: unknown
  /** Environment used to find the user's config directory. Default `process.env`. */
  env?: Record<string, string | undefined>
}

/** Where the config files are looked for, lowest precedence first. */
export function configFilePaths({ directory, env = process.env }: Pick<LoadConfigOptions, 'directory' | 'env'>): string[] {
  const configHome = env['XDG_CONFIG_HOME'] || join(env['HOME'] || homedir(), '.config')
  return [
    join(configHome, 'opencode', 'orchestrator.jsonc'),
    join(configHome, 'opencode', 'orchestrator.json'),
    join(directory, '.opencode', 'orchestrator.jsonc'),
    join(directory, '.opencode', 'orchestrator.json'),
  ]
}

async function readLayer(path: string): Promise<ConfigLayer> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') {
      // A link whose target is gone is a config the user meant to have: say so instead of running on defaults.
      const target = await readlink(path).catch(() => undefined)
      if (target === undefined) return { source: path, value: undefined }
      throw new OrchestratorError({
        code: 'config-invalid',
        message: `${path}: the config file is a symbolic link to ${target}, which does not exist. Fix: point the link at an existing file, or remove the link.`,
        cause: error,
        details: { source: path, target },
      })
    }
    const isDirectory = code === 'EISDIR' || (await lstat(path).then((stats) => stats.isDirectory(), () => false))
    throw new OrchestratorError({
      code: 'config-invalid',
      message: isDirectory
        ? `${path}: expected a config file, found a directory. Fix: remove or rename the directory; the orchestrator reads its options from a JSON file of that name.`
        : `${path}: the config file could not be read (${errorMessage(error)}). Fix: make it readable, or remove it.`,
      cause: error,
      details: { source: path, ...(code === undefined ? {} : { errorCode: code }) },
    })
  }
  return { source: path, value: parseJsonc(text, path) }
}

/**
 * A layer's `agents` overrides that lift a role guarantee (a Worker allowed to spawn, …) pass the
 * schema, which knows nothing of roles: check them layer by layer so the error names the file.
 */
function checkAgentOverrides(layer: ConfigLayer): void {
  const agents = typeof layer.value === 'object' && layer.value !== null ? (layer.value as { agents?: unknown }).agents : undefined
  if (agents === undefined) return
  try {
    applyAgentOverrides(DEFAULT_AGENTS, agents)
  } catch (error) {
    if (!OrchestratorError.isInstance(error)) throw error
    throw new OrchestratorError({
      code: 'config-invalid',
      message: `Invalid orchestrator config:\n${layer.source}: ${error.message}\nFix: correct or remove this value in ${layer.source}.`,
      cause: error,
      details: { ...error.details, source: layer.source },
    })
  }
}

/**
 * Reads user-level and project-level `orchestrator.jsonc` and the plugin tuple's
 * options, validates each layer (errors name the file and the field) and merges
 * them: user < project < plugin options.
 */
export async function loadConfig(options: LoadConfigOptions): Promise<{ config: OrchestratorConfig; sources: string[]; layers: ConfigLayer[] }> {
  const layers: ConfigLayer[] = []
  for (const path of configFilePaths(options)) layers.push(await readLayer(path))
  layers.push({ source: 'opencode.json plugin options', value: options.pluginOptions })
  const config = resolveConfig(layers)
  for (const layer of layers) checkAgentOverrides(layer)
  return { config, sources: layers.filter((layer) => layer.value !== undefined).map((layer) => layer.source), layers }
}
