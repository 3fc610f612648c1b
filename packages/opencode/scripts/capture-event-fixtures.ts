/**
 * Records the bus events a real OpenCode server sends to plugins, for the event
 * translation tests (`src/event-translation.test.ts`), into
 * `packages/opencode/__fixtures__/opencode-events.json`.
 *
 *   pnpm --filter @opencode-orchestrator/opencode capture-fixtures          # (re)write
 *   pnpm --filter @opencode-orchestrator/opencode capture-fixtures --check  # fail when a re-run differs
 *
 * One run covers what the adapter translates: a child session created under a
 * parent, a turn with parallel tool calls (`todowrite`, `bash`) then an answer,
 * a 401 error, a compaction, a custom command and a deletion. Ids, times and
 * ports are normalised so a re-run on the same OpenCode version writes the same
 * bytes; for each event kind only the first few distinct shapes are kept.
 */
import { readFile, writeFile, mkdir } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createPayloadNormaliser, resolveOpencodeBinary, startOpencodeServer, startScriptedModel, type OpencodeServer } from '@opencode-orchestrator/testing'

const FIXTURE_FILE = join(dirname(fileURLToPath(import.meta.url)), '..', '__fixtures__', 'opencode-events.json')
const NORMALISED_EPOCH = 1_767_225_600_000
/** Events the adapter never acts on still go in, a few of each, to prove they are dropped. */
const EXAMPLES_PER_SHAPE = 2
const TIMEOUT_MS = 60_000

type Json = Record<string, unknown>
const isRecord = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value)

interface RecordedEvent {
  /** What the example shows, e.g. `message.part.updated tool completed`. */
  shape: string
  event: { type: string; properties: unknown }
}

export interface EventFixtures {
  opencodeVersion: string
  /** Session ids by role, after normalisation. */
  sessions: { parent: string; child: string }
  events: RecordedEvent[]
  /** `session.messages` of the child after its turn: `{ info, parts }[]`. */
  childMessages: unknown[]
}

