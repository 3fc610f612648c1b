/**
 * Runs every benchmark module of the workspace:
 * `packages/<name>/bench/*.bench.ts` and `apps/<name>/bench/*.bench.ts`.
 *
 * A module default-exports `async (report, raw) => void`, where
 * `report(name, value, unit, target?)` adds one row and `raw(name, value)`
 * keeps raw data (e.g. every round of a measurement) in the results file. A
 * numeric target is an upper bound (`value ≤ target`); `{ min }` / `{ max }`
 * say which way explicitly.
 *
 * Usage: pnpm bench [filter …] [--check] [--output=<file>]
 *   filter    only modules whose path contains one of the strings, e.g. `core`
 *   --check   exit with 1 when a row misses its target (module errors always do)
 *   --output  where to write the results (default bench-results/latest.json)
 *
 * Opt-in modules (`scale.bench.ts`: fan-out at N=50/100 and 10 missions at
 * once) take long on a small machine and run only when a filter names them:
 * `pnpm bench scale`.
 *
 * Prints a table and writes bench-results/latest.json. Run with
 * `--conditions=@opencode-orchestrator/source` (the root `bench` script does) so
 * workspace packages load from `src/` without a build, and with `--expose-gc`
 * so heap measurements can collect garbage first.
 */
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

export type BenchTarget = number | { max?: number; min?: number }
export type BenchReport = (name: string, value: number, unit: string, target?: BenchTarget) => void
export type BenchRaw = (name: string, value: unknown) => void
export type BenchModule = (report: BenchReport, raw: BenchRaw) => Promise<void>

/** Modules that run only when a filter names them (too long for every `pnpm bench`). */
const OPT_IN = /(^|\/)scale\.bench\.ts$/

interface Row {
  module: string
  name: string
  value: number
  unit: string
  target?: { max?: number; min?: number }
  pass?: boolean
}

const root = fileURLToPath(new URL('..', import.meta.url))

function discover(): string[] {
  const modules: string[] = []
  for (const group of ['packages', 'apps']) {
    const groupDirectory = join(root, group)
    if (!existsSync(groupDirectory)) continue
    for (const name of readdirSync(groupDirectory).sort()) {
      const benchDirectory = join(groupDirectory, name, 'bench')
      if (!existsSync(benchDirectory) || !statSync(benchDirectory).isDirectory()) continue
      for (const file of readdirSync(benchDirectory).sort()) {
        if (file.endsWith('.bench.ts')) modules.push(join(benchDirectory, file))
      }
    }
  }
  return modules
}

function normaliseTarget(target: BenchTarget | undefined): Row['target'] {
  if (target === undefined) return undefined
  return typeof target === 'number' ? { max: target } : target
}

function formatNumber(value: number): string {
  if (Number.isInteger(value)) return String(value)
  return Math.abs(value) >= 100 ? value.toFixed(1) : value.toPrecision(3)
}

function formatTarget(target: Row['target']): string {
  if (target === undefined) return ''
  const parts: string[] = []
  if (target.min !== undefined) parts.push(`≥ ${formatNumber(target.min)}`)
  if (target.max !== undefined) parts.push(`≤ ${formatNumber(target.max)}`)
  return parts.join(', ')
}

function printTable(rows: Row[]): void {
  const header = ['module', 'benchmark', 'value', 'unit', 'target', 'status']
  const cells = rows.map((row) => [
    row.module,
    row.name,
    formatNumber(row.value),
    row.unit,
    formatTarget(row.target),
    row.pass === undefined ? '' : row.pass ? 'ok' : 'MISS',
  ])
  const widths = header.map((title, column) => Math.max(title.length, ...cells.map((line) => line[column]!.length)))
  const line = (values: string[]) => values.map((value, column) => (column === 2 ? value.padStart(widths[column]!) : value.padEnd(widths[column]!))).join('  ')
  console.log(line(header))
  console.log(widths.map((width) => '-'.repeat(width)).join('  '))
  for (const values of cells) console.log(line(values))
}

async function main(): Promise<void> {
  const args = process.argv.slice(2)
  const check = args.includes('--check')
  const outputArg = args.find((arg) => arg.startsWith('--output='))?.slice('--output='.length)
  const filters = args.filter((arg) => !arg.startsWith('--'))
  const modules = discover().filter((path) =>
    filters.length === 0 ? !OPT_IN.test(path) : filters.some((filter) => relative(root, path).includes(filter)),
  )
  if (typeof globalThis.gc !== 'function') console.warn('bench: run node with --expose-gc; heap figures are unreliable without it')
  if (modules.length === 0) {
    console.error(`bench: no benchmark modules found${filters.length ? ` matching ${filters.join(', ')}` : ''}`)
    process.exitCode = 1
    return
  }

  const rows: Row[] = []
  const errors: Array<{ module: string; error: string }> = []
  const raw: Array<{ module: string; name: string; value: unknown }> = []
  for (const path of modules) {
    const module = relative(root, path)
    console.log(`bench: running ${module}`)
    const report: BenchReport = (name, value, unit, target) => {
      if (!Number.isFinite(value)) throw new Error(`${module}: "${name}" reported ${value}, expected a finite number`)
      const normalised = normaliseTarget(target)
      const pass =
        normalised === undefined
          ? undefined
          : (normalised.max === undefined || value <= normalised.max) && (normalised.min === undefined || value >= normalised.min)
      rows.push({ module, name, value, unit, ...(normalised === undefined ? {} : { target: normalised }), ...(pass === undefined ? {} : { pass }) })
    }
    try {
      globalThis.gc?.()
      const imported = (await import(pathToFileURL(path).href)) as { default?: unknown }
      if (typeof imported.default !== 'function') throw new Error('the module has no default-exported function')
      await (imported.default as BenchModule)(report, (name, value) => raw.push({ module, name, value }))
    } catch (error) {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error)
      console.error(`bench: ${module} failed:\n${message}`)
      errors.push({ module, error: message })
    }
  }

  console.log('')
  printTable(rows)
  const output = outputArg ? resolve(outputArg) : join(root, 'bench-results', 'latest.json')
  mkdirSync(dirname(output), { recursive: true })
  writeFileSync(
    output,
    `${JSON.stringify(
      {
        date: new Date().toISOString(),
        node: process.version,
        platform: `${process.platform}-${process.arch}`,
        cpu: { count: cpus().length, model: cpus()[0]?.model ?? 'unknown' },
        gcExposed: typeof globalThis.gc === 'function',
        rows,
        raw,
        errors,
      },
      null,
      2,
    )}\n`,
  )
  console.log(`\nbench: wrote ${relative(root, output)}`)
  const missed = rows.filter((row) => row.pass === false)
  if (missed.length > 0) console.log(`bench: ${missed.length} row(s) missed their target`)
  if (errors.length > 0 || (check && missed.length > 0)) process.exitCode = 1
}

await main()
