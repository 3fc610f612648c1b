import { MISSION_GOAL_MAX_LENGTH } from '@opencode-orchestrator/core'

/**
 * Rules for the text fields of a todo. They exist so every valid todo can be
 * written to todo.md and read back unchanged (see README "Text rules").
 */

/** Upper bounds on text fields, in UTF-16 code units. Generous: they only stop runaway input. */
export const TODO_TEXT_LIMITS = {
  title: 500,
  note: 4000,
  evidence: 8000,
  // The gate every goal passes at the start (core's normalizeMissionGoal) uses the same limit.
  goal: MISSION_GOAL_MAX_LENGTH,
} as const

/**
 * Characters no todo text may contain: C0/C1 controls except tab and newline,
 * carriage returns, Unicode line/paragraph separators (editors break lines on
 * them) and lone surrogates (they do not survive UTF-8 on disk).
 */
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]|\p{Surrogate}/u

/**
 * Canonical form of a multi-line text (note, evidence, goal): `\r\n` and `\r`
 * become `\n`, trailing spaces of each line and leading/trailing blank lines are
 * removed. Editors do the same to files, so only canonical text round-trips.
 */
export function normalizeTodoText(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
    .trim()
}

/** Describes the first character of `text` that no todo text may contain, or `undefined`. */
function forbiddenCharacter(text: string): string | undefined {
  const match = FORBIDDEN.exec(text)
  if (!match) return undefined
  const code = match[0].codePointAt(0) ?? 0
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`
}

/** What is wrong with a title, or `undefined` when it is valid. Messages say how to fix it. */
export function titleProblem(title: string): string | undefined {
  if (title.trim().length === 0) return 'is empty; give a short description of the work, e.g. "Add the login route"'
  if (/[\r\n]/.test(title)) return 'must be a single line; put details into a note'
  if (title !== title.trim()) return 'must not start or end with whitespace'
  const bad = forbiddenCharacter(title)
  if (bad) return `contains the control character ${bad}; remove it`
  if (title.length > TODO_TEXT_LIMITS.title) {
    return `is ${title.length} characters long (limit ${TODO_TEXT_LIMITS.title}); shorten it and put details into a note`
  }
  return undefined
}

/** What is wrong with a multi-line text field, or `undefined` when it is valid. */
export function textProblem(text: string, limit: number): string | undefined {
  if (text.trim().length === 0) return 'is empty; leave the field out instead'
  const bad = forbiddenCharacter(text.replace(/\r\n?/g, '\n'))
  if (bad) return `contains the control character ${bad}; remove it`
  if (text !== normalizeTodoText(text)) {
    return 'is not in canonical form (no carriage returns, no trailing spaces, no leading or trailing blank lines)'
  }
  if (text.length > limit) return `is ${text.length} characters long (limit ${limit}); shorten it`
  return undefined
}