function createNormaliser() {
  return createPayloadNormaliser({
    epoch: NORMALISED_EPOCH,
    timeKeys: /^(created|completed|updated|start|end|time|compacting|archived)$/,
    // Slugs are random per session; they say nothing about the shape.
    fixedStrings: { slug: 'SLUG' },
    rewrite: (text) => text.replace(/\/tmp\/[^"\s]*?\/project/g, '/PROJECT'),
  })
}

/** A short label for what an event shows; examples are kept per label. */
function shapeOf(event: { type: string; properties: unknown }): string {
  const properties = isRecord(event.properties) ? event.properties : {}
  switch (event.type) {
    case 'session.status':
      return `${event.type} ${isRecord(properties['status']) ? String(properties['status']['type']) : '?'}`
    case 'message.updated': {
      const info = isRecord(properties['info']) ? properties['info'] : {}
      const time = isRecord(info['time']) ? info['time'] : {}
      const state = info['error'] ? 'error' : time['completed'] ? `completed ${String(info['finish'] ?? '')}` : 'open'
      return `${event.type} ${String(info['role'])} ${state}`
    }
    case 'message.part.updated': {
      const part = isRecord(properties['part']) ? properties['part'] : {}
      const state = isRecord(part['state']) ? ` ${String(part['state']['status'])}` : ''
      return `${event.type} ${String(part['type'])}${part['type'] === 'tool' ? ` ${String(part['tool'])}` : ''}${state}`
    }
    default:
      return event.type
  }
}

async function waitUntil(condition: () => boolean, what: string) {
  const deadline = Date.now() + TIMEOUT_MS
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${TIMEOUT_MS} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

async function waitIdle(server: OpencodeServer, sessionID: string, since: number) {
  await server.events.waitFor(
    (event) => event.type === 'session.status' && isRecord(event.properties) && event.properties['sessionID'] === sessionID && isRecord(event.properties['status']) && event.properties['status']['type'] === 'idle',
    TIMEOUT_MS,
    { since },
  )
  // The idle of an error turn repeats; let the tail of the turn arrive.
  await new Promise((resolve) => setTimeout(resolve, 400))
}

async function capture(): Promise<EventFixtures> {
  const version = resolveOpencodeBinary().version
  const model = await startScriptedModel({
    rules: [
      // OpenCode's compaction agent: its request carries the whole conversation, markers included.
      { name: 'summary', match: { predicate: (request) => /summar/i.test(request.system) && !request.toolNames.includes('todowrite') }, respond: { text: 'Summary: a module was planned and a line was printed.' } },
      {
        name: 'tools',
        match: { marker: '[[fx-tools]]', lastRole: 'user' },
        respond: {
          toolCalls: [
            { name: 'todowrite', arguments: { todos: [{ id: 'a', content: 'Write the module', status: 'in_progress', priority: 'high' }] } },
            { name: 'bash', arguments: { command: 'echo fixture-output', description: 'Print a line' } },
          ],
        },
      },
      { name: 'tools-answer', match: { marker: '[[fx-tools]]', lastRole: 'tool' }, respond: { text: 'Both tools ran.' } },
      { name: 'command', match: { marker: '[[fx-command]]' }, respond: { text: 'Command answered.' } },
      { name: 'auth', match: { marker: '[[fx-401]]' }, respond: { error: { status: 401, body: { error: { message: 'Invalid API key provided', type: 'invalid_request_error' } } } } },
    ],
  })
  const server = await startOpencodeServer({
    modelBaseURL: model.baseURL,
    config: {
      permission: { bash: 'allow' },
      command: { 'fx-command': { template: '[[fx-command]] $ARGUMENTS', description: 'fixture command' } },
    },
  })
  try {
    const client = server.client
    const start = server.events.mark()
    const parent = (await client.session.create({ title: 'fixture parent' })).data!
    const child = (await client.session.create({ title: 'fixture child', parentID: parent.id })).data!

    let mark = server.events.mark()
    await client.session.promptAsync({ sessionID: child.id, parts: [{ type: 'text', text: '[[fx-tools]] Plan and print.' }] })
    await waitIdle(server, child.id, mark)
    await waitUntil(() => model.requests.some((request) => request.rule === 'tools-answer' && request.endedAt !== undefined), 'the answer after the tools')

    mark = server.events.mark()
    await client.session.promptAsync({ sessionID: parent.id, parts: [{ type: 'text', text: '[[fx-401]] Hello.' }] })
    await waitIdle(server, parent.id, mark)

    mark = server.events.mark()
    const summarized = await client.session.summarize({ sessionID: child.id, providerID: 'fake', modelID: 'fake-model' })
    if (summarized.error !== undefined) throw new Error(`session.summarize failed: ${JSON.stringify(summarized.error)}`)
    await server.events.waitFor((event) => event.type === 'session.compacted', TIMEOUT_MS, { since: mark })
    await waitIdle(server, child.id, mark)

    mark = server.events.mark()
    await client.session.command({ sessionID: parent.id, command: 'fx-command', arguments: 'now' })
    await server.events.waitFor((event) => event.type === 'command.executed', TIMEOUT_MS, { since: mark })
    await waitIdle(server, parent.id, mark)

    const childMessages = (await client.session.messages({ sessionID: child.id })).data ?? []

    mark = server.events.mark()
    await client.session.delete({ sessionID: child.id })
    await server.events.waitFor((event) => event.type === 'session.deleted', TIMEOUT_MS, { since: mark })

    const { walk, stableId } = createNormaliser()
    const sessions = { parent: stableId(parent.id), child: stableId(child.id) }
    const kept = new Map<string, number>()
    const events: RecordedEvent[] = []
    const firstIndex = server.events.all[0]?.index ?? 0
    for (const { event } of server.events.all.slice(Math.max(0, start - firstIndex))) {
      // Keep-alives say nothing about the session lifecycle (the SDK's event union does not even list them).
      if (['server.heartbeat', 'server.connected'].includes(event.type as string)) continue
      const shape = shapeOf(event)
      const count = kept.get(shape) ?? 0
      if (count >= EXAMPLES_PER_SHAPE) continue
      kept.set(shape, count + 1)
      events.push({ shape, event: walk({ type: event.type, properties: event.properties }) as RecordedEvent['event'] })
    }
    return { opencodeVersion: version, sessions, events, childMessages: walk(childMessages) as unknown[] }
  } catch (error) {
    console.error(`[capture] failed; last server log lines:\n${server.logs.tail()}`)
    throw error
  } finally {
    await server.dispose()
    await model.close()
  }
}

/** What `--check` compares: the set of shapes (payload values like token counts may vary run to run). */
const shapesOf = (fixtures: EventFixtures) => [...new Set(fixtures.events.map((event) => event.shape))].sort()

async function main() {
  const check = process.argv.includes('--check')
  const fixtures = await capture()
  const text = `${JSON.stringify(fixtures, null, 2)}\n`
  if (check) {
    const previous = JSON.parse(await readFile(FIXTURE_FILE, 'utf8')) as EventFixtures
    const before = shapesOf(previous)
    const after = shapesOf(fixtures)
    const missing = before.filter((shape) => !after.includes(shape))
    const added = after.filter((shape) => !before.includes(shape))
    if (missing.length > 0 || added.length > 0) {
      console.error(`[capture] event shapes drifted. Missing now: ${missing.join(', ') || '-'}; new: ${added.join(', ') || '-'}. Re-run without --check and review the diff.`)
      process.exitCode = 1
      return
    }
    console.log(`[capture] ${after.length} event shapes match ${FIXTURE_FILE}`)
    return
  }
  await mkdir(dirname(FIXTURE_FILE), { recursive: true })
  await writeFile(FIXTURE_FILE, text)
  console.log(`[capture] wrote ${fixtures.events.length} events (${shapesOf(fixtures).length} shapes) to ${FIXTURE_FILE}`)
}

await main()
