import { describe, expect, it } from 'vitest'
import { rejectionStop } from './rejection-stop'

const toolError = (error: string, status = 'error') => ({
  type: 'message.part.updated',
  properties: { part: { type: 'tool', sessionID: 'ses_child', tool: 'bash', state: { status, error } } },
})

describe('rejectionStop', () => {
  it('reads a permission rejection with /stop or /cancel as feedback as that command', () => {
    expect(rejectionStop(toolError('The user rejected permission to use this specific tool call with the following feedback: /stop'))).toEqual({ sessionId: 'ses_child', via: 'stop' })
    expect(rejectionStop(toolError('The user rejected permission to use this specific tool call with the following feedback: /cancel please'))).toEqual({ sessionId: 'ses_child', via: 'cancel' })
  })

  it('leaves other feedback, plain rejections and other errors alone', () => {
    expect(rejectionStop(toolError('The user rejected permission to use this specific tool call with the following feedback: use pnpm instead'))).toBeUndefined()
    expect(rejectionStop(toolError('The user rejected permission to use this specific tool call.'))).toBeUndefined()
    expect(rejectionStop(toolError('/stop', 'completed'))).toBeUndefined()
    expect(rejectionStop({ type: 'session.idle', properties: {} })).toBeUndefined()
  })
})
