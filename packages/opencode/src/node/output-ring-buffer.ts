import { OrchestratorError } from '@opencode-orchestrator/core'

/** Which part of the kept output to read. */
export interface OutputReadOptions {
  /** Only the last `tailBytes` bytes of the output. */
  tailBytes?: number
  /** Only output from this byte offset on (the `nextByte` of an earlier read). */
  sinceByte?: number
}

/** A piece of output, as {@link ProcessHandle.output} returns it. */
export interface OutputSlice {
  text: string
  /** Offset to pass as `sinceByte` next time to get only newer output. */
  nextByte: number
  /** True when bytes the read asked for were already dropped to make room for newer output. */
  truncated: boolean
}

/** Bounded, byte-based ring buffer for a process's combined output. */
export interface OutputRingBuffer {
  /** Appends bytes; once full, the oldest bytes are dropped. */
  write(chunk: Uint8Array): void
  /**
   * Marks the output as complete. Until then a multi-byte character whose last
   * bytes have not arrived is held back (and `nextByte` points before it).
   */
  end(): void
  read(options?: OutputReadOptions): OutputSlice
  /** Bytes ever written, including dropped ones. */
  readonly totalBytes: number
  /** Bytes currently kept (at most the limit). */
  readonly keptBytes: number
}

/** Smallest allocation; the buffer doubles from here up to the limit as output arrives. */
const INITIAL_BYTES = 4096

/**
 * Creates an {@link OutputRingBuffer} that keeps the newest `limitBytes` bytes.
 * Memory grows with the output actually produced, never beyond the limit.
 */
export function createOutputRingBuffer(limitBytes: number): OutputRingBuffer {
  if (!Number.isSafeInteger(limitBytes) || limitBytes < 1) {
    throw new OrchestratorError({
      code: 'invalid-argument',
      message: `Output limit ${String(limitBytes)} must be a positive whole number of bytes (e.g. 1048576).`,
      details: { field: 'outputLimitBytes', value: limitBytes },
    })
  }
  let storage = new Uint8Array(Math.min(limitBytes, INITIAL_BYTES))
  /** Ring index of the oldest kept byte. */
  let start = 0
  let kept = 0
  let total = 0
  let ended = false

  /** Copies kept bytes [from, to) (offsets relative to the oldest kept byte) out of the ring. */
  const copy = (from: number, to: number): Uint8Array => {
    const result = new Uint8Array(to - from)
    const first = (start + from) % storage.length
    const firstRun = Math.min(to - from, storage.length - first)
    result.set(storage.subarray(first, first + firstRun), 0)
    if (firstRun < to - from) result.set(storage.subarray(0, to - from - firstRun), firstRun)
    return result
  }

  const grow = (needed: number) => {
    if (needed <= storage.length || storage.length === limitBytes) return
    let size = storage.length
    while (size < needed) size *= 2
    const next = new Uint8Array(Math.min(size, limitBytes))
    next.set(copy(0, kept), 0)
    storage = next
    start = 0
  }

  return {
    write(chunk) {
      if (chunk.byteLength === 0) return
      total += chunk.byteLength
      if (chunk.byteLength >= limitBytes) {
        grow(limitBytes)
        storage.set(chunk.subarray(chunk.byteLength - limitBytes), 0)
        start = 0
        kept = limitBytes
        return
      }
      grow(kept + chunk.byteLength)
      let writeAt = (start + kept) % storage.length
      let remaining = chunk
      while (remaining.byteLength > 0) {
        const run = Math.min(remaining.byteLength, storage.length - writeAt)
        storage.set(remaining.subarray(0, run), writeAt)
        remaining = remaining.subarray(run)
        writeAt = (writeAt + run) % storage.length
      }
      kept += chunk.byteLength
      if (kept > storage.length) {
        start = (start + kept - storage.length) % storage.length
        kept = storage.length
      }
    },

    end() {
      ended = true
    },

    read(options = {}) {
      const { tailBytes, sinceByte } = options
      for (const [field, value] of [
        ['tailBytes', tailBytes],
        ['sinceByte', sinceByte],
      ] as const) {
        if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
          throw new OrchestratorError({
            code: 'invalid-argument',
            message: `Output ${field} ${String(value)} must be a whole number of bytes, 0 or more.`,
            details: { field, value },
          })
        }
      }
      const oldest = total - kept
      let requested = sinceByte ?? 0
      if (tailBytes !== undefined) requested = Math.max(requested, total - tailBytes)
      const truncated = requested < oldest
      const from = Math.min(Math.max(requested, oldest), total)
      const bytes = copy(from - oldest, kept)

      // Cut on character boundaries: skip the tail of a character whose start was
      // dropped, and hold back a character whose end has not arrived yet.
      let head = 0
      while (head < bytes.length && head < 3 && isContinuationByte(bytes[head] ?? 0)) head += 1
      let end = bytes.length
      if (!ended) end = completeLength(bytes, head)
      return {
        text: new TextDecoder('utf-8').decode(bytes.subarray(head, end)),
        nextByte: from + end,
        truncated,
      }
    },

    get totalBytes() {
      return total
    },
    get keptBytes() {
      return kept
    },
  }
}

function isContinuationByte(byte: number): boolean {
  return (byte & 0xc0) === 0x80
}

/** Length of `bytes` without a trailing, incomplete UTF-8 sequence. */
function completeLength(bytes: Uint8Array, floor: number): number {
  for (let index = bytes.length - 1; index >= Math.max(floor, bytes.length - 4); index -= 1) {
    const byte = bytes[index] ?? 0
    if (isContinuationByte(byte)) continue
    const width = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1
    return bytes.length - index < width ? index : bytes.length
  }
  return bytes.length
}
