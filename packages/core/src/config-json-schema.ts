import { z } from 'zod'
import { orchestratorConfigSchema } from './config'

/**
 * JSON Schema (draft 2020-12) of what users may write in a config file: every
 * field optional, with its default and description. Generated from the zod
 * schema, so the two cannot drift; `scripts/generate-config-schema.ts` writes
 * it to `schema/orchestrator.schema.json`.
 */
export function configJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(orchestratorConfigSchema, { io: 'input', target: 'draft-2020-12' })
  const { $schema, ...rest } = generated
  return {
    $schema,
    title: 'OpenCode Orchestrator configuration',
    description: 'Options of the opencode-orchestrator plugin. Every field is optional; unknown keys are errors.',
    ...rest,
  }
}

/** The schema as it is committed: two-space indented, with a final newline. */
export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`
}
