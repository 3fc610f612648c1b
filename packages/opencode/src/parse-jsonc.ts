import { OrchestratorError } from '@opencode-orchestrator/core'
import { parse, printParseErrorCode, type ParseError } from 'jsonc-parser'

/** Line and column (both 1-based) of a character offset. */
function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset)
  const line = before.split('\n').length
  return { line, column: offset - before.lastIndexOf('\n') }
}

/**
 * Parses JSON with comments (`//`, `/* *\/`) and trailing commas, as editors
 * write `orchestrator.jsonc`, with `jsonc-parser` (the parser of VS Code's JSON
 * language service). A leading byte-order mark is accepted. Errors name the
 * file, line and column of every syntax error — computed here, so they read the
 * same under Node and under OpenCode's Bun.
 */
export function parseJsonc(text: string, source: string): unknown {
  const content = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
  const errors: ParseError[] = []
  const value: unknown = parse(content, errors, { allowTrailingComma: true, disallowComments: false, allowEmptyContent: false })
  if (errors.length === 0) return value
  const problems = errors.map((error) => {
    const { line, column } = lineAndColumn(content, error.offset)
    return { line, column, problem: printParseErrorCode(error.error) }
  })
  const first = problems[0]!
  const listed = problems
    .slice(0, 5)
    .map(({ line, column, problem }) => `line ${line}, column ${column}: ${problem}`)
    .join('; ')
  throw new OrchestratorError({
    code: 'config-invalid',
    message: `${source}: not valid JSON at line ${first.line}, column ${first.column} (${listed}). Fix the syntax; comments and trailing commas are allowed.`,
    details: { source, errors: problems },
  })
}
