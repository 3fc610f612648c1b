import { describe, expect, it } from 'vitest'
import { createLogger, createMemoryStorage, createSequentialIds, type MissionEngine, type MissionSnapshot, type Todo } from '@opencode-orchestrator/core'
import { createMissionTodos } from './mission-todos'

/** The two engine calls the todo tools make, over one mission whose goal todo.md cannot quote (a journal from before goals were checked). */
function engineWithGoal(goal: string) {
  let todos: Todo[] = []
  const setCalls: Todo[][] = []
  const engine: Pick<MissionEngine, 'getMission' | 'setTodos'> = {
    getMission: (missionId) => (missionId === 'mission_1' ? ({ id: 'mission_1', goal, todos } as unknown as MissionSnapshot) : undefined),
    setTodos: (missionId, next) => {
      setCalls.push([...next])
      todos = [...next]
      return { id: missionId, goal, todos } as unknown as MissionSnapshot
    },
  }
  return { engine, setCalls }
}

describe('orchestrator_todo_write is atomic', () => {
  it('stores nothing when the plan cannot be written (the tool reports the failure)', async () => {
    const { engine, setCalls } = engineWithGoal('x'.repeat(100 * 1024))
    const storage = createMemoryStorage()
    const todos = createMissionTodos({ engine, storage, clock: { now: () => 0 }, ids: createSequentialIds(), logger: createLogger(() => undefined) })
    await expect(todos.writePlan('mission_1', [{ title: 'First step' }])).rejects.toThrow(/goal/)
    expect(setCalls).toEqual([])
    expect(await storage.read('missions/mission_1/todo.md')).toBeUndefined()
  })

  it('stores the plan when it can be written', async () => {
    const { engine, setCalls } = engineWithGoal('Build the API')
    const storage = createMemoryStorage()
    const todos = createMissionTodos({ engine, storage, clock: { now: () => 0 }, ids: createSequentialIds(), logger: createLogger(() => undefined) })
    await todos.writePlan('mission_1', [{ title: 'First step' }])
    expect(setCalls).toHaveLength(1)
    expect(await storage.read('missions/mission_1/todo.md')).toContain('> Build the API')
  })
})
