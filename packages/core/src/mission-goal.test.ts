import { describe, expect, it } from 'vitest'
import { MISSION_GOAL_MAX_LENGTH, normalizeMissionGoal } from './mission-goal'

describe('normalizeMissionGoal', () => {
  it('removes terminal colour codes, carriage returns, trailing spaces and outer blank lines', () => {
    const pasted = '\n  \n\u001b[1;31mBuild\u001b[0m a REST API   \r\n  with auth\t \r\n\u001b]8;;https://x.test\u0007link\u001b]8;;\u0007  \n\n'
    expect(normalizeMissionGoal(pasted)).toEqual({ ok: true, goal: 'Build a REST API\n  with auth\nlink' })
  })

  it('keeps the text itself verbatim, shell syntax included (it is data, never a template)', () => {
    const goal = 'Fix !`touch marker` and $(touch marker) and $ARGUMENTS'
    expect(normalizeMissionGoal(goal)).toEqual({ ok: true, goal })
  })

  it('refuses an empty goal with an example', () => {
    const result = normalizeMissionGoal(' \u001b[0m \n ')
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.message).toContain('/task "')
  })

  it('refuses a goal over the limit, naming its length, the limit and the fix', () => {
    const result = normalizeMissionGoal('x'.repeat(100 * 1024))
    expect(result).toMatchObject({ ok: false, reason: 'too-long' })
    if (!result.ok) {
      expect(result.message).toContain('102,400 characters')
      expect(result.message).toContain(MISSION_GOAL_MAX_LENGTH.toLocaleString('en-US'))
      expect(result.message).toContain('docs/mission.md')
    }
    expect(normalizeMissionGoal('x'.repeat(MISSION_GOAL_MAX_LENGTH)).ok).toBe(true)
  })

  it('refuses a control character that is not part of an escape sequence, naming it and its line', () => {
    const result = normalizeMissionGoal('first\nsecond \u0007 bell')
    expect(result).toMatchObject({ ok: false, reason: 'control-character' })
    if (!result.ok) expect(result.message).toContain('U+0007 (line 2)')
    expect(normalizeMissionGoal('lone \ud800 surrogate')).toMatchObject({ ok: false, reason: 'control-character' })
  })
})
