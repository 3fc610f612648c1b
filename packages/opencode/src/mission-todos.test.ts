import { describe, expect, it } from 'vitest'
import {
  MISSION_JOURNAL_VERSION,
  createLogger,
  createMemoryStorage,
  createSequentialIds,
  type MissionEngine,
  type MissionRecord,
  type Todo,
} from '@opencode-orchestrator/core'
import { parseTodoMarkdown, serializeTodoMarkdown } from '@opencode-orchestrator/todo-engine'
import { createMissionTodos } from './mission-todos'

/** The two engine calls mission todos make; anything else is not expected here. */
function fakeEngine(record: MissionRecord): MissionEngine {
  const engine: Partial<MissionEngine> = {
    getMission: (missionId) => (missionId === record.id ? structuredClone(record) : undefined),
    setTodos: (_missionId, todos) => {
      record.todos = structuredClone([...todos])
      return structuredClone(record)
    },
  }
  return new Proxy(engine as MissionEngine, {
    get(target, key) {
      const value = target[key as keyof MissionEngine]
      if (value === undefined) throw new Error(`fake engine: ${String(key)} was not expected`)
      return value
    },
  })
}

function missionRecord(): MissionRecord {
  return {
    version: MISSION_JOURNAL_VERSION,
    id: 'm1',
    rootSessionId: 'root',
    goal: 'Ship it',
    state: 'dispatching',
    createdAt: 0,
    updatedAt: 0,
    generation: 0,
    budgets: { maxIterations: 20, maxWallTimeMs: 1e6, maxChildSessions: 10, maxDepth: 2, maxBreadth: 5, maxTokens: 0, maxCostUsd: 0 },
    counters: { iterations: 0, idleTurnsWithoutProgress: 0, childSessions: 0, tokens: 0, costUsd: 0 },
    progressKey: '',
    todos: [],
    tasks: [],
    sessions: [],
    pendingWakes: {},
  }
}

function setup() {
  const record = missionRecord()
  const storage = createMemoryStorage()
  const notices: string[] = []
  let now = 1_000
  const todos = createMissionTodos({
    engine: fakeEngine(record),
    storage,
    clock: { now: () => now },
    ids: createSequentialIds(),
    logger: createLogger(() => undefined),
    notify: ({ message }) => notices.push(message),
    displayPath: (path) => `.opencode/orchestrator/${path}`,
  })
  const file = todos.pathOf('m1')
  /** A person (or an agent behind the plugin's back) writes todo.md directly. */
  const personWrites = (text: string) => storage.write(file, text)
  const fileText = async () => (await storage.read(file)) ?? ''
  return { record, storage, notices, todos, file, personWrites, fileText, tick: () => (now += 1_000) }
}

/** A plan of three todos, t1 verified by a Reviewer session. */
async function planWithOneVerified(context: ReturnType<typeof setup>) {
  await context.todos.writePlan('m1', [{ title: 'Schema' }, { title: 'Routes', dependsOn: ['t1'] }, { title: 'Docs' }])
  await context.todos.update('m1', { id: 't1', status: 'in_progress' }, { agent: 'worker', sessionId: 'w1' })
  await context.todos.update('m1', { id: 't1', status: 'done', evidence: 'ran pnpm test: 3 passed' }, { agent: 'reviewer', sessionId: 'rev1' })
}

const statusOf = (todos: readonly Todo[], id: string) => todos.find((todo) => todo.id === id)?.status

