import { OrchestratorError } from '@opencode-orchestrator/core'
import { describe, expect, it } from 'vitest'
import { parseJsonc } from './parse-jsonc'

function errorOf(run: () => unknown): OrchestratorError {
  try {
    run()
  } catch (error) {
    if (OrchestratorError.isInstance(error)) return error
    throw error
  }
  throw new Error('expected an OrchestratorError')
}

describe('parseJsonc', () => {
  it('accepts comments and trailing commas', () => {
    const text = '{\n  // the cap\n  "concurrency": { "global": 4, /* block */ },\n  "list": [1, 2,],\n}\n'
    expect(parseJsonc(text, 'a.jsonc')).toEqual({ concurrency: { global: 4 }, list: [1, 2] })
  })

  it('leaves a string that looks like a trailing comma alone', () => {
    // The hand-written parser's regex turned "[a, b,]" into "[a, b ]".
    const text = '{ "agents": { "worker": { "promptAppend": "Use [a, b,] and {x,}" } } }'
    expect(parseJsonc(text, 'a.jsonc')).toEqual({ agents: { worker: { promptAppend: 'Use [a, b,] and {x,}' } } })
  })

  it('leaves comment markers inside strings alone', () => {
    expect(parseJsonc('{ "url": "http://x/*y*/", "s": "a // b" }', 'a.jsonc')).toEqual({ url: 'http://x/*y*/', s: 'a // b' })
  })

  it('accepts a byte-order mark (Windows editors write one)', () => {
    expect(parseJsonc('\uFEFF{ "missionDirectory": "m" }', 'a.jsonc')).toEqual({ missionDirectory: 'm' })
  })

  it('names the file, line and column of a syntax error', () => {
    const error = errorOf(() => parseJsonc('{\n  "a": 1\n  "b": 2\n}', '/p/.opencode/orchestrator.jsonc'))
    expect(error.code).toBe('config-invalid')
    expect(error.message).toContain('/p/.opencode/orchestrator.jsonc: not valid JSON at line 3, column 3')
    expect(error.message).toContain('CommaExpected')
    expect(error.details['errors']).toEqual([{ line: 3, column: 3, problem: 'CommaExpected' }])
  })

  it('reports the position after a BOM and comments on the right line', () => {
    const error = errorOf(() => parseJsonc('\uFEFF// c\n/* d\n e */\n{ "a": }', 'x.jsonc'))
    expect(error.message).toContain('line 4, column 8')
  })

  it('refuses an empty file with a position', () => {
    expect(errorOf(() => parseJsonc('  ', 'x.jsonc')).message).toContain('x.jsonc: not valid JSON at line 1')
  })
})
