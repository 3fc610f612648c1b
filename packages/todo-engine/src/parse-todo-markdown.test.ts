import { readFileSync } from 'node:fs'
import { OrchestratorError, createSequentialIds, type Todo } from '@opencode-orchestrator/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseTodoMarkdown } from './parse-todo-markdown'
import { serializeTodoMarkdown } from './serialize-todo-markdown'
import { multilineArbitrary, todoListArbitrary } from './todo-arbitraries.test-support'

const NOW = Date.UTC(2025, 5, 1)
const parse = (text: string) => parseTodoMarkdown(text, { now: NOW })

/** The thrown `todo-markdown` error, for assertions on its message and details. */
function parseError(text: string): OrchestratorError {
  try {
    parse(text)
  } catch (error) {
    if (OrchestratorError.hasCode(error, 'todo-markdown')) return error
    throw error
  }
  throw new Error('expected parseTodoMarkdown to throw')
}

const base: Todo[] = [
  { id: 't1', title: 'Schema', status: 'done', dependsOn: [], evidence: { summary: 'tests pass', recordedAt: NOW - 10 }, createdAt: NOW - 100, updatedAt: NOW - 10 },
  { id: 't2', title: 'Routes', status: 'in_progress', dependsOn: ['t1'], assignee: { agent: 'worker' }, createdAt: NOW - 100, updatedAt: NOW - 50 },
  { id: 't3', title: 'Docs', status: 'pending', dependsOn: ['t1', 't2'], createdAt: NOW - 100, updatedAt: NOW - 100 },
]

