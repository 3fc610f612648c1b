import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { OrchestratorError } from '@opencode-orchestrator/core'

/**
 * The plugin bundle (`opencode-orchestrator`'s `dist/index.js`) as a `file://`
 * URL for OpenCode's `plugin` list. Resolved from this package's own
 * dependency, so the runner always loads the plugin version it was built with.
 */
export function resolvePluginUrl(from: string): string {
  const require = createRequire(from)
  let manifest: string
  try {
    manifest = require.resolve('opencode-orchestrator/package.json')
  } catch (error) {
    throw new OrchestratorError({
      code: 'host-failed',
      message: 'Cannot find the opencode-orchestrator plugin package. Reinstall @opencode-orchestrator/cli (it depends on it).',
      cause: error,
    })
  }
  const exports = (JSON.parse(readFileSync(manifest, 'utf8')) as { exports?: { '.'?: { import?: string } } }).exports
  const entry = join(dirname(manifest), exports?.['.']?.import ?? 'dist/index.js')
  if (!existsSync(entry)) {
    throw new OrchestratorError({
      code: 'host-failed',
      message: `The plugin bundle ${entry} does not exist. In the monorepo, build it with \`pnpm build:plugin\`; otherwise reinstall @opencode-orchestrator/cli.`,
      details: { entry },
    })
  }
  return pathToFileURL(entry).href
}
