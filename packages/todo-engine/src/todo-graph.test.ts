import { OrchestratorError, type Todo, type TodoStatus } from '@opencode-orchestrator/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { todoListArbitrary } from './todo-arbitraries.test-support'
import { blockedBy, findCycle, ready, topologicalOrder, validateGraph } from './todo-graph'

function todo(id: string, dependsOn: string[] = [], status: TodoStatus = 'pending'): Todo {
  return { id, title: id, status, dependsOn, createdAt: 0, updatedAt: 0, ...(status === 'done' ? { evidence: { summary: 'ok', recordedAt: 0 } } : {}) }
}

function thrown(run: () => unknown): OrchestratorError {
  try {
    run()
  } catch (error) {
    if (OrchestratorError.isInstance(error)) return error
    throw error
  }
  throw new Error('expected an OrchestratorError')
}

/**
 * Reference for cycle detection that shares nothing with `findCycle` or `topologicalOrder`:
 * Warshall's transitive closure over the dependency edges (ids without a todo are ignored,
 * as `findCycle` documents); a graph has a cycle exactly when some node reaches itself.
 */
function hasCycleByClosure(graph: ReadonlyArray<{ id: string; dependsOn: readonly string[] }>): boolean {
  const index = new Map(graph.map((node, position) => [node.id, position]))
  const reach = graph.map((node) => graph.map((other) => node.dependsOn.includes(other.id) && index.has(other.id)))
  for (let via = 0; via < graph.length; via++) {
    for (let from = 0; from < graph.length; from++) {
      if (!reach[from]![via]) continue
      for (let to = 0; to < graph.length; to++) if (reach[via]![to]) reach[from]![to] = true
    }
  }
  return graph.some((_, position) => reach[position]![position])
}

describe('validateGraph', () => {
  it('accepts an acyclic graph', () => {
    expect(() => validateGraph([todo('t1'), todo('t2', ['t1']), todo('t3', ['t1', 't2'])])).not.toThrow()
  })

  it('names every todo with unknown dependencies and the ids it misses', () => {
    const error = thrown(() => validateGraph([todo('t1', ['t9']), todo('t2', ['t1', 't8', 't7'])]))
    expect(error.code).toBe('todo-unknown-dependency')
    expect(error.message).toBe(
      'Unknown dependency ids: t1 depends on t9; t2 depends on t8 and t7. Known ids: t1, t2. Depend only on todos in the list, or add the missing todos.',
    )
    expect(error.details['unknown']).toEqual([
      { id: 't1', missing: ['t9'] },
      { id: 't2', missing: ['t8', 't7'] },
    ])
  })

  it('shows a cycle as a path', () => {
    const error = thrown(() => validateGraph([todo('t1', ['t3']), todo('t2'), todo('t3', ['t1'])]))
    expect(error.code).toBe('todo-cycle')
    expect(error.message).toContain('t1 → t3 → t1')
    expect(error.details['cycle']).toEqual(['t1', 't3', 't1'])
  })

  it('reports a self-dependency as a cycle of one', () => {
    expect(thrown(() => validateGraph([todo('t1', ['t1'])])).message).toContain('t1 → t1')
  })

  it('finds a cycle behind an acyclic prefix', () => {
    expect(findCycle([todo('a', ['b']), todo('b', ['c']), todo('c', ['d']), todo('d', ['b'])])).toEqual(['b', 'c', 'd', 'b'])
  })

  it('rejects repeated ids', () => {
    const error = thrown(() => validateGraph([todo('t1'), todo('t1')]))
    expect(error.code).toBe('todo-invalid')
    expect(error.message).toContain('t1')
  })

  it('handles a long chain without overflowing the stack', () => {
    const chain = Array.from({ length: 20_000 }, (_, index) => todo(`t${index}`, index > 0 ? [`t${index - 1}`] : []))
    expect(findCycle(chain)).toBeUndefined()
    chain[0] = todo('t0', ['t19999'])
    expect(findCycle(chain)).toHaveLength(20_001)
  })

  it('finds a cycle exactly when a random graph with back edges has one', () => {
    fc.assert(
      fc.property(todoListArbitrary({ maxLength: 8, plainText: true }), fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 3 }), (todos, extra) => {
        if (todos.length === 0) return
        const graph = todos.map((item) => ({ id: item.id, dependsOn: [...item.dependsOn] }))
        for (const [from, to] of extra) {
          const source = graph[from % graph.length]!
          const target = graph[to % graph.length]!.id
          if (!source.dependsOn.includes(target)) source.dependsOn.push(target)
        }
        const cycle = findCycle(graph)
        // Independent of the code under test: a node on a cycle reaches itself (transitive closure).
        expect(cycle !== undefined).toBe(hasCycleByClosure(graph))
        if (cycle) {
          // Every step of the reported path is a real dependency edge.
          for (let index = 0; index + 1 < cycle.length; index++) {
            expect(graph.find((node) => node.id === cycle[index])!.dependsOn).toContain(cycle[index + 1])
          }
          expect(cycle[0]).toBe(cycle.at(-1))
        }
      }),
      { numRuns: 150 },
    )
  })
})

