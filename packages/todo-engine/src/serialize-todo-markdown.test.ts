import { OrchestratorError, type Todo } from '@opencode-orchestrator/core'
import { describe, expect, it } from 'vitest'
import { serializeTodoMarkdown } from './serialize-todo-markdown'

const T0 = Date.UTC(2025, 0, 31, 12, 0, 0)

const todos: Todo[] = [
  {
    id: 't1',
    title: 'Create the users table',
    status: 'done',
    dependsOn: [],
    assignee: { agent: 'worker', sessionId: 'ses_2' },
    evidence: { summary: 'ran `pnpm test db`: 6 passed\nread migrations/001_users.sql', reviewerSessionId: 'ses_9', recordedAt: T0 + 60_000 },
    createdAt: T0,
    updatedAt: T0 + 60_000,
  },
  { id: 't2', title: 'Login route', status: 'failed', dependsOn: ['t1'], note: 'bcrypt does not build on this machine', createdAt: T0, updatedAt: T0 },
]

describe('serializeTodoMarkdown', () => {
  it('writes the documented format', () => {
    expect(serializeTodoMarkdown(todos, { goal: 'Build a REST API\n\nwith authentication' })).toBe(
      [
        '# Mission',
        '',
        '> Build a REST API',
        '>',
        '> with authentication',
        '',
        '<!-- todo.md: [ ] pending, [~] in progress, [x] done, [!] failed, [?] blocked, [-] cancelled. Edit titles, order, notes and the markers of open todos freely; only the Reviewer marks [x] done, and verified todos stay as they are; keep each "id:" comment. A line without one becomes a new todo. -->',
        '',
        '## Todos',
        '',
        '- [x] Create the users table <!-- id:t1 agent:worker session:ses_2 created:2025-01-31T12:00:00.000Z updated:2025-01-31T12:01:00.000Z -->',
        '  - evidence: ran `pnpm test db`: 6 passed <!-- by:ses_9 at:2025-01-31T12:01:00.000Z -->',
        '    read migrations/001_users.sql',
        '- [!] Login route <!-- id:t2 deps:t1 created:2025-01-31T12:00:00.000Z updated:2025-01-31T12:00:00.000Z -->',
        '  - note: bcrypt does not build on this machine',
        '',
      ].join('\n'),
    )
  })

  it('writes an empty list and no goal', () => {
    const text = serializeTodoMarkdown([])
    expect(text.endsWith('## Todos\n\n')).toBe(true)
    expect(text.split('\n').filter((line) => line.startsWith('>'))).toEqual([])
  })

  it('refuses a title with a line break instead of writing a file it could not read back', () => {
    const bad = [{ ...todos[1]!, dependsOn: [], title: 'two\nlines' }]
    expect(() => serializeTodoMarkdown(bad)).toThrowError(/todo t2, title: must be a single line/)
    try {
      serializeTodoMarkdown(bad)
    } catch (error) {
      expect(OrchestratorError.hasCode(error, 'todo-invalid')).toBe(true)
    }
  })

  it('refuses a goal that is not canonical text', () => {
    expect(() => serializeTodoMarkdown([], { goal: 'trailing space \nx' })).toThrowError(/goal is not in canonical form/)
  })

  it('refuses an invalid graph', () => {
    expect(() => serializeTodoMarkdown([{ ...todos[1]!, dependsOn: ['t7'] }])).toThrowError(/t2 depends on t7/)
  })
})
