import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { configJsonSchema, defaultConfig } from '@opencode-orchestrator/core'
import type { InitCommand } from './cli-arguments'
import { projectDirectory } from './project-directory'
import type { OutputStream } from './run-reporter'

/** File names inside the project's `.opencode/`, beside OpenCode's own config. */
export const CONFIG_FILE = 'orchestrator.jsonc'
export const SCHEMA_FILE = 'orchestrator.schema.json'

interface SchemaNode {
  description?: string
  properties?: Record<string, SchemaNode>
}

/**
 * A starter `orchestrator.jsonc`: the `$schema` line (relative, so it resolves
 * wherever the project is) and every section commented out with its
 * description and default, so uncommenting a line changes nothing until the
 * value is edited.
 */
export function renderStarterConfig(schema: Record<string, unknown> = configJsonSchema()): string {
  const properties = (schema as SchemaNode).properties ?? {}
  const defaults = defaultConfig() as unknown as Record<string, unknown>
  const lines = [
    '// OpenCode Orchestrator options for this project (JSON with comments).',
    '// Every option is optional; remove the // of a line to change its value.',
    '// Precedence: ~/.config/opencode/orchestrator.jsonc < this file < the plugin tuple in opencode.json.',
    '{',
    `  // Completions and checks in your editor; \`orchestrator init\` refreshes ${SCHEMA_FILE} after an upgrade.`,
    `  "$schema": "./${SCHEMA_FILE}",`,
  ]
  for (const [key, node] of Object.entries(properties)) {
    if (key === '$schema') continue
    const value = key === 'agents' ? { worker: { model: 'provider/model' } } : defaults[key]
    if (value === undefined) continue
    lines.push('')
    if (node.description !== undefined) lines.push(`  // ${node.description}`)
    lines.push(`  // "${key}": ${JSON.stringify(value)},`)
  }
  lines.push('}', '')
  return lines.join('\n')
}

async function readOrUndefined(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

/** Writes through a temporary file, so an editor never sees half a file. */
async function writeAtomically(path: string, text: string): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`
  await writeFile(temporary, text)
  await rename(temporary, path)
}

export interface InitCommandOptions {
  command: InitCommand
  cwd: string
  stdout: OutputStream
}

/**
 * `orchestrator init`: writes `.opencode/orchestrator.schema.json` (always: it
 * is generated from the installed version's config schema) and a commented
 * `.opencode/orchestrator.jsonc` when there is none (an existing one is never
 * touched).
 */
export async function initCommand({ command, cwd, stdout }: InitCommandOptions): Promise<number> {
  const directory = await projectDirectory(cwd, command.directory)
  const folder = join(directory, '.opencode')
  await mkdir(folder, { recursive: true })
  const schemaPath = join(folder, SCHEMA_FILE)
  const schemaText = `${JSON.stringify(configJsonSchema(), null, 2)}\n`
  const schemaBefore = await readOrUndefined(schemaPath)
  if (schemaBefore !== schemaText) await writeAtomically(schemaPath, schemaText)
  const configPath = join(folder, CONFIG_FILE)
  const configBefore = await readOrUndefined(configPath)
  if (configBefore === undefined) await writeAtomically(configPath, renderStarterConfig())
  const shown = (path: string) => relative(cwd, path) || path
  stdout.write(`${schemaBefore === undefined ? 'wrote' : schemaBefore === schemaText ? 'up to date' : 'refreshed'}: ${shown(schemaPath)}\n`)
  stdout.write(
    configBefore === undefined
      ? `wrote: ${shown(configPath)} (every option commented out, with its default)\n`
      : `kept: ${shown(configPath)} (exists; add "$schema": "./${SCHEMA_FILE}" to it for completions)\n`,
  )
  return 0
}
