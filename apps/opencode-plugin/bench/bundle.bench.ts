/**
 * Size of the published plugin bundle (`pnpm bench bundle`; the root `bench`
 * script builds it first). Every user downloads it and OpenCode's Bun parses
 * it at every start.
 */
import { existsSync, readFileSync, statSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { fileURLToPath } from 'node:url'

const bundle = fileURLToPath(new URL('../dist/index.js', import.meta.url))

export default async function bundleBench(report: (name: string, value: number, unit: string, target?: number) => void): Promise<void> {
  if (!existsSync(bundle)) throw new Error(`No plugin bundle at ${bundle}: run \`pnpm build:plugin\` first (the root \`pnpm bench\` does).`)
  report('plugin bundle dist/index.js (zod external)', Math.round((statSync(bundle).size / 1024) * 10) / 10, 'KB', 300)
  report('plugin bundle, gzipped', Math.round((gzipSync(readFileSync(bundle)).byteLength / 1024) * 10) / 10, 'KB')
}
