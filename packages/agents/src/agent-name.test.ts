import { describe, expect, it } from 'vitest'
import { OrchestratorError } from '@opencode-orchestrator/core'
import { AGENT_NAMES, isAgentName, resolveAgentName } from './agent-name'

function failure(name: string, field?: string): OrchestratorError {
  try {
    resolveAgentName(name, field === undefined ? {} : { field })
  } catch (error) {
    if (OrchestratorError.isInstance(error)) return error
    throw error
  }
  throw new Error(`resolveAgentName accepted ${name}`)
}

describe('resolveAgentName', () => {
  it('accepts the four exact names', () => {
    for (const name of AGENT_NAMES) expect(resolveAgentName(name)).toBe(name)
    expect(AGENT_NAMES).toEqual(['commander', 'planner', 'worker', 'reviewer'])
  })

  it('rejects a miscased name with a suggestion, never mapping it to the Commander', () => {
    const error = failure('Worker')
    expect(error.code).toBe('agent-unknown')
    expect(error.message).toContain("did you mean 'worker'?")
    expect(error.message).toContain('commander, planner, worker, reviewer')
    expect(error.details).toMatchObject({ name: 'Worker', suggestion: 'worker' })
    expect(failure(' planner').details.suggestion).toBe('planner')
  })

  it('suggests the closest name for a typo', () => {
    expect(failure('reviwer').message).toContain("did you mean 'reviewer'?")
    expect(failure('COMANDER').message).toContain("did you mean 'commander'?")
  })

  it('lists the valid names without a guess for anything else', () => {
    for (const name of ['build', 'general', '', 'orchestrator']) {
      const error = failure(name)
      expect(error.code).toBe('agent-unknown')
      expect(error.message).not.toContain('did you mean')
      expect(error.details.validNames).toEqual([...AGENT_NAMES])
    }
  })

  it('names the field the bad name came from', () => {
    expect(failure('Coder', 'orchestrator_delegate.agent').message).toMatch(/^orchestrator_delegate\.agent: unknown agent 'Coder'/)
  })

  it('isAgentName is exact', () => {
    expect(isAgentName('worker')).toBe(true)
    expect(isAgentName('Worker')).toBe(false)
    expect(isAgentName(3)).toBe(false)
  })
})
