import { describe, expect, it } from 'vitest'
import { createProcessLog } from './process-log'

describe('createProcessLog', () => {
  it('splits chunks into lines per stream and keeps unfinished lines until flushed', () => {
    const log = createProcessLog()
    log.write('stdout', 'hello wo', 1)
    log.write('stderr', 'err line\r\npart', 1)
    log.write('stdout', 'rld\nnext', 1)
    expect(log.lines.map((line) => `${line.stream}:${line.text}`)).toEqual(['stderr:err line', 'stdout:hello world'])
    log.flush(1)
    log.note('stopped', 1)
    expect(log.lines.map((line) => line.text)).toEqual(['err line', 'hello world', 'next', 'part', 'stopped'])
    expect(log.tail(2)).toBe('[stderr#1] part\n[harness#1] stopped')
  })

  it('waits for past or future lines, optionally of one generation', async () => {
    const log = createProcessLog()
    log.write('stdout', 'listening on http://a\n', 1)
    await expect(log.waitFor(/listening on (\S+)/)).resolves.toMatchObject({ generation: 1 })
    const second = log.waitFor('listening on', 1_000, { generation: 2 })
    log.write('stdout', 'listening on http://b\n', 2)
    await expect(second).resolves.toMatchObject({ generation: 2, text: 'listening on http://b' })
  })

  it('times out naming the pattern and the last lines, and stays bounded', async () => {
    const log = createProcessLog({ maxLines: 3 })
    for (let index = 0; index < 10; index++) log.note(`line ${index}`, 1)
    expect(log.lines.map((line) => line.text)).toEqual(['line 7', 'line 8', 'line 9'])
    await expect(log.waitFor('never', 10)).rejects.toThrow(/No log line matching never within 10 ms[\s\S]*line 9/)
  })
})
