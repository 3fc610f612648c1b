/**
 * Writes schema/orchestrator.schema.json from the zod config schema.
 * Run: pnpm --filter @opencode-orchestrator/core schema
 * The unit test `config-json-schema.test.ts` fails while the committed file is stale.
 */
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { configJsonSchemaText } from '../src/config-json-schema'

const target = fileURLToPath(new URL('../schema/orchestrator.schema.json', import.meta.url))
writeFileSync(target, configJsonSchemaText())
console.log(`wrote ${target}`)
