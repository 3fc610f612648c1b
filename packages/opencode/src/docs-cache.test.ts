import { describe, expect, it } from 'vitest'
import { createLogger, createMemoryStorage } from '@opencode-orchestrator/core'
import { createDocsCache } from './docs-cache'

const LIMITS = { maxEntries: 10, maxEntryBytes: 10_000, maxTotalBytes: 100_000 }

function setup(initial: Record<string, string>) {
  const storage = createMemoryStorage(initial)
  const notices: string[] = []
  const docs = createDocsCache({
    storage,
    clock: { now: () => 5_000 },
    logger: createLogger(() => undefined),
    limits: LIMITS,
    notify: ({ message }) => notices.push(message),
    displayPath: (path) => `.opencode/orchestrator/${path}`,
  })
  return { storage, docs, notices }
}

const FILE = 'missions/m1/docs.json'

describe('docs cache: a malformed docs.json is set aside like a corrupt journal (issue 18, low)', () => {
  it.each([
    ['valid JSON that is not a list', '{"key":"api","content":"x"}', 'it is not a list of documents'],
    ['a list with null in it', '[null]', 'an entry is malformed at 0'],
    ['a list with an entry missing its content', '[{"key":"api","title":"API","savedAt":1}]', 'an entry is malformed at 0.content'],
    ['text that is not JSON', '{"key":', 'it is not valid JSON'],
  ])('%s: moved aside with a notice, never overwritten, and the cache works', async (_name, content, problem) => {
    const { storage, docs, notices } = setup({ [FILE]: content })
    expect(await docs.list('m1')).toEqual([])
    expect(await storage.read(`${FILE}.corrupt-5000`)).toBe(content)
    expect(notices).toHaveLength(1)
    expect(notices[0]).toContain(`The docs cache .opencode/orchestrator/${FILE} of mission m1 could not be used: ${problem}`)
    expect(notices[0]).toContain(`It was moved to .opencode/orchestrator/${FILE}.corrupt-5000; the agents start a fresh cache.`)
    await docs.save('m1', { key: 'api', title: 'API', content: 'GET /users' })
    expect(await docs.read('m1', 'api')).toMatchObject({ key: 'api', content: 'GET /users' })
    expect(await storage.read(`${FILE}.corrupt-5000`)).toBe(content)
  })

  it('reads a well-formed file as it is', async () => {
    const entries = [{ key: 'api', title: 'API', content: 'GET /users', savedAt: 1 }]
    const { docs, notices } = setup({ [FILE]: JSON.stringify(entries) })
    expect(await docs.read('m1', 'api')).toEqual(entries[0])
    expect(notices).toEqual([])
  })
})
