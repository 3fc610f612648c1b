/**
 * fast-check arbitraries shared by the property tests. Not exported from the
 * package and not part of the build (tsup bundles from index.ts only).
 */
import type { ContinuationInput, Todo, TodoStatus } from '@opencode-orchestrator/core'
import { TODO_STATUSES } from '@opencode-orchestrator/core'
import fc from 'fast-check'
import { normalizeTodoText } from './todo-text'

/** Characters that stress the markdown format: markers, comment fences, escapes, unicode. */
const TRICKY = ['-', '[', ']', 'x', '!', '?', '~', '<', '>', '!--', '-->', '<!--', '#', '*', '`', '\\', ':', ',', ' ', '  ', '\t', 'é', '日本', '🚀', '👩‍💻', 'id:t1', 'deps:', '- [ ] ', '> ']

const trickyText = fc.array(fc.oneof(fc.constantFrom(...TRICKY), fc.string({ unit: 'grapheme', maxLength: 4 })), { maxLength: 12 }).map((parts) => parts.join(''))

/** Valid single-line titles (control characters removed, trimmed, never empty). */
export const titleArbitrary = trickyText.map((text) => {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029]|\p{Surrogate}/gu, '').trim()
  return clean.length > 0 ? clean : 'untitled'
})

/** Valid multi-line texts (notes, evidence, goals), in canonical form and never empty. */
export const multilineArbitrary = fc.array(fc.oneof(trickyText, fc.constant(''), fc.constantFrom('    indented', '- [x] looks like a todo', '  - note: looks like a note', '<!-- comment -->', '> quote')), { minLength: 1, maxLength: 5 }).map((lines) => {
  // eslint-disable-next-line no-control-regex
  const text = normalizeTodoText(lines.join('\n').replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]|\p{Surrogate}/gu, ''))
  return text.length > 0 ? text : 'checked'
})

const tokenArbitrary = fc.stringMatching(/^[A-Za-z0-9_.:@/+-]{1,12}$/)
const timestampArbitrary = fc.integer({ min: 0, max: 253_402_300_799_999 })

/**
 * Valid todo lists in canonical form: unique ids, dependencies only on earlier todos
 * (so the graph is acyclic), done todos always carry evidence.
 */
export function todoListArbitrary(options: { maxLength?: number; statuses?: readonly TodoStatus[]; plainText?: boolean } = {}): fc.Arbitrary<Todo[]> {
  const statuses = options.statuses ?? TODO_STATUSES
  // The policy ignores texts: plain ones keep its property tests fast.
  const title = options.plainText ? fc.constant('work') : titleArbitrary
  const text = options.plainText ? fc.constant('checked') : multilineArbitrary
  return fc
    .uniqueArray(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,8}$/), { maxLength: options.maxLength ?? 12 })
    .chain((ids) =>
      fc.tuple(
        ...ids.map((id, index) =>
          fc
            .record(
              {
                title,
                status: fc.constantFrom(...statuses),
                dependsOn: fc.subarray(ids.slice(0, index)),
                agent: fc.option(tokenArbitrary, { nil: undefined }),
                sessionId: fc.option(tokenArbitrary, { nil: undefined }),
                note: fc.option(text, { nil: undefined }),
                evidence: fc.option(fc.record({ summary: text, reviewerSessionId: fc.option(tokenArbitrary, { nil: undefined }), recordedAt: timestampArbitrary }), { nil: undefined }),
                createdAt: timestampArbitrary,
                updatedAt: timestampArbitrary,
                doneEvidence: fc.record({ summary: text, recordedAt: timestampArbitrary }),
              },
              { requiredKeys: ['title', 'status', 'dependsOn', 'createdAt', 'updatedAt', 'doneEvidence'] },
            )
            .map((fields): Todo => {
              const todo: Todo = { id, title: fields.title, status: fields.status, dependsOn: fields.dependsOn, createdAt: fields.createdAt, updatedAt: fields.updatedAt }
              if (fields.agent !== undefined || fields.sessionId !== undefined) {
                todo.assignee = { ...(fields.agent !== undefined ? { agent: fields.agent } : {}), ...(fields.sessionId !== undefined ? { sessionId: fields.sessionId } : {}) }
              }
              if (fields.note !== undefined) todo.note = fields.note
              const evidence: { summary: string; recordedAt: number; reviewerSessionId?: string } | undefined = fields.evidence ?? (fields.status === 'done' ? fields.doneEvidence : undefined)
              if (evidence) {
                todo.evidence = { summary: evidence.summary, recordedAt: evidence.recordedAt, ...(evidence.reviewerSessionId !== undefined ? { reviewerSessionId: evidence.reviewerSessionId } : {}) }
              }
              return todo
            }),
        ),
      ),
    )
}

