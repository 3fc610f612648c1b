import { defineConfig } from 'tsup'

// One executable ESM file. Workspace packages are bundled: the scripted model of the
// demo comes from the private testing kit, which is never published on its own.
// npm dependencies stay external; `opencode-ai` (an optional dependency) must stay a real package,
// because the OpenCode binary is resolved from its installed location.
export default defineConfig({
  entry: ['src/bin.ts'],
  format: ['esm'],
  dts: false,
  sourcemap: true,
  clean: true,
  target: 'node20',
  platform: 'node',
  treeshake: true,
  banner: { js: '#!/usr/bin/env node' },
  noExternal: [/^@opencode-orchestrator\//],
  external: ['zod', 'eventemitter3', 'log-update', 'picocolors', '@opencode-ai/sdk', '@opencode-ai/plugin', 'opencode-ai', 'opencode-orchestrator', 'semver'],
  esbuildOptions(options) {
    options.conditions = ['@opencode-orchestrator/source', 'import', 'default']
  },
})
