import { createOrchestratorPlugin } from '@opencode-orchestrator/opencode'
import { createFleetDispatcherWrapper } from './fleet-plugin-dispatcher'

/**
 * The orchestrator plugin as a fleet worker's OpenCode loads it: the same
 * plugin, with its scheduler's keyed concurrency also held fleet-wide through
 * Redis leases (settings from the worker, in `ORCHESTRATOR_FLEET_*`).
 */
export default {
  id: 'opencode-orchestrator',
  server: createOrchestratorPlugin({ wrapDispatcher: createFleetDispatcherWrapper(process.env) }),
}
