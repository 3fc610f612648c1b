import { z } from 'zod'
import { OrchestratorError, errorMessage, type Clock, type Logger, type Storage } from '@opencode-orchestrator/core'

/** One document saved for the agents of a mission (e.g. API notes the Planner fetched once). */
export interface DocsEntry {
  key: string
  title: string
  content: string
  /** Where it came from (URL, file path). */
  source?: string
  savedAt: number
  /** Session that saved it. */
  savedBy?: string
}

export interface DocsCacheLimits {
  maxEntries: number
  maxEntryBytes: number
  maxTotalBytes: number
}

export interface DocsCache {
  /** Saves (or replaces) an entry; returns the keys evicted to stay within the limits. */
  save(missionId: string, entry: Omit<DocsEntry, 'savedAt'>): Promise<{ evicted: string[] }>
  read(missionId: string, key: string): Promise<DocsEntry | undefined>
  list(missionId: string): Promise<Array<Omit<DocsEntry, 'content'> & { bytes: number }>>
}

export interface CreateDocsCacheOptions {
  storage: Storage
  clock: Pick<Clock, 'now'>
  logger: Logger
  limits: DocsCacheLimits
  /** Tells the user a docs file was set aside (a malformed docs.json). Default: the log only. */
  notify?: (notice: { missionId: string; message: string }) => void
  /** How a storage path is shown to the user. Default: as is. */
  displayPath?: (path: string) => string
}

/** What a docs.json must hold; anything else is set aside, never silently overwritten. */
const docsFileSchema = z.array(
  z.object({
    key: z.string(),
    title: z.string(),
    content: z.string(),
    source: z.string().optional(),
    savedAt: z.number(),
    savedBy: z.string().optional(),
  }),
)

/** Why `text` is not a docs file, or the entries it holds. */
function parseDocsFile(text: string): { entries: DocsEntry[] } | { problem: string } {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (error) {
    return { problem: `it is not valid JSON (${errorMessage(error)})` }
  }
  const parsed = docsFileSchema.safeParse(raw)
  if (parsed.success) return { entries: parsed.data }
  const issue = parsed.error.issues[0]
  const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : ''
  return { problem: Array.isArray(raw) ? `an entry is malformed${where}: ${issue?.message ?? 'invalid'}` : 'it is not a list of documents' }
}

const KEY_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/

const bytesOf = (text: string) => new TextEncoder().encode(text).byteLength

/**
 * The mission's docs cache: saved once, read by any agent of the mission,
 * bounded in size, stored with the mission (`missions/<id>/docs.json`).
 */
export function createDocsCache({ storage, clock, logger, limits, notify, displayPath = (path) => path }: CreateDocsCacheOptions): DocsCache {
  const loaded = new Map<string, DocsEntry[]>()
  const pathOf = (missionId: string) => `missions/${missionId}/docs.json`

  const load = async (missionId: string): Promise<DocsEntry[]> => {
    const cached = loaded.get(missionId)
    if (cached) return cached
    const text = await storage.read(pathOf(missionId))
    let entries: DocsEntry[] = []
    if (text !== undefined) {
      const parsed = parseDocsFile(text)
      if ('entries' in parsed) entries = parsed.entries
      else {
        // Like a corrupt journal: keep the file for a human, out of the way, and start a fresh cache.
        const file = pathOf(missionId)
        const target = `${file}.corrupt-${clock.now()}`
        await storage.rename(file, target)
        const message = `The docs cache ${displayPath(file)} of mission ${missionId} could not be used: ${parsed.problem}. It was moved to ${displayPath(target)}; the agents start a fresh cache.`
        logger.log('error', message, { missionId, quarantinedAs: target })
        try {
          notify?.({ missionId, message })
        } catch (error) {
          logger.log('error', 'could not tell the user about the docs cache', { missionId, error: errorMessage(error) })
        }
      }
    }
    loaded.set(missionId, entries)
    return entries
  }

  return {
    async save(missionId, entry) {
      if (!KEY_PATTERN.test(entry.key)) {
        throw new OrchestratorError({
          code: 'invalid-argument',
          message: `Docs key '${entry.key}' is not valid: use 1–64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit (e.g. 'express-auth-api').`,
          details: { key: entry.key },
        })
      }
      const size = bytesOf(entry.content)
      if (size > limits.maxEntryBytes) {
        throw new OrchestratorError({
          code: 'limit-exceeded',
          message: `Docs entry '${entry.key}' is ${size} bytes; the limit is ${limits.maxEntryBytes} (docsCache.maxEntryBytes). Save a shorter summary with the parts Workers need.`,
          details: { limit: 'docsCache.maxEntryBytes', value: size, max: limits.maxEntryBytes },
        })
      }
      const entries = (await load(missionId)).filter((existing) => existing.key !== entry.key)
      entries.push({ ...entry, savedAt: clock.now() })
      const evicted: string[] = []
      let total = entries.reduce((sum, item) => sum + bytesOf(item.content), 0)
      while (entries.length > limits.maxEntries || total > limits.maxTotalBytes) {
        const oldest = entries.shift()
        if (!oldest) break
        total -= bytesOf(oldest.content)
        evicted.push(oldest.key)
      }
      loaded.set(missionId, entries)
      await storage.write(pathOf(missionId), JSON.stringify(entries, null, 2))
      if (evicted.length > 0) logger.log('info', 'docs cache evicted old entries', { missionId, evicted })
      return { evicted }
    },
    async read(missionId, key) {
      return (await load(missionId)).find((entry) => entry.key === key)
    },
    async list(missionId) {
      return (await load(missionId)).map(({ content, ...rest }) => ({ ...rest, bytes: bytesOf(content) }))
    },
  }
}
