/**
 * The one gate every mission goal passes (the plugin's `/task` and the CLI's
 * `orchestrator run`): the goal is normalised and checked once, at the start,
 * so a goal that is accepted can always be written into the plan (todo.md
 * quotes it) — the todo tools never fail later because of the goal.
 */

/** Longest goal accepted, in UTF-16 code units after normalisation. Long specs belong in a file the goal names. */
export const MISSION_GOAL_MAX_LENGTH = 20_000

export type MissionGoalCheck =
  | { ok: true; goal: string }
  | { ok: false; reason: 'empty' | 'too-long' | 'control-character'; message: string }

// Terminal escape sequences a goal copied from a coloured terminal carries: CSI (colours, cursor),
// OSC (titles, links; ended by BEL or ST) and the two-character escapes. 8-bit CSI/OSC too.
// eslint-disable-next-line no-control-regex
const ANSI_ESCAPES = /\u001b\[[0-?]*[ -/]*[@-~]|\u009b[0-?]*[ -/]*[@-~]|(?:\u001b\]|\u009d)[\s\S]*?(?:\u0007|\u001b\\|\u009c)|\u001b[@-Z\\-_]/g

// What todo.md cannot hold: C0/C1 controls except tab and newline, and lone surrogates (they do not survive UTF-8).
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]|\p{Surrogate}/u

/** Example given whenever a goal is refused, so the fix is one copy away. */
const EXAMPLE = '/task "Add a slugify module with tests"'

/**
 * Normalises a mission goal: terminal colour codes are removed, line breaks
 * become `\n` (also U+2028/U+2029), trailing spaces of each line and leading or
 * trailing blank lines go. Refuses (with a message naming the limit and the
 * fix) an empty goal, one longer than {@link MISSION_GOAL_MAX_LENGTH}, or one
 * that still holds a control character.
 */
export function normalizeMissionGoal(text: string): MissionGoalCheck {
  const goal = text
    .replace(ANSI_ESCAPES, '')
    .replace(/\r\n?|\u2028|\u2029/g, '\n')
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
    .trim()
  if (goal.length === 0) {
    return { ok: false, reason: 'empty', message: `The mission goal is empty. Say what to build, e.g. ${EXAMPLE}.` }
  }
  const bad = FORBIDDEN.exec(goal)
  if (bad) {
    const code = `U+${(bad[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`
    const line = goal.slice(0, bad.index).split('\n').length
    return {
      ok: false,
      reason: 'control-character',
      message: `The mission goal contains the control character ${code} (line ${line}), which the plan file cannot hold. Remove it and start again, e.g. ${EXAMPLE}.`,
    }
  }
  if (goal.length > MISSION_GOAL_MAX_LENGTH) {
    return {
      ok: false,
      reason: 'too-long',
      message:
        `The mission goal is ${goal.length.toLocaleString('en-US')} characters long; the limit is ${MISSION_GOAL_MAX_LENGTH.toLocaleString('en-US')}. ` +
        'Put the details into a file in the project (e.g. docs/mission.md) and give a short goal that names it: /task "Build what docs/mission.md describes".',
    }
  }
  return { ok: true, goal }
}
