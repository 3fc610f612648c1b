import { createServer } from 'node:http'
import type { Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { createEventRecorder } from './opencode-event-recorder'

let server: Server | undefined
let streams: ServerResponse[] = []
let requestedUrls: string[] = []

afterEach(async () => {
  for (const stream of streams) stream.end()
  streams = []
  requestedUrls = []
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
  server = undefined
})

/** A stand-in for OpenCode's `GET /event`: sends `server.connected`, then whatever the test pushes. */
async function startSse(): Promise<{ url: string; send: (data: string) => void }> {
  server = createServer((request, response) => {
    requestedUrls.push(`${request.url} ${String(request.headers['x-opencode-directory'])}`)
    response.writeHead(200, { 'content-type': 'text/event-stream' })
    response.write(`data: ${JSON.stringify({ id: '0', type: 'server.connected', properties: {} })}\n\n`)
    streams.push(response)
  })
  server.closeIdleConnections()
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', () => resolve()))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    send: (data) => {
      for (const stream of streams) stream.write(data)
    },
  }
}

const idle = (sessionID: string) => `data: ${JSON.stringify({ id: 'x', type: 'session.idle', properties: { sessionID } })}\n\n`

describe('createEventRecorder', () => {
  it('connects with the directory, records events with generation, and waits for past and future ones', async () => {
    const sse = await startSse()
    const recorder = createEventRecorder()
    await recorder.connect({ url: sse.url, directory: '/tmp/my project', generation: 1, timeoutMs: 5_000 })
    expect(recorder.connected).toBe(true)
    expect(requestedUrls).toEqual(['/event?directory=%2Ftmp%2Fmy%20project %2Ftmp%2Fmy%20project'])
    // One frame split across two writes, then two frames in one write.
    sse.send(idle('a').slice(0, 20))
    sse.send(idle('a').slice(20) + idle('b'))
    const b = await recorder.waitFor((event) => event.type === 'session.idle' && event.properties.sessionID === 'b', 2_000)
    expect(b).toMatchObject({ index: 2, generation: 1 })
    // Past events count unless `since` excludes them.
    await expect(recorder.waitFor((event) => event.type === 'session.idle')).resolves.toMatchObject({ index: 1 })
    const mark = recorder.mark()
    const later = recorder.waitFor((event) => event.type === 'session.idle', 2_000, { since: mark })
    sse.send(idle('c'))
    await expect(later).resolves.toMatchObject({ index: 3 })
    expect(recorder.ofType('session.idle').map((event) => event.properties.sessionID)).toEqual(['a', 'b', 'c'])
    recorder.disconnect()
    expect(recorder.connected).toBe(false)
  })

  it('reports unparseable frames and times out listing the last event types', async () => {
    const sse = await startSse()
    const problems: string[] = []
    const recorder = createEventRecorder({ onError: (message) => problems.push(message) })
    await recorder.connect({ url: sse.url, directory: '/p', generation: 3, timeoutMs: 5_000 })
    sse.send('data: {not json\n\n')
    sse.send(idle('a'))
    await recorder.waitFor((event) => event.type === 'session.idle', 2_000)
    expect(problems).toHaveLength(1)
    expect(problems[0]).toContain('Unparseable OpenCode event')
    await expect(recorder.waitFor((event) => event.type === 'session.error', 20)).rejects.toThrow(
      /No matching OpenCode event within 20 ms \(stream open; last events: server.connected, session.idle\)/,
    )
    recorder.clear()
    expect(recorder.all).toHaveLength(0)
    expect(recorder.mark()).toBe(2)
    recorder.disconnect()
  })
})
