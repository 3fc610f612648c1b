import { OrchestratorError } from '@opencode-orchestrator/core'
import { describe, expect, it } from 'vitest'
import { DEMO_MISSION, parseCliArguments } from './cli-arguments'

function usageError(argv: string[]): OrchestratorError {
  try {
    parseCliArguments(argv)
  } catch (error) {
    if (OrchestratorError.isInstance(error)) return error
    throw error
  }
  throw new Error(`expected ${JSON.stringify(argv)} to be rejected`)
}

describe('parseCliArguments', () => {
  it('reads run with every flag, in either --flag value or --flag=value form', () => {
    expect(parseCliArguments(['run', 'Build a REST API', '--dir', './api', '--model=anthropic/claude-sonnet-4-5', '--json', '--verbose'])).toEqual({
      name: 'run',
      goal: 'Build a REST API',
      directory: './api',
      model: 'anthropic/claude-sonnet-4-5',
      json: true,
      demo: false,
      verbose: true,
    })
  })

  it('joins unquoted words into one mission and keeps text after -- as mission text', () => {
    expect(parseCliArguments(['run', 'Add', 'a', 'slugify', 'module'])).toMatchObject({ goal: 'Add a slugify module' })
    expect(parseCliArguments(['run', '--', '--not-a-flag', 'text'])).toMatchObject({ goal: '--not-a-flag text' })
    // The same gate as /task: colour codes and trailing spaces go, shell syntax stays as text, an oversized goal is refused.
    expect(parseCliArguments(['run', '\u001b[32mFix\u001b[0m it  \n  now  ', '!`touch x`'])).toMatchObject({ goal: 'Fix it\n  now   !`touch x`' })
    expect(() => parseCliArguments(['run', 'x'.repeat(100 * 1024)])).toThrow(/102,400 characters long; the limit is 20,000.*orchestrator run "Build what docs\/mission.md describes"/)
  })

  it('runs the demo with its own mission', () => {
    expect(parseCliArguments(['run', '--demo'])).toEqual({ name: 'run', goal: DEMO_MISSION, directory: undefined, model: undefined, json: false, demo: true, verbose: false })
    expect(parseCliArguments(['run', '--demo', '--json'])).toMatchObject({ demo: true, json: true })
  })

  it('reads status and report', () => {
    expect(parseCliArguments(['status'])).toEqual({ name: 'status', directory: undefined, json: false })
    expect(parseCliArguments(['status', '--dir', '/p', '--json'])).toEqual({ name: 'status', directory: '/p', json: true })
    expect(parseCliArguments(['report', 'mission_abc', '--dir=/p'])).toEqual({ name: 'report', missionId: 'mission_abc', directory: '/p', json: false })
  })

  it('answers help and version', () => {
    expect(parseCliArguments([])).toEqual({ name: 'help' })
    expect(parseCliArguments(['--help'])).toEqual({ name: 'help' })
    expect(parseCliArguments(['run', '-h'])).toEqual({ name: 'help' })
    expect(parseCliArguments(['--version'])).toEqual({ name: 'version' })
  })

  it('rejects a missing mission text and points at the demo', () => {
    const error = usageError(['run', '--json'])
    expect(error.code).toBe('invalid-argument')
    expect(error.message).toContain('Missing mission text')
    expect(error.message).toContain('orchestrator run --demo')
  })

  it('rejects unknown commands and flags with a suggestion', () => {
    expect(usageError(['rnu', 'x']).message).toContain("Unknown command 'rnu' (did you mean 'run'?)")
    expect(usageError(['run', 'x', '--jsno']).message).toContain('Unknown flag --jsno for `orchestrator run` (did you mean --json?)')
    expect(usageError(['status', '--model', 'a/b']).message).toContain('The flag --model does not apply to `orchestrator status`')
  })

  it('rejects flags without values, with values they do not take, and given twice', () => {
    expect(usageError(['run', 'x', '--dir']).message).toContain('The flag --dir needs a value')
    expect(usageError(['run', 'x', '--dir', '--json']).message).toContain('The flag --dir needs a value')
    expect(usageError(['run', 'x', '--json=yes']).message).toContain('The flag --json takes no value')
    expect(usageError(['run', 'x', '--json', '--json']).message).toContain('given twice')
  })

  it('rejects a model that is not provider/model', () => {
    const error = usageError(['run', 'x', '--model', 'gpt-4o'])
    expect(error.message).toContain("--model 'gpt-4o' is not provider/model")
    expect(error.details).toMatchObject({ field: 'model', value: 'gpt-4o' })
  })

  it('rejects flags that contradict --demo', () => {
    expect(usageError(['run', 'my mission', '--demo']).message).toContain('--demo runs its own mission')
    expect(usageError(['run', '--demo', '--dir', '.']).message).toContain('drop --dir or drop --demo')
    expect(usageError(['run', '--demo', '--model', 'a/b']).message).toContain('drop --model or drop --demo')
  })

  it('rejects a report without an id, with two ids, or with a path-like id', () => {
    expect(usageError(['report']).message).toContain('Missing mission id')
    expect(usageError(['report', 'a', 'b']).message).toContain('takes one mission id')
    expect(usageError(['report', '../etc/passwd']).message).toContain('is not a mission id')
    expect(usageError(['status', 'extra']).message).toContain('takes no arguments')
  })

  it('tells where to find the usage in every error', () => {
    expect(usageError(['run']).message).toMatch(/orchestrator --help/)
  })
})
