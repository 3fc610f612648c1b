/**
 * Captures the error payloads a real OpenCode emits, one fixture file per scenario, into
 * `packages/recovery/__fixtures__/`. The classifier's tests run on these files.
 *
 *   pnpm --filter @opencode-orchestrator/recovery capture-fixtures            # (re)write the fixtures
 *   pnpm --filter @opencode-orchestrator/recovery capture-fixtures --check    # fail when a re-run differs
 *   … capture-fixtures --only auth-401,aborted                                # a subset
 *
 * Ids, ports and times are normalised, so a re-run on the same OpenCode version writes the
 * same bytes. OpenCode's retry `next` times carry random jitter: they become a fixed epoch.
 */
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createPayloadNormaliser, resolveOpencodeBinary, startOpencodeServer, startScriptedModel } from '@opencode-orchestrator/testing'
import type { OpencodeServer, ScriptedModel } from '@opencode-orchestrator/testing'
import type { FixtureScenario, ScenarioServer } from './fixture-scenarios'
import { FIXTURE_SCENARIOS, scenarioMarker } from './fixture-scenarios'

const FIXTURE_DIRECTORY = join(dirname(fileURLToPath(import.meta.url)), '..', '__fixtures__')
/** Every epoch time in a fixture becomes this (2026-01-01T00:00:00Z). */
const NORMALISED_EPOCH = 1_767_225_600_000
const NORMALISED_DATE = 'Thu, 01 Jan 2026 00:00:00 GMT'
const RECORDED_EVENTS = new Set(['session.status', 'session.error', 'session.compacted'])
/** Longest a scenario may take: OpenCode's own backoff without retry-after is 2 s + 4 s (+25 % jitter). */
const SCENARIO_TIMEOUT_MS = 60_000
/** After the first idle, events that still belong to the turn (a repeated idle) arrive within this window. */
const SETTLE_MS = 500

interface RecordedPayload {
  type: string
  properties: unknown
}

/** What one fixture file holds. */
export interface ErrorFixture {
  scenario: string
  description: string
  opencodeVersion: string
  /** OpenCode config the scenario ran with, beyond the harness defaults. */
  opencodeConfig: Record<string, unknown>
  /** What the scripted model was told to answer, in order (the last one repeats). */
  scripted: FixtureScenario['responses']
  /** HTTP status of each model request OpenCode made, in order (`null`: no answer, the request was cut). */
  modelRequests: Array<number | null>
  /** session.status / session.error / session.compacted events of the session, in order, repeats collapsed. */
  events: RecordedPayload[]
  /** `finish` and `error` of the session's last assistant message once it was idle. */
  lastAssistant: { finish?: string; error?: unknown } | null
}

const SERVER_CONFIG: Record<ScenarioServer, Record<string, unknown>> = {
  default: {},
  'compaction-off': { compaction: { auto: false } },
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

/** Rewrites run-specific values (ids, ports, times, dates) to stable ones. */
function createNormaliser() {
  return createPayloadNormaliser({ epoch: NORMALISED_EPOCH, timeKeys: /^(next|created|completed|updated)$/, fixedStrings: { date: NORMALISED_DATE } }).walk
}

async function waitUntil(condition: () => boolean, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

const sessionOf = (properties: unknown) => (isRecord(properties) && typeof properties.sessionID === 'string' ? properties.sessionID : undefined)

async function runScenario(server: OpencodeServer, model: ScriptedModel, scenario: FixtureScenario, version: string) {
  const client = server.client
  const created = await client.session.create({ title: scenario.name })
  if (created.data === undefined) throw new Error(`session.create failed: ${JSON.stringify(created.error)}`)
  const sessionId = created.data.id
  const mark = server.events.mark()
  const started = Date.now()
  const accepted = await client.session.promptAsync({
    sessionID: sessionId,
    parts: [{ type: 'text', text: `${scenarioMarker(scenario.name)} Please answer briefly.` }],
  })
  if (accepted.error !== undefined) throw new Error(`promptAsync failed: ${JSON.stringify(accepted.error)}`)
  if (scenario.abortInFlight) {
    await waitUntil(() => model.requests.some((request) => request.rule === scenario.name), SCENARIO_TIMEOUT_MS, 'the model request')
    await client.session.abort({ sessionID: sessionId })
  }
  const mine = () =>
    server.events.all
      .slice(Math.max(0, mark - (server.events.all[0]?.index ?? 0)))
      .filter((recorded) => sessionOf(recorded.event.properties) === sessionId)
  const isIdle = (event: { type: string; properties: unknown }) =>
    event.type === 'session.status' && isRecord(event.properties) && isRecord(event.properties.status) && event.properties.status.type === 'idle'
  await waitUntil(() => mine().some((recorded) => isIdle(recorded.event)), SCENARIO_TIMEOUT_MS, `${scenario.name} to go idle`)
  const durationMs = Date.now() - started
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS))

  const events: RecordedPayload[] = []
  for (const { event } of mine()) {
    if (!RECORDED_EVENTS.has(event.type)) continue
    const payload = { type: event.type, properties: event.properties as unknown }
    // OpenCode repeats some statuses (busy per step, idle twice): repeats carry no information.
    if (JSON.stringify(events.at(-1)) === JSON.stringify(payload)) continue
    events.push(payload)
  }
  const messages = await client.session.messages({ sessionID: sessionId })
  const lastAssistant = [...(messages.data ?? [])].reverse().find((message) => message.info.role === 'assistant')?.info
  const assistantInfo = lastAssistant as { finish?: string; error?: unknown } | undefined
  const normalise = createNormaliser()
  const fixture: ErrorFixture = {
    scenario: scenario.name,
    description: scenario.description,
    opencodeVersion: version,
    opencodeConfig: SERVER_CONFIG[scenario.server],
    scripted: scenario.responses,
    modelRequests: model.requests.filter((request) => request.rule === scenario.name).map((request) => (request.closedEarly ? null : (request.status ?? null))),
    events: normalise(events) as RecordedPayload[],
    lastAssistant:
      assistantInfo === undefined
        ? null
        : (normalise({
            ...(assistantInfo.finish === undefined ? {} : { finish: assistantInfo.finish }),
            ...(assistantInfo.error === undefined ? {} : { error: assistantInfo.error }),
          }) as ErrorFixture['lastAssistant']),
  }
  return { fixture, durationMs }
}

