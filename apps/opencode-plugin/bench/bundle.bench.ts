/**
 * Size of the published plugin bundle (`pnpm bench bundle`; the root `bench`
 * script builds it first). Every user downloads it and OpenCode's Bun parses
 * what `dist/index.js` imports statically at every start; chunks loaded with
 * `import()` (the mission report code) are parsed only when first needed.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { fileURLToPath } from 'node:url'

const dist = fileURLToPath(new URL('../dist/', import.meta.url))
const bundle = join(dist, 'index.js')
const kilobytes = (bytes: number) => Math.round((bytes / 1024) * 10) / 10

/** `index.js` and every chunk it (transitively) imports with a static `import … from './chunk.js'`. */
function staticallyLoaded(entry: string): string[] {
  const seen = new Set<string>()
  const visit = (file: string) => {
    if (seen.has(file)) return
    seen.add(file)
    const text = readFileSync(join(dist, file), 'utf8')
    for (const match of text.matchAll(/(?:^|[;\s}])import\s*(?:[^'"()]*?from\s*)?['"]\.\/([^'"]+\.js)['"]/g)) visit(match[1]!)
  }
  visit(entry)
  return [...seen]
}

export default async function bundleBench(report: (name: string, value: number, unit: string, target?: number) => void): Promise<void> {
  if (!existsSync(bundle)) throw new Error(`No plugin bundle at ${bundle}: run \`pnpm build:plugin\` first (the root \`pnpm bench\` does).`)
  const all = readdirSync(dist).filter((file) => file.endsWith('.js'))
  const atStart = staticallyLoaded('index.js')
  const size = (files: string[]) => files.reduce((total, file) => total + statSync(join(dist, file)).size, 0)
  report(`plugin bundle loaded at start: dist/index.js + ${atStart.length - 1} static chunk(s) (zod external)`, kilobytes(size(atStart)), 'KB', 300)
  report('plugin bundle loaded at start, gzipped', kilobytes(atStart.reduce((total, file) => total + gzipSync(readFileSync(join(dist, file))).byteLength, 0)), 'KB')
  report(`plugin bundle loaded on first use (import(): the mission report code), ${all.length - atStart.length} chunk(s)`, kilobytes(size(all.filter((file) => !atStart.includes(file)))), 'KB')
}
