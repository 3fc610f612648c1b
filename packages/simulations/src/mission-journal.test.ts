import { OrchestratorError, createMemoryStorage, type MissionRecord } from '@opencode-orchestrator/core'
import { createFakeClock, createFakeHost } from '@opencode-orchestrator/testing'
import { parseTodoMarkdown } from '@opencode-orchestrator/todo-engine'
import { describe, expect, it } from 'vitest'
import { createMissionHarness } from './create-mission-harness'

/** A good journal on disk: one mission halfway, its root turn waiting on a worker. */
async function journalWithOneMission() {
  const clock = createFakeClock({ start: 1_000_000 })
  const host = createFakeHost({ clock })
  const storage = createMemoryStorage()
  const first = createMissionHarness({ clock, host, storage })
  host.onAgent('commander', [{ steps: [{ tool: 'orchestrator_delegate', toolDurationMs: 5 }], reply: 'waiting' }, { reply: 'noted' }])
  host.onAgent('worker', { durationMs: 600_000, reply: 'worker done' })
  const stopDelegating = first.onTool('orchestrator_delegate', ({ sessionId }) => void first.engine.delegate({ sessionId, agent: 'worker', title: 'w', prompt: 'work' }))
  const mission = await first.startMission()
  await first.advance(60_000)
  await first.engine.dispose()
  stopDelegating()
  const content = (await storage.read(`missions/${mission.missionId}.json`))!
  return { clock, host, storage, mission, content }
}

interface BadFile {
  name: string
  content: (good: string) => string
  code: 'journal-corrupt' | 'journal-version'
  /** What the message must say is wrong. */
  wrong: RegExp
  /** What the message must tell the user to do. */
  todo: RegExp
}

const BAD_FILES: BadFile[] = [
  { name: 'garbage', content: () => 'this is not { json', code: 'journal-corrupt', wrong: /not valid JSON/, todo: /start it again/ },
  { name: 'truncated', content: (good) => good.slice(0, Math.floor(good.length * 0.6)), code: 'journal-corrupt', wrong: /not valid JSON.*cut off/s, todo: /start it again/ },
  {
    name: 'malformed',
    content: (good) => JSON.stringify({ ...(JSON.parse(good) as MissionRecord), id: 'mission_malformed', state: 'exploded' }),
    code: 'journal-corrupt',
    wrong: /malformed at state/,
    todo: /start it again/,
  },
  {
    // Every todo tool would fail on this list; refused at load, not left to break the mission later (issue 18, low).
    name: 'cycle',
    content: (good) => {
      const todo = (id: string, dependsOn: string[]) => ({ id, title: id, status: 'pending', dependsOn, createdAt: 1, updatedAt: 1 })
      return JSON.stringify({ ...(JSON.parse(good) as MissionRecord), id: 'mission_cycle', todos: [todo('t1', ['t3']), todo('t2', ['t1']), todo('t3', ['t2'])] })
    },
    code: 'journal-corrupt',
    wrong: /malformed at todos: the todos' dependencies form a cycle t1 → t3 → t2 → t1/,
    todo: /start it again/,
  },
  {
    name: 'unknown-dependency',
    content: (good) =>
      JSON.stringify({
        ...(JSON.parse(good) as MissionRecord),
        id: 'mission_unknown_dependency',
        todos: [{ id: 't1', title: 't1', status: 'pending', dependsOn: ['t9'], createdAt: 1, updatedAt: 1 }],
      }),
    code: 'journal-corrupt',
    wrong: /malformed at todos: todo t1 depends on t9, which is not in the list/,
    todo: /start it again/,
  },
  {
    name: 'future',
    content: (good) => JSON.stringify({ ...(JSON.parse(good) as MissionRecord), id: 'mission_future', version: 7 }),
    code: 'journal-version',
    wrong: /schema version 7.*reads version 1/s,
    todo: /Upgrade opencode-orchestrator.*rename it back/s,
  },
]

describe('journal robustness', () => {
  it('bad files give a clear problem and are quarantined; the other missions load and resume', async () => {
    const { clock, host, storage, mission, content } = await journalWithOneMission()
    for (const bad of BAD_FILES) await storage.write(`missions/${bad.name}.json`, bad.content(content))
    const before = storage.files()

    const second = createMissionHarness({ clock, host, storage })
    const report = await second.engine.start()
    expect(report.adopted).toEqual([mission.missionId])
    expect(report.stale).toEqual([])
    expect(report.problems.map((problem) => problem.file).sort()).toEqual(BAD_FILES.map((bad) => `missions/${bad.name}.json`).sort())

    const files = storage.files()
    for (const bad of BAD_FILES) {
      const file = `missions/${bad.name}.json`
      const problem = report.problems.find((entry) => entry.file === file)!
      expect(OrchestratorError.isInstance(problem.error), bad.name).toBe(true)
      expect(problem.error.code, bad.name).toBe(bad.code)
      // The message names the file, says what is wrong and what to do.
      expect(problem.error.message, bad.name).toContain(file)
      expect(problem.error.message, bad.name).toMatch(bad.wrong)
      expect(problem.error.message, bad.name).toMatch(bad.todo)
      // Quarantined: out of the loader's way under a new name, bytes kept, and the message says where.
      expect(problem.quarantinedAs, bad.name).toMatch(new RegExp(`^missions/${bad.name}\\.json\\.`))
      expect(problem.error.message, bad.name).toContain(problem.quarantinedAs!)
      expect(files[file], bad.name).toBeUndefined()
      expect(files[problem.quarantinedAs!], bad.name).toBe(before[file])
    }
    // Loud in the log as well.
    expect(second.logs.filter((entry) => entry.level === 'error')).toHaveLength(BAD_FILES.length)

    // The good mission resumes: its worker's result reaches the Commander through the new engine.
    await second.advance(3_600_000)
    expect(second.prompts(mission.rootSessionId).some((prompt) => prompt.text.includes('worker done'))).toBe(true)

    // A later start does not trip over the quarantined files again.
    await second.engine.dispose()
    const third = createMissionHarness({ clock, host, storage })
    expect((await third.engine.start()).problems).toEqual([])
  })
})

describe('todo.md', () => {
  it('an unknown marker is an error naming its line', () => {
    const markdown = ['# Mission', '', '## Todos', '- [~] Write the parser <!-- id:t1 -->', '- [y] Ship it <!-- id:t2 -->', ''].join('\n')
    let caught: unknown
    try {
      parseTodoMarkdown(markdown, { now: 0 })
    } catch (error) {
      caught = error
    }
    expect(OrchestratorError.isInstance(caught)).toBe(true)
    const error = caught as OrchestratorError
    expect(error.code).toBe('todo-markdown')
    expect(error.message).toMatch(/line 5\b/)
    expect(error.message).toContain('[y]')
    expect(error.details).toMatchObject({ line: 5 })
  })
})