async function captureAll(only: Set<string> | undefined) {
  const version = resolveOpencodeBinary().version
  const results = new Map<string, ErrorFixture>()
  const durations: Array<[string, number]> = []
  for (const serverKind of ['default', 'compaction-off'] as const) {
    const scenarios = FIXTURE_SCENARIOS.filter((scenario) => scenario.server === serverKind && (only === undefined || only.has(scenario.name)))
    if (scenarios.length === 0) continue
    const model = await startScriptedModel({
      rules: scenarios.map((scenario) => ({ name: scenario.name, match: { marker: scenarioMarker(scenario.name) }, respond: scenario.responses })),
    })
    const startedAt = Date.now()
    const server = await startOpencodeServer({ modelBaseURL: model.baseURL, config: SERVER_CONFIG[serverKind] })
    console.log(`[capture] ${serverKind} server ready in ${Date.now() - startedAt} ms`)
    try {
      for (const scenario of scenarios) {
        const { fixture, durationMs } = await runScenario(server, model, scenario, version)
        results.set(scenario.name, fixture)
        durations.push([scenario.name, durationMs])
        console.log(`[capture] ${scenario.name}: ${durationMs} ms, ${fixture.modelRequests.length} model request(s), ${fixture.events.length} event(s)`)
      }
    } catch (error) {
      console.error(`[capture] failed; last server log lines:\n${server.logs.tail()}`)
      throw error
    } finally {
      await server.dispose()
      await model.close()
    }
  }
  return { results, durations }
}

const serialise = (fixture: ErrorFixture) => `${JSON.stringify(fixture, null, 2)}\n`

async function main() {
  const args = process.argv.slice(2)
  const check = args.includes('--check')
  const onlyIndex = args.indexOf('--only')
  const only = onlyIndex === -1 ? undefined : new Set((args[onlyIndex + 1] ?? '').split(',').filter(Boolean))
  const unknown = only === undefined ? [] : [...only].filter((name) => !FIXTURE_SCENARIOS.some((scenario) => scenario.name === name))
  if (unknown.length > 0) {
    throw new Error(`--only names unknown scenarios: ${unknown.join(', ')}. Known: ${FIXTURE_SCENARIOS.map((scenario) => scenario.name).join(', ')}`)
  }
  const started = Date.now()
  const { results } = await captureAll(only)
  await mkdir(FIXTURE_DIRECTORY, { recursive: true })
  const drift: string[] = []
  for (const [name, fixture] of results) {
    const path = join(FIXTURE_DIRECTORY, `${name}.json`)
    const fresh = serialise(fixture)
    if (!check) {
      await writeFile(path, fresh)
      continue
    }
    const stored = await readFile(path, 'utf8').catch(() => undefined)
    if (stored === fresh) continue
    if (stored === undefined) {
      drift.push(`${name}: no stored fixture`)
      continue
    }
    const storedLines = stored.split('\n')
    const freshLines = fresh.split('\n')
    const line = freshLines.findIndex((text, index) => text !== storedLines[index])
    drift.push(`${name}: line ${line + 1}\n  stored: ${storedLines[line] ?? '(end)'}\n  fresh:  ${freshLines[line] ?? '(end)'}`)
  }
  if (check && only === undefined) {
    const expected = new Set(FIXTURE_SCENARIOS.map((scenario) => `${scenario.name}.json`))
    for (const file of await readdir(FIXTURE_DIRECTORY)) if (file.endsWith('.json') && !expected.has(file)) drift.push(`${file}: no scenario produces it`)
  }
  console.log(`[capture] ${results.size} scenario(s) in ${Math.round((Date.now() - started) / 1000)} s`)
  if (drift.length > 0) {
    console.error(`[capture] fixtures drifted from what OpenCode emits now:\n${drift.join('\n')}\nRe-run without --check to update them.`)
    process.exitCode = 1
  } else if (check) {
    console.log('[capture] fixtures match')
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
