// Test plugin for recovery.e2e.test.ts (plain JS, loaded by OpenCode through `file://`).
// For sessions of the `recovery-e2e` agent it switches off OpenCode's generic "continue"
// message after a compaction — what the orchestrator's adapter does for mission sessions —
// so the recovery coordinator's resume prompt (role + plan) is what carries the work on.
// No imports: OpenCode resolves a plugin's imports from the plugin file, and this package does not
// depend on @opencode-ai/plugin (a tool definition is a plain object; `tool()` only types it).

/** @type {import('@opencode-ai/plugin').Plugin} */
export const NoAutocontinuePlugin = async () => ({
  tool: {
    recovery_e2e_probe: {
      description: 'Proves the recovery e2e plugin loaded.',
      args: {},
      async execute() {
        return 'loaded'
      },
    },
  },
  'experimental.compaction.autocontinue': async (input, output) => {
    if (input.agent === 'recovery-e2e') output.enabled = false
  },
})