describe('ready', () => {
  it('returns pending todos whose dependencies are all done, in list order', () => {
    const todos = [todo('a', [], 'done'), todo('b', ['a']), todo('c', ['a', 'b']), todo('d'), todo('e', ['a'], 'in_progress'), todo('f', ['a'], 'failed')]
    expect(ready(todos).map((item) => item.id)).toEqual(['b', 'd'])
  })

  it('never returns a todo whose dependency is missing', () => {
    expect(ready([todo('a', ['ghost'])])).toEqual([])
  })

  it('returns exactly the pending todos with done dependencies (random lists)', () => {
    fc.assert(
      fc.property(todoListArbitrary({ plainText: true }), (todos) => {
        const done = new Set(todos.filter((item) => item.status === 'done').map((item) => item.id))
        const expected = todos.filter((item) => item.status === 'pending' && item.dependsOn.every((id) => done.has(id)))
        expect(ready(todos)).toEqual(expected)
      }),
      { numRuns: 150 },
    )
  })

  it('never hands out a todo before its dependencies are done while a plan is worked through', () => {
    fc.assert(
      fc.property(todoListArbitrary({ statuses: ['pending'], maxLength: 15, plainText: true }), fc.infiniteStream(fc.nat()), (plan, choices) => {
        let todos = plan.map((item) => ({ ...item }))
        const finished: string[] = []
        const pick = choices[Symbol.iterator]()
        for (let step = 0; step < plan.length; step++) {
          const candidates = ready(todos)
          // An acyclic plan always has work available until everything is done.
          expect(candidates.length).toBeGreaterThan(0)
          const chosen = candidates[(pick.next().value as number) % candidates.length]!
          for (const dependency of chosen.dependsOn) expect(finished).toContain(dependency)
          finished.push(chosen.id)
          todos = todos.map((item) => (item.id === chosen.id ? { ...item, status: 'done', evidence: { summary: 'ok', recordedAt: step } } : item))
        }
        expect(ready(todos)).toEqual([])
        expect(finished.sort()).toEqual(plan.map((item) => item.id).sort())
      }),
      { numRuns: 150 },
    )
  })
})

describe('blockedBy and topologicalOrder', () => {
  it('lists the dependencies that are not done', () => {
    const todos = [todo('a', [], 'done'), todo('b', [], 'failed'), todo('c', ['a', 'b', 'zz'])]
    expect(blockedBy(todos[2]!, todos)).toEqual(['b', 'zz'])
  })

  it('orders dependencies first and keeps list order among equals', () => {
    const todos = [todo('c', ['b']), todo('x'), todo('b', ['a']), todo('a')]
    expect(topologicalOrder(todos).map((item) => item.id)).toEqual(['x', 'a', 'b', 'c'])
  })

  it('puts every todo after its dependencies (random lists, shuffled)', () => {
    fc.assert(
      fc.property(todoListArbitrary({ plainText: true }).chain((todos) => fc.shuffledSubarray(todos, { minLength: todos.length, maxLength: todos.length })), (todos) => {
        const order = topologicalOrder(todos).map((item) => item.id)
        expect([...order].sort()).toEqual(todos.map((item) => item.id).sort())
        for (const item of todos) for (const dependency of item.dependsOn) expect(order.indexOf(dependency)).toBeLessThan(order.indexOf(item.id))
      }),
      { numRuns: 150 },
    )
  })
})
