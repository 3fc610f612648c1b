import { describe, expect, it } from 'vitest'
import { demoEnvironment, runEnvironment } from './launch-environment'

const plugin = 'file:///opt/cli/node_modules/opencode-orchestrator/dist/index.js'

describe('runEnvironment', () => {
  it("keeps the user's environment (HOME, keys, XDG) and adds the plugin through OPENCODE_CONFIG_CONTENT", () => {
    const env = runEnvironment({ HOME: '/home/ada', ANTHROPIC_API_KEY: 'k', XDG_CONFIG_HOME: '/home/ada/.config', UNSET: undefined }, { pluginUrl: plugin })
    expect(env).toMatchObject({ HOME: '/home/ada', ANTHROPIC_API_KEY: 'k', XDG_CONFIG_HOME: '/home/ada/.config', OPENCODE_DISABLE_AUTOUPDATE: '1' })
    expect('UNSET' in env).toBe(false)
    expect(JSON.parse(env.OPENCODE_CONFIG_CONTENT!)).toEqual({ plugin: [plugin] })
  })

  it('sets the model from --model and extends a config content the user already has', () => {
    const env = runEnvironment({ OPENCODE_CONFIG_CONTENT: JSON.stringify({ plugin: ['their-plugin', plugin], theme: 'x' }), OPENCODE_DISABLE_AUTOUPDATE: '0' }, { pluginUrl: plugin, model: 'a/b' })
    expect(JSON.parse(env.OPENCODE_CONFIG_CONTENT!)).toEqual({ plugin: ['their-plugin', plugin], theme: 'x', model: 'a/b' })
    // An explicit choice of the user wins over the runner's default.
    expect(env.OPENCODE_DISABLE_AUTOUPDATE).toBe('0')
  })

  it('rejects a config content that is not a JSON object, naming the variable', () => {
    expect(() => runEnvironment({ OPENCODE_CONFIG_CONTENT: '{oops' }, { pluginUrl: plugin })).toThrow(/OPENCODE_CONFIG_CONTENT in your environment is not valid JSON/)
    expect(() => runEnvironment({ OPENCODE_CONFIG_CONTENT: '[1]' }, { pluginUrl: plugin })).toThrow(/must be a JSON object/)
  })
})

describe('demoEnvironment', () => {
  it("hides the user's OpenCode setup: isolated HOME and XDG dirs, no inherited OPENCODE_ variables", () => {
    const env = demoEnvironment({ PATH: '/bin', HOME: '/home/ada', XDG_DATA_HOME: '/d', OPENCODE_CONFIG: '/home/ada/oc.json' }, { home: '/tmp/h', config: { model: 'fake/fake-model' } })
    expect(env).toEqual({
      PATH: '/bin',
      HOME: '/tmp/h',
      XDG_CONFIG_HOME: '/tmp/h/.config',
      XDG_DATA_HOME: '/tmp/h/.local/share',
      XDG_CACHE_HOME: '/tmp/h/.cache',
      XDG_STATE_HOME: '/tmp/h/.local/state',
      OPENCODE_DISABLE_AUTOUPDATE: '1',
      OPENCODE_DISABLE_SHARE: '1',
      OPENCODE_DISABLE_MODELS_FETCH: '1',
      OPENCODE_DISABLE_LSP_DOWNLOAD: '1',
      OPENCODE_DISABLE_CLAUDE_CODE: '1',
      OPENCODE_CONFIG_CONTENT: '{"model":"fake/fake-model"}',
    })
  })
})
