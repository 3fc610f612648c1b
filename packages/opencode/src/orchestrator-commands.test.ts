import { describe, expect, it } from 'vitest'
import { OPENCODE_BUILTIN_COMMAND_NAMES } from './opencode-builtin-commands'
import { COMMAND_NAMES, NO_ARGUMENTS_PLACEHOLDER, ORCHESTRATOR_COMMANDS, parseCommand } from './orchestrator-commands'

describe('command names', () => {
  it('none of ours equals a command or alias OpenCode 1.18.33 has itself', () => {
    const ours = Object.values(COMMAND_NAMES)
    expect(ours.filter((name) => OPENCODE_BUILTIN_COMMAND_NAMES.has(name))).toEqual([])
    expect(Object.keys(ORCHESTRATOR_COMMANDS).sort()).toEqual([...ours].sort())
  })

  it('the list of built-ins holds the one that collided before (/status)', () => {
    expect(OPENCODE_BUILTIN_COMMAND_NAMES.has('status')).toBe(true)
  })
})

describe('command templates', () => {
  it('never take the arguments: only the unreachable placeholder, so OpenCode neither substitutes nor appends them', () => {
    for (const [name, command] of Object.entries(ORCHESTRATOR_COMMANDS)) {
      expect(command.template, name).not.toContain('$ARGUMENTS')
      expect(command.template, name).not.toContain('!`')
      expect(command.template.match(/\$\d+/g), name).toEqual([NO_ARGUMENTS_PLACEHOLDER])
    }
    // Beyond any argument count OpenCode can split a string into.
    expect(Number(NO_ARGUMENTS_PLACEHOLDER.slice(1))).toBeGreaterThan(2 ** 32)
  })
})

describe('parseCommand', () => {
  it('reads the goal verbatim apart from outer quotes and whitespace', () => {
    expect(parseCommand('task', '  "Fix !`touch x` and $(id)"  ')).toEqual({ name: 'task', goal: 'Fix !`touch x` and $(id)' })
    expect(parseCommand('mission', 'anything')).toEqual({ name: 'status' })
    expect(parseCommand('status', '')).toBeUndefined()
    expect(parseCommand('cancel', '')).toEqual({ name: 'stop', via: 'cancel' })
  })
})
