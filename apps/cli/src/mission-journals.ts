import { readFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { OrchestratorError, errorMessage, parseMissionJournal, type MissionRecord } from '@opencode-orchestrator/core'
import { missionFiles } from './mission-files'

/** A journal file that could not be read, with the reason (it names the file). */
export interface JournalProblem {
  file: string
  error: OrchestratorError
}

export interface JournalListing {
  /** Readable missions, newest first. */
  missions: MissionRecord[]
  problems: JournalProblem[]
}

const isMissing = (error: unknown) => (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT'

/** Every mission journal of a project. A missing folder is an empty list, not an error. */
export async function listMissionJournals(missions: string): Promise<JournalListing> {
  let names: string[]
  try {
    names = await readdir(missions)
  } catch (error) {
    if (isMissing(error)) return { missions: [], problems: [] }
    throw new OrchestratorError({ code: 'storage-failed', message: `Cannot list ${missions}: ${errorMessage(error)}`, cause: error })
  }
  const records: MissionRecord[] = []
  const problems: JournalProblem[] = []
  for (const name of names.filter((item) => item.endsWith('.json')).sort()) {
    const file = join(missions, name)
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch (error) {
      // Deleted between readdir and read: it is simply gone.
      if (isMissing(error)) continue
      problems.push({ file, error: new OrchestratorError({ code: 'journal-corrupt', message: `Cannot read ${file}: ${errorMessage(error)}`, cause: error }) })
      continue
    }
    try {
      records.push(parseMissionJournal(text, file))
    } catch (error) {
      problems.push({
        file,
        error: OrchestratorError.isInstance(error) ? error : new OrchestratorError({ code: 'journal-corrupt', message: errorMessage(error), cause: error }),
      })
    }
  }
  records.sort((a, b) => b.createdAt - a.createdAt || a.id.localeCompare(b.id))
  return { missions: records, problems }
}

/**
 * One mission's journal. Throws `mission-not-found` (naming the folder and how to
 * list the ids) or `journal-corrupt` / `journal-version` (naming the file).
 */
export async function readMissionJournal(missions: string, missionId: string): Promise<MissionRecord> {
  const file = missionFiles(missions, missionId).journal
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if (isMissing(error)) {
      throw new OrchestratorError({
        code: 'mission-not-found',
        message: `No mission '${missionId}' in ${missions}. Run \`orchestrator status\` in the project (or pass --dir) to list its missions.`,
        details: { missionId, missions },
      })
    }
    throw new OrchestratorError({ code: 'journal-corrupt', message: `Cannot read ${file}: ${errorMessage(error)}`, cause: error, details: { file } })
  }
  return parseMissionJournal(text, file)
}

/** The journal of the mission whose root is `rootSessionId`, if one exists yet (the newest, if several). */
export async function findMissionForSession(missions: string, rootSessionId: string): Promise<MissionRecord | undefined> {
  const { missions: records } = await listMissionJournals(missions)
  return records.find((record) => record.rootSessionId === rootSessionId)
}
