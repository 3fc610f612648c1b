import { OrchestratorError } from '@opencode-orchestrator/core'

/**
 * Parses JSON with comments (`//`, `/* *\/`) and trailing commas, as editors
 * write `orchestrator.jsonc`. Errors name the file, line and column.
 */
export function parseJsonc(text: string, source: string): unknown {
  let out = ''
  let index = 0
  let inString = false
  while (index < text.length) {
    const char = text[index]!
    const next = text[index + 1]
    if (inString) {
      out += char
      if (char === '\\') {
        out += next ?? ''
        index += 2
        continue
      }
      if (char === '"') inString = false
      index++
      continue
    }
    if (char === '"') {
      inString = true
      out += char
      index++
    } else if (char === '/' && next === '/') {
      while (index < text.length && text[index] !== '\n') {
        out += ' '
        index++
      }
    } else if (char === '/' && next === '*') {
      const end = text.indexOf('*/', index + 2)
      const stop = end === -1 ? text.length : end + 2
      // Keep newlines so line numbers in errors stay right.
      out += text.slice(index, stop).replace(/[^\n]/g, ' ')
      index = stop
    } else {
      out += char
      index++
    }
  }
  const withoutTrailingCommas = out.replace(/,(\s*[}\]])/g, ' $1')
  try {
    return JSON.parse(withoutTrailingCommas)
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    const position = /position (\d+)/.exec(message)
    let where = ''
    if (position?.[1]) {
      const offset = Number(position[1])
      const before = withoutTrailingCommas.slice(0, offset)
      const line = before.split('\n').length
      const column = offset - before.lastIndexOf('\n')
      where = ` at line ${line}, column ${column}`
    }
    throw new OrchestratorError({
      code: 'config-invalid',
      message: `${source}: not valid JSON${where} (${message}). Fix the syntax; comments and trailing commas are allowed.`,
      cause: error,
      details: { source },
    })
  }
}
