import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { configJsonSchema, configJsonSchemaText } from './config-json-schema'

const committedPath = fileURLToPath(new URL('../schema/orchestrator.schema.json', import.meta.url))

describe('configJsonSchema', () => {
  it('matches the committed schema/orchestrator.schema.json (run `pnpm --filter @opencode-orchestrator/core schema` to update it)', () => {
    expect(readFileSync(committedPath, 'utf8')).toBe(configJsonSchemaText())
  })

  it('describes strict objects with defaults', () => {
    const schema = configJsonSchema() as {
      additionalProperties: unknown
      properties: Record<string, { default?: unknown; additionalProperties?: unknown; properties?: Record<string, unknown> }>
    }
    expect(schema.additionalProperties).toBe(false)
    expect(schema.properties['concurrency']).toMatchObject({ additionalProperties: false })
    expect(schema.properties['concurrency']?.properties?.['global']).toMatchObject({ default: 50, type: 'integer', minimum: 0 })
    expect(schema.properties['missionDirectory']).toMatchObject({ default: '.opencode/orchestrator' })
    expect(Object.keys(schema.properties['agents']?.properties ?? {})).toEqual(['commander', 'planner', 'worker', 'reviewer'])
  })
})
