// @ts-check
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

const workspacePackages = [
  '@opencode-orchestrator/core',
  '@opencode-orchestrator/todo-engine',
  '@opencode-orchestrator/recovery',
  '@opencode-orchestrator/agents',
  '@opencode-orchestrator/notifications',
  '@opencode-orchestrator/report',
  '@opencode-orchestrator/opencode',
  '@opencode-orchestrator/testing',
  '@opencode-orchestrator/fleet',
]

/** Deep imports into another package's internals are never allowed. */
const noDeepImports = {
  group: ['@opencode-orchestrator/*/*', '**/packages/*/src/**', '../../*/src/**'],
  message: "Import another package only through its public entry point (e.g. '@opencode-orchestrator/core').",
}

/** Node built-ins that touch the disk, processes or the environment: they arrive through ports. */
const nodeSideEffects = ['fs', 'fs/promises', 'child_process', 'node:fs', 'node:fs/promises', 'node:child_process', 'node:process', 'process', 'node:os', 'os', 'node:net', 'net', 'node:http', 'http']

/** The `process` global reaches the environment, argv and exit without an import: the policy layers get them through ports too. */
const processGlobal = { name: 'process', message: 'Packages of this layer get the environment and processes through ports (see core/src/ports.ts).' }

/** @param {string[]} allowed workspace packages this layer may import */
const layer = (allowed) => ({
  paths: nodeSideEffects.map((name) => ({ name, message: 'Packages of this layer get disk, processes and time through ports (see core/src/ports.ts).' })),
  patterns: [
    noDeepImports,
    {
      group: [...workspacePackages.filter((name) => !allowed.includes(name)), '@opencode-ai/*', 'opencode-ai'],
      message: 'Layering: see docs/ARCHITECTURE.md for what this package may import.',
    },
  ],
})

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/.tmp/**', '**/test-output/**', '**/.turbo/**', '**/coverage/**', '**/__fixtures__/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-empty': ['error', { allowEmptyCatch: false }],
    },
  },
  // core imports no workspace package and nothing host-specific.
  {
    files: ['packages/core/src/**/*.ts'],
    ignores: ['packages/core/src/**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', layer([])], 'no-restricted-globals': ['error', processGlobal] },
  },
  // The policy layers import only core's public entry.
  ...['todo-engine', 'recovery', 'agents', 'notifications', 'report'].map((name) => ({
    files: [`packages/${name}/src/**/*.ts`],
    ignores: [`packages/${name}/src/**/*.test.ts`, `packages/${name}/src/**/*.e2e.test.ts`, `packages/${name}/scripts/**`],
    rules: { 'no-restricted-imports': ['error', layer(['@opencode-orchestrator/core'])], 'no-restricted-globals': ['error', processGlobal] },
  })),
  // The fleet is a Node adapter (BullMQ, Redis, HTTP): of the workspace it knows only core's public entry.
  {
    files: ['packages/fleet/src/**/*.ts'],
    ignores: ['packages/fleet/src/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            noDeepImports,
            { group: [...workspacePackages.filter((name) => name !== '@opencode-orchestrator/core'), '@opencode-ai/*', 'opencode-ai'], message: 'Layering: the fleet imports only core (see docs/ARCHITECTURE.md).' },
          ],
        },
      ],
    },
  },
  // Everyone else: public entry points only.
  {
    files: ['packages/opencode/src/**/*.ts', 'packages/testing/src/**/*.ts', 'packages/simulations/src/**/*.ts', 'apps/*/src/**/*.ts', 'examples/*/src/**/*.ts', '**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [noDeepImports] }] },
  },
  {
    files: ['**/*.test.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
)
