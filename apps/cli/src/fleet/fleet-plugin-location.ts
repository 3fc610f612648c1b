import { existsSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { OrchestratorError } from '@opencode-orchestrator/core'

export { fleetPluginEnvironment } from './fleet-plugin-dispatcher'

/**
 * The fleet plugin bundle (`dist/fleet-plugin.js`, built with this CLI next to
 * `bin.js`) as a `file://` URL for OpenCode's `plugin` list.
 */
export function resolveFleetPluginUrl(from: string): string {
  const url = new URL('./fleet-plugin.js', from.includes('/dist/') ? from : new URL('../dist/bin.js', from))
  const path = url.pathname
  if (!existsSync(path)) {
    throw new OrchestratorError({
      code: 'host-failed',
      message: `The fleet plugin ${path} does not exist. In the monorepo, build the CLI with \`pnpm build:cli\`; otherwise reinstall @opencode-orchestrator/cli.`,
      details: { path },
    })
  }
  return pathToFileURL(path).href
}