describe('parseTodoMarkdown', () => {
  it('round-trips random lists: parse(serialize(x)) equals x', () => {
    fc.assert(
      fc.property(todoListArbitrary(), fc.option(multilineArbitrary, { nil: undefined }), (todos, goal) => {
        const text = serializeTodoMarkdown(todos, goal === undefined ? {} : { goal })
        const parsed = parse(text)
        expect(parsed.todos).toStrictEqual(todos)
        expect(parsed.goal).toBe(goal)
        expect(parsed.assignedIds).toEqual([])
      }),
      { numRuns: 200 },
    )
  })

  it('keeps ids when a person edits titles, markers and the order', () => {
    const text = serializeTodoMarkdown(base, { goal: 'API' })
    const lines = text.split('\n')
    const first = lines.findIndex((line) => line.includes('id:t1'))
    const third = lines.findIndex((line) => line.includes('id:t3'))
    lines[third] = lines[third]!.replace('Docs', 'Write the README').replace('[ ]', '[-]')
    // Move t3 above t1 (t1 has an evidence sub-line that must travel with it).
    const [moved] = lines.splice(third, 1)
    lines.splice(first, 0, moved!)
    const parsed = parse(lines.join('\n'))
    expect(parsed.todos.map((todo) => [todo.id, todo.title, todo.status])).toEqual([
      ['t3', 'Write the README', 'cancelled'],
      ['t1', 'Schema', 'done'],
      ['t2', 'Routes', 'in_progress'],
    ])
    expect(parsed.todos[1]?.evidence?.summary).toBe('tests pass')
  })

  it('gives a line without an id a new id above the highest one, and reports it', () => {
    const text = `${serializeTodoMarkdown(base)}- [ ] Deploy it\n- [ ] Announce it <!-- deps:t4 -->\n`
    const parsed = parse(text)
    expect(parsed.todos.slice(3).map((todo) => [todo.id, todo.title, todo.dependsOn, todo.createdAt])).toEqual([
      ['t4', 'Deploy it', [], NOW],
      ['t5', 'Announce it', ['t4'], NOW],
    ])
    const lines = text.split('\n')
    expect(parsed.assignedIds).toEqual([
      { line: lines.indexOf('- [ ] Deploy it') + 1, id: 't4' },
      { line: lines.indexOf('- [ ] Announce it <!-- deps:t4 -->') + 1, id: 't5' },
    ])
  })

  it('uses an injected id generator for new lines', () => {
    const parsed = parseTodoMarkdown('- [ ] A\n- [ ] B\n', { now: NOW, ids: createSequentialIds() })
    expect(parsed.todos.map((todo) => todo.id)).toEqual(['t_1', 't_2'])
  })

  it('reads a minimal hand-written file', () => {
    const parsed = parse('# Plan\n\n> Ship it\n\n* [x] Build <!-- id:b -->\n  - evidence: I ran it myself\n+ [X] Test <!-- id:c deps:b -->\n  - Evidence: green\n- [?] Deploy\n  - note: waiting for credentials\n')
    expect(parsed.goal).toBe('Ship it')
    expect(parsed.todos.map((todo) => [todo.id, todo.status, todo.evidence?.summary ?? todo.note])).toEqual([
      ['b', 'done', 'I ran it myself'],
      ['c', 'done', 'green'],
      ['t1', 'blocked', 'waiting for credentials'],
    ])
    expect(parsed.todos[0]?.evidence?.recordedAt).toBe(NOW)
  })

  it('reads CRLF files, a byte order mark and multi-line comments', () => {
    const parsed = parse('\uFEFF# Mission\r\n<!--\r\nnotes for people\r\n-->\r\n- [ ] A <!-- id:a -->\r\n  - note: one\r\n\r\n    two\r\n')
    expect(parsed.todos).toHaveLength(1)
    expect(parsed.todos[0]?.note).toBe('one\n\ntwo')
  })

  it('rejects an unknown marker with its line number and the markers it accepts', () => {
    const error = parseError('# Mission\n\n- [ ] A <!-- id:a -->\n- [*] B <!-- id:b -->\n')
    expect(error.message).toBe(
      'todo.md line 4: unknown marker "[*]"; use one of [ ] pending, [~] in progress, [x] done, [!] failed, [?] blocked, [-] cancelled',
    )
    expect(error.details['line']).toBe(4)
  })

  it('rejects malformed lines instead of skipping them', () => {
    expect(parseError('- [ ] A\nJust some prose\n').message).toMatch(/^todo\.md line 2: malformed line "Just some prose"; expected a todo line/)
    expect(parseError('- [ ] A\n- B\n').message).toMatch(/line 2: a list item without a checkbox; write "- \[ \] B"/)
    expect(parseError('- [ ]A\n').message).toMatch(/line 1: put a space between the marker/)
    expect(parseError('- [ ] <!-- id:t1 -->\n').message).toMatch(/line 1: the todo has no title/)
    expect(parseError('- [ ] A\n  - [ ] nested\n').message).toMatch(/line 2: nested todos are not supported/)
    expect(parseError('  - note: orphan\n').message).toMatch(/line 1: "note:" line without a todo line above it/)
    expect(parseError('- [ ] A\n## Later\n  - note: orphan\n').message).toMatch(/line 3: "note:" line without a todo line above it/)
    expect(parseError('- [ ] A\n  - owner: me\n').message).toMatch(/line 2: unknown sub-line/)
    expect(parseError('- [ ] A\n   stray indented text\n').message).toMatch(/line 2: indented text that does not continue a note/)
    expect(parseError('- [ ] A\n<!-- never closed\n').message).toMatch(/line 2: comment "<!--" is never closed/)
    expect(parseError('- [ ] A\n> late goal\n').message).toMatch(/line 2: a quoted goal line/)
    expect(parseError('- [ ] A\n  - note:\n').message).toMatch(/line 2: the note is empty/)
    expect(parseError('- [ ] A\n  - note: x\n  - note: y\n').message).toMatch(/line 3: second "note:" line for this todo \(first on line 2\)/)
  })

  it('rejects bad comment fields', () => {
    expect(parseError('- [ ] A <!-- id:t1 owner:me -->\n').message).toMatch(/line 1: "owner:me" in the comment is not a known field/)
    expect(parseError('- [ ] A <!-- id:t 1 -->\n').message).toMatch(/line 1: "1" in the comment is not a known field/)
    expect(parseError('- [ ] A <!-- id:a deps:b,,c -->\n- [ ] B <!-- id:b -->\n').message).toMatch(/empty id between commas/)
    expect(parseError('- [ ] A <!-- id:a created:2025-02-30T00:00:00.000Z -->\n').message).toMatch(/created:2025-02-30T00:00:00.000Z is not a timestamp/)
    expect(parseError('- [ ] A <!-- id:a id:b -->\n').message).toMatch(/"id:" appears twice/)
  })

  it('rejects duplicate ids naming both lines', () => {
    const error = parseError('- [ ] A <!-- id:t1 -->\n- [ ] B <!-- id:t2 -->\n- [ ] C <!-- id:t1 -->\n')
    expect(error.message).toBe('todo.md line 3: duplicate id t1 (also on line 1); give each todo its own id, or remove the id to get a new one')
  })

  it('rejects unknown dependencies and cycles with lines and the cycle path', () => {
    expect(parseError('- [ ] A <!-- id:t1 deps:t9 -->\n').message).toBe("todo.md line 1: t1 depends on t9, which is not in the file; fix or remove deps:")
    const cycle = parseError('- [ ] A <!-- id:t1 deps:t3 -->\n- [ ] B <!-- id:t2 -->\n- [ ] C <!-- id:t3 deps:t1 -->\n')
    expect(cycle.message).toBe('todo.md line 1: dependency cycle t1 → t3 → t1 (lines 1, 3); remove one of these deps')
  })

  it('rejects a done todo without evidence, pointing at the marker', () => {
    expect(parseError('- [ ] A <!-- id:a -->\n- [x] B <!-- id:b -->\n').message).toBe(
      'todo.md line 2: b is marked done ([x]) but has no evidence; add a line "  - evidence: what the Reviewer verified" below it, or change the marker',
    )
  })

  it('reports every problem of a file at once, in line order', () => {
    const error = parseError('- [*] A\nprose\n- [ ] C <!-- id:c deps:zz -->\n')
    expect(error.message.split('\n')).toEqual([
      'todo.md has 3 problems:',
      expect.stringMatching(/^line 1: unknown marker/),
      expect.stringMatching(/^line 2: malformed line/),
      expect.stringMatching(/^line 3: c depends on zz/),
    ])
    expect((error.details['problems'] as unknown[]).length).toBe(3)
  })

  it('parses the example in the README', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
    const example = /```markdown\n([\s\S]*?)```/.exec(readme)?.[1]
    expect(example).toBeDefined()
    const parsed = parse(example!)
    expect(parsed.goal).toBe('Build a REST API with authentication')
    expect(parsed.todos.map((todo) => `${todo.id}:${todo.status}`)).toEqual(['t1:done', 't2:in_progress', 't3:pending', 't4:failed', 't5:blocked', 't6:cancelled'])
    // The README example is exactly what the serializer writes.
    expect(serializeTodoMarkdown(parsed.todos, { goal: parsed.goal! })).toBe(example)
  })
})
