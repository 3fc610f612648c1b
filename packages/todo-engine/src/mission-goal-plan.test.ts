import { describe, expect, it } from 'vitest'
import { normalizeMissionGoal } from '@opencode-orchestrator/core'
import { parseTodoMarkdown } from './parse-todo-markdown'
import { serializeTodoMarkdown } from './serialize-todo-markdown'
import { createTodoList } from './todo-list'

/** Deterministic pseudo-random numbers (mulberry32). */
function random(seed: number) {
  let state = seed
  return () => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const PIECES = ['a', 'Build', ' ', '  ', '\t', '\n', '\r\n', '\r', '\u001b[31m', '\u001b[0m', '\u001b]0;title\u0007', '> ', '- [ ] ', '<!-- id:t1 -->', '#', '`', '!`touch x`', '$(rm -rf /)', 'é', '😀', '\u2028', '\u00a0', '\u200b']

describe('a goal the start accepts can always be planned', () => {
  const todos = createTodoList({ clock: { now: () => 0 } }).add([{ title: 'First step' }]).toArray()

  it.each([
    ['a pasted multi-line goal with trailing spaces', 'Build a REST API   \n  - with auth  \n\n  - and tests \t\n'],
    ['a goal with ANSI colour codes', '\u001b[1;32mAdd\u001b[0m a \u001b[4mslugify\u001b[24m module'],
    ['a goal at the length limit', 'y'.repeat(20_000)],
  ])('%s', (_name, raw) => {
    const checked = normalizeMissionGoal(raw)
    expect(checked.ok).toBe(true)
    if (!checked.ok) return
    const markdown = serializeTodoMarkdown(todos, { goal: checked.goal })
    expect(parseTodoMarkdown(markdown, { now: 0 }).goal).toBe(checked.goal)
  })

  it('holds for 2,000 random goals built from awkward pieces', () => {
    const next = random(7)
    let accepted = 0
    for (let run = 0; run < 2000; run++) {
      const length = 1 + Math.floor(next() * 30)
      let raw = ''
      for (let index = 0; index < length; index++) raw += PIECES[Math.floor(next() * PIECES.length)] ?? ''
      const checked = normalizeMissionGoal(raw)
      if (!checked.ok) continue
      accepted++
      const markdown = serializeTodoMarkdown(todos, { goal: checked.goal })
      expect(parseTodoMarkdown(markdown, { now: 0 }).goal, JSON.stringify(raw)).toBe(checked.goal)
    }
    expect(accepted).toBeGreaterThan(1500)
  })
})
