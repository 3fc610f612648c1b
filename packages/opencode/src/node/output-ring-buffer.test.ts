import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createOutputRingBuffer } from './output-ring-buffer'

const bytes = (text: string) => new TextEncoder().encode(text)

describe('createOutputRingBuffer', () => {
  it('keeps everything while under the limit', () => {
    const buffer = createOutputRingBuffer(64)
    buffer.write(bytes('hello '))
    buffer.write(bytes('world'))
    expect(buffer.read()).toEqual({ text: 'hello world', nextByte: 11, truncated: false })
    expect(buffer.read({ sinceByte: 6 })).toEqual({ text: 'world', nextByte: 11, truncated: false })
    expect(buffer.read({ sinceByte: 11 })).toEqual({ text: '', nextByte: 11, truncated: false })
    expect(buffer.read({ tailBytes: 3 })).toEqual({ text: 'rld', nextByte: 11, truncated: false })
  })

  it('keeps the newest bytes and says when asked-for bytes were dropped', () => {
    const buffer = createOutputRingBuffer(10)
    buffer.write(bytes('0123456789'))
    buffer.write(bytes('abcdefghij'))
    buffer.write(bytes('KLMNO'))
    expect(buffer.totalBytes).toBe(25)
    expect(buffer.keptBytes).toBe(10)
    expect(buffer.read()).toEqual({ text: 'fghijKLMNO', nextByte: 25, truncated: true })
    expect(buffer.read({ sinceByte: 5 })).toEqual({ text: 'fghijKLMNO', nextByte: 25, truncated: true })
    expect(buffer.read({ sinceByte: 20 })).toEqual({ text: 'KLMNO', nextByte: 25, truncated: false })
    expect(buffer.read({ tailBytes: 4 })).toEqual({ text: 'LMNO', nextByte: 25, truncated: false })
    expect(buffer.read({ tailBytes: 40 })).toEqual({ text: 'fghijKLMNO', nextByte: 25, truncated: true })
    expect(buffer.read({ sinceByte: 22, tailBytes: 5 })).toEqual({ text: 'MNO', nextByte: 25, truncated: false })
  })

  it('takes a chunk larger than the whole buffer', () => {
    const buffer = createOutputRingBuffer(4)
    buffer.write(bytes('ab'))
    buffer.write(bytes('0123456789'))
    expect(buffer.read()).toEqual({ text: '6789', nextByte: 12, truncated: true })
    buffer.write(bytes('x'))
    expect(buffer.read()).toEqual({ text: '789x', nextByte: 13, truncated: true })
  })

  it('never splits a multi-byte character', () => {
    const buffer = createOutputRingBuffer(64)
    const euro = bytes('€') // 3 bytes
    buffer.write(bytes('a'))
    buffer.write(euro.subarray(0, 2))
    // The character is incomplete: held back, and nextByte points before it.
    expect(buffer.read()).toEqual({ text: 'a', nextByte: 1, truncated: false })
    buffer.write(euro.subarray(2))
    expect(buffer.read({ sinceByte: 1 })).toEqual({ text: '€', nextByte: 4, truncated: false })
    // A tail that starts inside the character skips its remains.
    expect(buffer.read({ tailBytes: 2 })).toEqual({ text: '', nextByte: 4, truncated: false })

    const small = createOutputRingBuffer(5)
    small.write(bytes('€€')) // 6 bytes: the first byte of the first € is dropped
    expect(small.read()).toEqual({ text: '€', nextByte: 6, truncated: true })
  })

  it('decodes a trailing partial character once the output has ended', () => {
    const buffer = createOutputRingBuffer(16)
    buffer.write(new Uint8Array([0x61, 0xe2, 0x82]))
    expect(buffer.read().text).toBe('a')
    buffer.end()
    expect(buffer.read()).toEqual({ text: 'a\uFFFD', nextByte: 3, truncated: false })
  })

  it('rejects bad limits and offsets', () => {
    expect(() => createOutputRingBuffer(0)).toThrow(/outputLimitBytes|Output limit/)
    const buffer = createOutputRingBuffer(8)
    expect(() => buffer.read({ sinceByte: -1 })).toThrow(/sinceByte/)
    expect(() => buffer.read({ tailBytes: 1.5 })).toThrow(/tailBytes/)
  })

  it('matches a keep-everything model for any chunking and reads', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.array(fc.string({ minLength: 0, maxLength: 30 }), { maxLength: 30 }),
        fc.nat({ max: 400 }),
        fc.option(fc.nat({ max: 60 }), { nil: undefined }),
        (limit, chunks, since, tail) => {
          const buffer = createOutputRingBuffer(limit)
          let all = ''
          for (const chunk of chunks) {
            // ASCII only: every byte is a character, so the model is plain slicing.
            const ascii = chunk.replace(/[^\x20-\x7e]/g, '.')
            buffer.write(bytes(ascii))
            all += ascii
          }
          const sinceByte = Math.min(since, all.length)
          const requested = Math.max(sinceByte, tail === undefined ? 0 : all.length - tail)
          const oldest = Math.max(0, all.length - limit)
          const result = buffer.read({ sinceByte, tailBytes: tail })
          expect(result.text).toBe(all.slice(Math.max(requested, oldest)))
          expect(result.nextByte).toBe(all.length)
          expect(result.truncated).toBe(requested < oldest)
        },
      ),
      { numRuns: 2000 },
    )
  })
})
