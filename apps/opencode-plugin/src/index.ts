import { createOrchestratorPlugin } from '@opencode-orchestrator/opencode'

/**
 * OpenCode Orchestrator. Add it to `opencode.json`:
 *
 *     { "plugin": ["opencode-orchestrator"] }
 *
 * Options go in the plugin tuple (`["opencode-orchestrator", { … }]`) or in
 * `.opencode/orchestrator.jsonc`; the JSON Schema ships as `opencode-orchestrator/schema.json`.
 */
export default {
  id: 'opencode-orchestrator',
  server: createOrchestratorPlugin(),
}
