import { describe, expect, it } from 'vitest'
import { createPayloadNormaliser } from './payload-normaliser'

describe('createPayloadNormaliser', () => {
  it('numbers ids in order of appearance, masks ports and times, keeps everything else', () => {
    const { walk, stableId } = createPayloadNormaliser({ epoch: 1, timeKeys: /^(created|next)$/, fixedStrings: { date: 'DATE' }, rewrite: (text) => text.replace('/tmp/x', '/PROJECT') })
    expect(
      walk({
        sessionID: 'ses_abcdefgh1234',
        items: [{ id: 'msg_zzzzzzzz9', parent: 'ses_abcdefgh1234', created: 1795640000000, size: 3 }],
        url: 'http://127.0.0.1:43123/v1 in /tmp/x',
        headers: { Date: 'Wed, 25 Nov 2026 21:00:00 GMT' },
        next: 5,
      }),
    ).toEqual({
      sessionID: 'ses_1',
      items: [{ id: 'msg_1', parent: 'ses_1', created: 1, size: 3 }],
      url: 'http://127.0.0.1:PORT/v1 in /PROJECT',
      headers: { Date: 'DATE' },
      next: 1,
    })
    expect(stableId('ses_another123456')).toBe('ses_2')
  })
})
