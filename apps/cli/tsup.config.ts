import { defineConfig } from 'tsup'

// One executable ESM file. Workspace packages are bundled: the scripted model of the
// demo comes from the private testing kit, which is never published on its own.
// npm dependencies stay external; `opencode-ai` (an optional dependency) must stay a real package,
// because the OpenCode binary is resolved from its installed location.
export default defineConfig({
  // fleet-plugin.js: the plugin as fleet workers load it (fleet-wide leases on Redis), see docs/decisions/081.
  entry: { bin: 'src/bin.ts', 'fleet-plugin': 'src/fleet/fleet-plugin.ts' },
  // Each file stands alone (no shared chunk): bin.js stays one executable file.
  splitting: false,
  format: ['esm'],
  dts: false,
  sourcemap: true,
  clean: true,
  target: 'node20',
  platform: 'node',
  treeshake: true,
  banner: { js: '#!/usr/bin/env node' },
  noExternal: [/^@opencode-orchestrator\//],
  // The plugin's shell parser (web-tree-sitter, tree-sitter-bash) is loaded at run time, never bundled.
  external: ['zod', 'eventemitter3', 'log-update', 'picocolors', '@opencode-ai/sdk', '@opencode-ai/plugin', 'opencode-ai', 'opencode-orchestrator', 'semver', 'web-tree-sitter', 'tree-sitter-bash', 'bullmq', 'ioredis', 'redis-semaphore', /^@bull-board\//, 'hono', /^@hono\//],
  esbuildOptions(options) {
    options.conditions = ['@opencode-orchestrator/source', 'import', 'default']
  },
})
