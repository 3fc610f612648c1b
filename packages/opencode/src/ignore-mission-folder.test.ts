import { createMemoryStorage } from '@opencode-orchestrator/core'
import { describe, expect, it } from 'vitest'
import { MISSION_FOLDER_GITIGNORE, ignoreMissionFolder } from './ignore-mission-folder'

describe('ignoreMissionFolder', () => {
  it('writes a .gitignore that ignores everything in the folder', async () => {
    const storage = createMemoryStorage()
    await expect(ignoreMissionFolder(storage)).resolves.toBe('written')
    expect(storage.files()['.gitignore']).toBe(MISSION_FOLDER_GITIGNORE)
    expect(MISSION_FOLDER_GITIGNORE.split('\n')).toContain('*')
  })

  it("keeps the user's own .gitignore", async () => {
    const storage = createMemoryStorage({ '.gitignore': '!todo.md\n' })
    await expect(ignoreMissionFolder(storage)).resolves.toBe('kept')
    expect(storage.files()['.gitignore']).toBe('!todo.md\n')
  })
})
