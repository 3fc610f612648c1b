import { OrchestratorError, errorMessage, type Clock, type IdGenerator, type Logger, type MissionEngine, type Storage, type Todo } from '@opencode-orchestrator/core'
import {
  adoptTodoEdits,
  applyTodoUpdate,
  parseTodoInputs,
  parseTodoMarkdown,
  parseTodoStatusUpdate,
  serializeTodoMarkdown,
  createTodoList,
  type TodoActor,
} from '@opencode-orchestrator/todo-engine'

export interface MissionTodos {
  /** The mission's todos, after adopting edits a person made to `todo.md`. */
  read(missionId: string): Promise<{ todos: Todo[]; markdown: string; ready: Todo[] }>
  /** Writes the plan (Planner): new todos are added, existing ids keep their status. */
  writePlan(missionId: string, input: unknown): Promise<Todo[]>
  /** Applies one status change by an agent. */
  update(missionId: string, input: unknown, actor: TodoActor): Promise<Todo>
  /** Marks todos as being worked on by a task (called when a Worker is delegated). */
  assign(missionId: string, todoIds: readonly string[], assignee: { agent: string; sessionId?: string }): Promise<void>
  /** Path of the mission's `todo.md` inside the storage root. */
  pathOf(missionId: string): string
}

export interface CreateMissionTodosOptions {
  engine: Pick<MissionEngine, 'getMission' | 'setTodos'>
  storage: Storage
  clock: Pick<Clock, 'now'>
  ids: IdGenerator
  logger: Logger
  /**
   * Tells the person about their todo.md: an edit that was set aside or only partly taken.
   * Default: the log only.
   */
  notify?: (notice: { missionId: string; message: string }) => void
  /** How a storage path is shown to the person, e.g. prefixed with the mission folder. Default: as is. */
  displayPath?: (path: string) => string
}

/**
 * Todo operations of the agents' tools, backed by todo-engine and kept in
 * three places at once: the engine (the loop's truth), the journal (through the
 * engine) and `todo.md`, which a person can read and edit.
 */
