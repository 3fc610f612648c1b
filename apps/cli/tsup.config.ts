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
  // The plugin's shell parser (web-tree-sitter, tree-sitter-bash) is never used by the CLI itself: keep it out of the bundle.
  external: ['zod', 'eventemitter3', 'log-update', 'picocolors', '@opencode-ai/sdk', '@opencode-ai/plugin', 'opencode-ai', 'opencode-orchestrator', 'semver', 'web-tree-sitter', 'tree-sitter-bash'],
  esbuildOptions(options) {
    options.conditions = ['@opencode-orchestrator/source', 'import', 'default']
  },
})
