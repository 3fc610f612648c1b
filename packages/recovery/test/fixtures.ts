import { readFileSync, readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { HostError, HostEvent, HostSessionStatus } from '@opencode-orchestrator/core'

/** One captured fixture (written by scripts/capture-fixtures.ts). */
export interface ErrorFixture {
  scenario: string
  description: string
  opencodeVersion: string
  modelRequests: Array<number | null>
  events: Array<{ type: string; properties: Record<string, unknown> }>
  lastAssistant: { finish?: string; error?: HostError } | null
}

const FIXTURE_DIRECTORY = join(dirname(fileURLToPath(import.meta.url)), '..', '__fixtures__')

/** Every fixture file, by scenario name. */
export function loadFixtures(): Map<string, ErrorFixture> {
  const fixtures = new Map<string, ErrorFixture>()
  for (const file of readdirSync(FIXTURE_DIRECTORY).filter((name) => name.endsWith('.json')).sort()) {
    const fixture = JSON.parse(readFileSync(join(FIXTURE_DIRECTORY, file), 'utf8')) as ErrorFixture
    fixtures.set(fixture.scenario, fixture)
  }
  return fixtures
}

/** The raw `session.error` payloads (`properties.error`), exactly as OpenCode sent them. */
export const sessionErrors = (fixture: ErrorFixture): unknown[] =>
  fixture.events.filter((event) => event.type === 'session.error').map((event) => event.properties.error)

/** The raw `session.status` retry payloads. */
export const retryStatuses = (fixture: ErrorFixture): Array<Record<string, unknown>> =>
  fixture.events
    .filter((event) => event.type === 'session.status')
    .map((event) => event.properties.status as Record<string, unknown>)
    .filter((status) => status.type === 'retry')

/**
 * The host events an adapter makes of the fixture's raw events (OpenCode's `next` becomes
 * `nextAt`), kept deliberately small: the real translation lives in the OpenCode adapter.
 */
export function toHostEvents(fixture: ErrorFixture, sessionId: string): HostEvent[] {
  const events: HostEvent[] = []
  for (const { type, properties } of fixture.events) {
    if (type === 'session.error') events.push({ type: 'session-error', sessionId, error: properties.error as HostError })
    else if (type === 'session.compacted') events.push({ type: 'session-compact', sessionId })
    else if (type === 'session.status') {
      const raw = properties.status as Record<string, unknown>
      const status: HostSessionStatus =
        raw.type === 'retry'
          ? { type: 'retry', attempt: Number(raw.attempt), message: String(raw.message), nextAt: Number(raw.next) }
          : raw.type === 'busy'
            ? { type: 'busy' }
            : { type: 'idle' }
      events.push({ type: 'session-status', sessionId, status })
    }
  }
  return events
}
