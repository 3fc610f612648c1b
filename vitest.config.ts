import { defineConfig } from 'vitest/config'

// vitest 5's default reporter calls Map.groupBy when it prints a failure; Node 20 lacks it
// (it arrived in Node 21), so a failing test would crash the reporter instead of being shown.
if (typeof (Map as { groupBy?: unknown }).groupBy !== 'function') {
  Object.defineProperty(Map, 'groupBy', {
    configurable: true,
    writable: true,
    value<Item, Key>(items: Iterable<Item>, keyOf: (item: Item, index: number) => Key): Map<Key, Item[]> {
      const groups = new Map<Key, Item[]>()
      let index = 0
      for (const item of items) {
        const key = keyOf(item, index++)
        const group = groups.get(key)
        if (group) group.push(item)
        else groups.set(key, [item])
      }
      return groups
    },
  })
}

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
