import { OrchestratorError } from '@opencode-orchestrator/core'
import { describe, expect, it } from 'vitest'
import { EXIT_CODES, exitCodeForError, exitCodeForMission, isExpectedError } from './exit-codes'

describe('exit codes', () => {
  it('maps mission outcomes: sealed 0, failed 1, stopped 2', () => {
    expect(exitCodeForMission('sealed')).toBe(0)
    expect(exitCodeForMission('failed')).toBe(1)
    expect(exitCodeForMission('stopped')).toBe(2)
    // A run that ends while the mission is still live did not succeed.
    expect(exitCodeForMission('waiting')).toBe(1)
  })

  it('maps errors to sysexits codes by their code', () => {
    const error = (code: ConstructorParameters<typeof OrchestratorError>[0]['code']) => new OrchestratorError({ code, message: 'x' })
    expect(exitCodeForError(error('invalid-argument'))).toBe(64)
    expect(exitCodeForError(error('journal-corrupt'))).toBe(65)
    expect(exitCodeForError(error('journal-version'))).toBe(65)
    expect(exitCodeForError(error('mission-not-found'))).toBe(66)
    expect(exitCodeForError(error('host-failed'))).toBe(69)
    expect(exitCodeForError(error('config-invalid'))).toBe(78)
    expect(exitCodeForError(error('storage-failed'))).toBe(74)
    expect(exitCodeForError(new TypeError('bug'))).toBe(70)
    expect(EXIT_CODES.interrupted).toBe(130)
  })

  it('prints expected errors without a stack trace, bugs with one', () => {
    expect(isExpectedError(new OrchestratorError({ code: 'invalid-argument', message: 'x' }))).toBe(true)
    expect(isExpectedError(new TypeError('bug'))).toBe(false)
  })
})
