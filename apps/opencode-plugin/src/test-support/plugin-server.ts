import { startOpencodeServer, startScriptedModel, type OpencodeServer, type ScriptedModel } from '@opencode-orchestrator/testing'

/** The built bundle, loaded by OpenCode as a user's `plugin` entry would load it. */
export const PLUGIN_URL = new URL('../../dist/index.js', import.meta.url).href

export interface PluginServer {
  model: ScriptedModel
  server: OpencodeServer
}

/**
 * A scripted model and a real OpenCode server with the built plugin, its options
 * given through the plugin tuple as a user would write them in `opencode.json`.
 * Start fails unless the plugin's tools are registered (a plugin that throws at
 * init is skipped by OpenCode, silently).
 */
export async function startPluginServer(
  options: { pluginOptions?: Record<string, unknown>; expectTools?: string[]; env?: Record<string, string>; /** Extra OpenCode config (e.g. `compaction`, a second provider at the model's URL), merged over the harness's. */ config?: Record<string, unknown> | ((model: ScriptedModel) => Record<string, unknown>) } = {},
): Promise<PluginServer> {
  const model = await startScriptedModel()
  try {
    const server = await startOpencodeServer({
      modelBaseURL: model.baseURL,
      config: { ...(typeof options.config === 'function' ? options.config(model) : options.config), plugin: [options.pluginOptions ? [PLUGIN_URL, options.pluginOptions] : PLUGIN_URL] },
      ...(options.env ? { env: options.env } : {}),
      expectTools: options.expectTools ?? ['orchestrator_delegate', 'orchestrator_todo_write'],
    })
    return { model, server }
  } catch (error) {
    await model.close()
    throw error
  }
}

/** Disposes what {@link startPluginServer} started; safe after a failed start. */
export async function stopPluginServer(started: Partial<PluginServer>): Promise<void> {
  await started.server?.dispose()
  await started.model?.close()
}
