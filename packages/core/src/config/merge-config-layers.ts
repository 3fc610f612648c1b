/** Merging config layers (user, project, plugin options) before validation. */
import type { OrchestratorConfigInput } from './config-schema'

const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype'])

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const prototype = Object.getPrototypeOf(value) as unknown
  return prototype === Object.prototype || prototype === null
}

function mergeTwo(base: unknown, layer: unknown): unknown {
  if (layer === undefined) return base
  if (!isPlainObject(base) || !isPlainObject(layer)) return layer
  const merged: Record<string, unknown> = { ...base }
  for (const [key, value] of Object.entries(layer)) {
    if (UNSAFE_KEYS.has(key) || value === undefined) continue
    merged[key] = mergeTwo(merged[key], value)
  }
  return merged
}

/**
 * Merges config layers, lowest precedence first (user level, then project
 * level, then plugin options): objects merge key by key, anything else
 * (numbers, strings, arrays) is replaced by the later layer. `undefined`
 * layers and values are skipped. The result is not validated.
 */
export function mergeConfigLayers(...layers: unknown[]): OrchestratorConfigInput {
  let merged: unknown = {}
  for (const layer of layers) merged = mergeTwo(merged, layer)
  return merged as OrchestratorConfigInput
}
