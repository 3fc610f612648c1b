import { defineConfig } from 'vitest/config'

// Tests run against `src/` (through the custom export condition), never against a build.
export default defineConfig({
  resolve: { conditions: ['@opencode-orchestrator/source'] },
  ssr: { resolve: { conditions: ['@opencode-orchestrator/source'] } },
  test: {
    // Two cores: keep the worker count small.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'examples/*/src/**/*.test.ts'],
          exclude: ['**/*.e2e.test.ts', '**/node_modules/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['packages/*/src/**/*.e2e.test.ts', 'apps/*/src/**/*.e2e.test.ts', 'examples/*/src/**/*.e2e.test.ts'],
          // Each file starts its own real OpenCode server (~375 MB RSS): one file at a time.
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
})
