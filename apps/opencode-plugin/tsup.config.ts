import { defineConfig } from 'tsup'

// The published plugin is one ESM file with every workspace package bundled in.
// zod and eventemitter3 stay ordinary dependencies: OpenCode installs a plugin's
// dependencies with it, and bundling zod alone would triple the file.
export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  dts: { resolve: false },
  sourcemap: true,
  clean: true,
  target: 'node20',
  platform: 'node',
  minify: true,
  treeshake: true,
  noExternal: [/^@opencode-orchestrator\//],
  external: ['zod', 'eventemitter3', '@opencode-ai/plugin', '@opencode-ai/sdk'],
  esbuildOptions(options) {
    options.conditions = ['@opencode-orchestrator/source', 'import', 'default']
  },
})