describe('mission todos: a person edit of todo.md cannot forge a verification (issue 18 #3)', () => {
  it('a todo marked [x] with its own evidence in the file stays unverified, and the person is told', async () => {
    const context = setup()
    await planWithOneVerified(context)
    const forged = (await context.fileText())
      .replace(/- \[ \] Routes(.*)/, '- [x] Routes$1\n  - evidence: I checked it myself <!-- by:rev1 -->')
      .replace(/- \[ \] Docs(.*)/, '- [x] Docs$1\n  - evidence: looks fine')
    expect(forged).toContain('[x] Routes')
    await context.personWrites(forged)

    const { todos } = await context.todos.read('m1')
    expect(todos.map((todo) => [todo.id, todo.status, todo.evidence?.summary])).toEqual([
      ['t1', 'done', 'ran pnpm test: 3 passed'],
      ['t2', 'pending', undefined],
      ['t3', 'pending', undefined],
    ])
    expect(context.record.todos.filter((todo) => todo.status === 'done').map((todo) => todo.id)).toEqual(['t1'])
    // The file is rewritten from the journal: the forged marks are gone for every reader.
    expect(parseTodoMarkdown(await context.fileText(), { now: 0 }).todos.map((todo) => todo.status)).toEqual(['done', 'pending', 'pending'])
    expect(context.notices.join('\n')).toMatch(/t2 is marked done in todo\.md, but only the Reviewer's verdict marks a todo done/)
  })

  it('keeps a verified todo as verified when the file un-checks, rewords or removes it', async () => {
    const context = setup()
    await planWithOneVerified(context)
    const text = (await context.fileText()).replace('- [x] Schema', '- [ ] Schema v2')
    await context.personWrites(text)
    let todos = (await context.todos.read('m1')).todos
    expect(todos.find((todo) => todo.id === 't1')).toMatchObject({ title: 'Schema', status: 'done', evidence: { summary: 'ran pnpm test: 3 passed', reviewerSessionId: 'rev1' } })

    // Removing the verified todo (and the dependency on it) keeps it.
    const withoutT1 = serializeTodoMarkdown(
      context.record.todos.filter((todo) => todo.id !== 't1').map((todo) => ({ ...todo, dependsOn: [] })),
      { goal: 'Ship it' },
    )
    await context.personWrites(withoutT1)
    todos = (await context.todos.read('m1')).todos
    expect(todos.map((todo) => todo.id).sort()).toEqual(['t1', 't2', 't3'])
    expect(statusOf(todos, 't1')).toBe('done')
    expect(context.notices.at(-1)).toContain('t1 is verified by the Reviewer and cannot be removed through todo.md')
  })

  it('takes what a person may do: add, reword, reorder and re-link open todos', async () => {
    const context = setup()
    await planWithOneVerified(context)
    const reordered = [
      '# Mission',
      '',
      '- [ ] Docs, reworded <!-- id:t3 -->',
      '- [x] Schema <!-- id:t1 -->',
      '  - evidence: ran pnpm test: 3 passed <!-- by:rev1 -->',
      '- [ ] Routes <!-- id:t2 deps:t1,t3 -->',
      '- [ ] A new todo',
      '',
    ].join('\n')
    await context.personWrites(reordered)
    const { todos } = await context.todos.read('m1')
    expect(todos.map((todo) => [todo.id, todo.title, todo.status, todo.dependsOn])).toEqual([
      ['t3', 'Docs, reworded', 'pending', []],
      ['t1', 'Schema', 'done', []],
      ['t2', 'Routes', 'pending', ['t1', 't3']],
      ['t4', 'A new todo', 'pending', []],
    ])
    expect(context.notices).toEqual([])
  })
})

describe('mission todos: a wiped or broken todo.md never destroys journaled state (issue 18 #8)', () => {
  it('an emptied todo.md keeps the plan, verified todos included, and says where the file went', async () => {
    const context = setup()
    await planWithOneVerified(context)
    const before = structuredClone(context.record.todos)
    await context.personWrites('')
    const { todos } = await context.todos.read('m1')
    expect(todos).toEqual(before)
    expect(context.record.todos).toEqual(before)
    expect(parseTodoMarkdown(await context.fileText(), { now: 0 }).todos).toHaveLength(3)
    const files = Object.keys(context.storage.files())
    const aside = files.find((path) => path.startsWith('missions/m1/todo.md.emptied-'))
    expect(aside).toBeDefined()
    expect(context.notices.at(-1)).toContain(`.opencode/orchestrator/${aside}`)
    expect(context.notices.at(-1)).toContain('has no todos left')
  })

  it("a broken todo.md is set aside with a notice, and agents' updates, the Reviewer's verdict too, keep working", async () => {
    const context = setup()
    await planWithOneVerified(context)
    await context.todos.update('m1', { id: 't2', status: 'in_progress' }, { agent: 'worker', sessionId: 'w2' })
    const broken = `${await context.fileText()}\nthis line is not markdown the orchestrator reads\n- [?] what marker is this\n`
    await context.personWrites(broken)

    const verdict = await context.todos.update('m1', { id: 't2', status: 'done', evidence: 'curl /routes → 200' }, { agent: 'reviewer', sessionId: 'rev1' })
    expect(verdict).toMatchObject({ id: 't2', status: 'done', evidence: { summary: 'curl /routes → 200' } })
    expect(statusOf(context.record.todos, 't1')).toBe('done')
    const aside = Object.keys(context.storage.files()).find((path) => path.startsWith('missions/m1/todo.md.broken-'))
    expect(aside).toBeDefined()
    expect(await context.storage.read(aside!)).toBe(broken)
    expect(context.notices).toHaveLength(1)
    expect(context.notices[0]).toContain('could not be read')
    expect(context.notices[0]).toContain(`moved to .opencode/orchestrator/${aside}`)
    // The rewritten file is the journal's plan, readable again.
    expect(parseTodoMarkdown(await context.fileText(), { now: 0 }).todos.map((todo) => todo.status)).toEqual(['done', 'done', 'pending'])
  })
})
