import type { Storage } from '@opencode-orchestrator/core'

/** What the mission folder's own `.gitignore` holds: everything in the folder, itself included. */
export const MISSION_FOLDER_GITIGNORE = '# Written by opencode-orchestrator: mission journals, todos and reports stay out of git.\n*\n'

/**
 * Makes the mission folder ignore itself in git (and in OpenCode's git-based snapshots) with a
 * `.gitignore` inside it, so a mission leaves `git status` clean. A `.gitignore` the user put there
 * is left as it is: they decided what to track.
 */
export async function ignoreMissionFolder(storage: Storage): Promise<'written' | 'kept'> {
  if ((await storage.read('.gitignore')) !== undefined) return 'kept'
  await storage.write('.gitignore', MISSION_FOLDER_GITIGNORE)
  return 'written'
}