export function createMissionTodos({ engine, storage, clock, logger, notify, displayPath = (path) => path }: CreateMissionTodosOptions): MissionTodos {
  /** Last markdown we wrote per mission: anything else in the file is a person's edit. */
  const written = new Map<string, string>()
  /** Read-modify-write chains per mission: parallel tool calls (a Reviewer verifying three todos at once) must not lose updates. */
  const chains = new Map<string, Promise<unknown>>()
  const exclusive = <T>(missionId: string, work: () => Promise<T>): Promise<T> => {
    const previous = chains.get(missionId) ?? Promise.resolve()
    const next = previous.then(work, work)
    const settled = next.catch(() => undefined)
    chains.set(missionId, settled)
    void settled.then(() => {
      if (chains.get(missionId) === settled) chains.delete(missionId)
    })
    return next
  }
  const pathOf = (missionId: string) => `missions/${missionId}/todo.md`

  const missionOf = (missionId: string) => {
    const mission = engine.getMission(missionId)
    if (!mission) throw new OrchestratorError({ code: 'mission-not-found', message: `No mission with id '${missionId}'.`, details: { missionId } })
    return mission
  }

  const listOf = (todos: readonly Todo[]) => createTodoList({ clock, todos })

  const save = async (missionId: string, todos: readonly Todo[]) => {
    // Render first: a plan todo.md cannot hold must fail before the engine stores it (the tool reports the failure).
    serializeTodoMarkdown(todos, { goal: missionOf(missionId).goal })
    const mission = engine.setTodos(missionId, todos)
    const markdown = serializeTodoMarkdown(mission.todos, { goal: mission.goal })
    written.set(missionId, markdown)
    await storage.write(pathOf(missionId), markdown)
    return mission.todos
  }

  const tell = (missionId: string, message: string) => {
    logger.log('warn', message, { missionId })
    try {
      notify?.({ missionId, message })
    } catch (error) {
      logger.log('error', 'could not tell the person about todo.md', { missionId, error: errorMessage(error) })
    }
  }

  /**
   * A todo.md that cannot be taken (unreadable, emptied, or a plan that does not hold together)
   * is moved aside for the person, like a corrupt journal, and the journal's plan is written
   * back: agents keep working on the journal, which never loses state through todo.md.
   */
  const setAside = async (missionId: string, why: string, kind: 'broken' | 'emptied'): Promise<Todo[]> => {
    const mission = missionOf(missionId)
    const file = pathOf(missionId)
    const aside = `${file}.${kind}-${clock.now()}`
    let moved = true
    try {
      await storage.rename(file, aside)
    } catch (error) {
      moved = false
      logger.log('error', 'could not move todo.md aside', { missionId, error: errorMessage(error) })
    }
    await save(missionId, mission.todos)
    const where = moved ? `It was moved to ${displayPath(aside)}; ` : 'It could not be moved aside and was overwritten; '
    tell(
      missionId,
      `todo.md of mission ${missionId} ${why}. ${where}the plan from the mission journal (${mission.todos.length} todos) was written back to ${displayPath(file)}. Agents keep working; redo your edit there.`,
    )
    return [...mission.todos]
  }

  /** Adopts a person's edits of todo.md; verification stays the Reviewer's (see adoptTodoEdits). */
  const current = async (missionId: string): Promise<Todo[]> => {
    const mission = missionOf(missionId)
    const text = await storage.read(pathOf(missionId))
    if (text === undefined || text === written.get(missionId)) return [...mission.todos]
    if (!written.has(missionId) && mission.todos.length > 0) {
      // First read after a restart: the file is ours unless it differs from the journal.
      const ours = serializeTodoMarkdown(mission.todos, { goal: mission.goal })
      if (ours === text) {
        written.set(missionId, text)
        return [...mission.todos]
      }
    }
    logger.log('debug', 'todo.md differs from what was written', { missionId, written: written.get(missionId)?.length, found: text.length })
    let parsed: ReturnType<typeof parseTodoMarkdown>
    try {
      parsed = parseTodoMarkdown(text, { now: clock.now() })
    } catch (error) {
      if (!OrchestratorError.hasCode(error, 'todo-markdown')) throw error
      return setAside(missionId, `could not be read (${error.message.slice(0, 400)})`, 'broken')
    }
    const adopted = adoptTodoEdits(mission.todos, parsed.todos)
    if (adopted.wiped) return setAside(missionId, 'has no todos left; an emptied todo.md never removes the plan', 'emptied')
    try {
      listOf(adopted.todos)
    } catch (error) {
      if (!OrchestratorError.isInstance(error)) throw error
      return setAside(missionId, `does not fit the verified plan (${error.message.slice(0, 400)})`, 'broken')
    }
    logger.log('info', 'adopted edits of todo.md', { missionId, todos: adopted.todos.length, newIds: parsed.assignedIds, refused: adopted.refused })
    const saved = await save(missionId, adopted.todos)
    if (adopted.refused.length > 0) {
      tell(missionId, `Your edit of todo.md (mission ${missionId}) was taken, except: ${adopted.refused.slice(0, 5).join(' ')}${adopted.refused.length > 5 ? ` (and ${adopted.refused.length - 5} more)` : ''}`)
    }
    return saved
  }

  return {
    pathOf,
    read(missionId) {
      return exclusive(missionId, async () => {
      const todos = await current(missionId)
      const markdown = todos.length > 0 ? serializeTodoMarkdown(todos, { goal: missionOf(missionId).goal }) : '(no todos yet)'
      return { todos, markdown, ready: todos.length > 0 ? listOf(todos).ready() : [] }
      })
    },
    writePlan(missionId, input) {
      const inputs = parseTodoInputs(input)
      return exclusive(missionId, async () => {
        const todos = await current(missionId)
        const list = todos.length === 0 ? listOf([]).add(inputs) : listOf(todos).replan(inputs)
        return save(missionId, list.toArray())
      })
    },
    update(missionId, input, actor) {
      const update = parseTodoStatusUpdate(input)
      return exclusive(missionId, async () => {
        const list = applyTodoUpdate(listOf(await current(missionId)), update, actor)
        const saved = await save(missionId, list.toArray())
        const todo = saved.find((item) => item.id === update.id)
        if (!todo) throw new OrchestratorError({ code: 'todo-invalid', message: `Todo ${update.id} vanished while it was updated.` })
        return todo
      })
    },
    async assign(missionId, todoIds, assignee) {
      if (todoIds.length === 0) return
      await exclusive(missionId, async () => {
        let list = listOf(await current(missionId))
        for (const id of todoIds) {
          const todo = list.require(id)
          if (todo.status === 'pending' || todo.status === 'blocked' || todo.status === 'failed') {
            list = list.setStatus(id, 'in_progress', { assignee })
          }
        }
        await save(missionId, list.toArray())
      })
    },
  }
}