/** Mostly `usual`, sometimes anything: each rule of the policy fires in some runs and not in most. */
function usually<T>(usual: T, other: fc.Arbitrary<T>): fc.Arbitrary<T> {
  return fc.oneof({ arbitrary: fc.constant(usual), weight: 4 }, { arbitrary: other, weight: 1 })
}

/** Random continuation inputs over a random todo list; every decision type shows up often. */
export function continuationInputArbitrary(): fc.Arbitrary<ContinuationInput> {
  return fc
    .record({
      state: usually<ContinuationInput['state']>('waiting', fc.constantFrom('planning', 'dispatching', 'reviewing', 'sealed', 'stopped', 'failed')),
      todos: fc.oneof(
        { arbitrary: todoListArbitrary({ maxLength: 6, plainText: true }), weight: 3 },
        { arbitrary: todoListArbitrary({ maxLength: 6, statuses: ['done'], plainText: true }), weight: 1 },
        { arbitrary: todoListArbitrary({ maxLength: 4, statuses: ['done', 'cancelled'], plainText: true }), weight: 1 },
      ),
      now: fc.integer({ min: 0, max: 10_000_000 }),
      limits: fc.record({ maxIterations: fc.oneof({ arbitrary: fc.integer({ min: 8, max: 30 }), weight: 3 }, { arbitrary: fc.integer({ min: 0, max: 30 }), weight: 1 }), stagnationTurns: fc.integer({ min: 1, max: 5 }), cooldownMs: fc.integer({ min: 0, max: 5000 }) }),
      iterations: fc.oneof({ arbitrary: fc.integer({ min: 0, max: 7 }), weight: 3 }, { arbitrary: fc.integer({ min: 0, max: 35 }), weight: 1 }),
      idleTurnsWithoutProgress: usually(0, fc.integer({ min: 0, max: 6 })),
      /** How long ago the last continuation was, if there was one. */
      sinceLast: fc.option(fc.oneof(fc.integer({ min: 0, max: 6000 }), fc.integer({ min: -1000, max: 0 })), { nil: undefined }),
      activity: fc.record({
        runningTasks: usually(0, fc.integer({ min: 0, max: 3 })),
        queuedTasks: usually(0, fc.integer({ min: 0, max: 3 })),
        runningBackground: usually(0, fc.integer({ min: 0, max: 2 })),
        rootBusy: usually(false, fc.boolean()),
      }),
      recent: fc.record({ userMessage: usually(false, fc.boolean()), cancelled: usually(false, fc.boolean()), progress: fc.option(fc.boolean(), { nil: undefined }) }),
    })
    .map(({ iterations, idleTurnsWithoutProgress, sinceLast, recent: { progress, ...recent }, ...rest }) => ({
      ...rest,
      recent: { ...recent, ...(progress !== undefined ? { progress } : {}) },
      counters: { iterations, idleTurnsWithoutProgress, ...(sinceLast !== undefined ? { lastContinuationAt: Math.max(0, rest.now - sinceLast) } : {}) },
    }))
}
