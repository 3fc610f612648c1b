import { readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { resolveConfig, type ConfigLayer, type OrchestratorConfig } from '@opencode-orchestrator/core'
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
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { source: path, value: undefined }
    throw error
  }
  return { source: path, value: parseJsonc(text, path) }
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
  return { config: resolveConfig(layers), sources: layers.filter((layer) => layer.value !== undefined).map((layer) => layer.source), layers }
}
