import { describe, expect, it } from 'vitest'
import { promptParts } from './prompt-parts'

describe('promptParts', () => {
  it('shows the headline of an orchestrator prompt and hides the details from the transcript', () => {
    const wake = '[orchestrator] 2 delegated tasks ended.\n\n## task_1 · worker · completed\nDone.\n\n<mission-step>\nstate: waiting\n</mission-step>'
    expect(promptParts(wake)).toEqual([
      { type: 'text', text: '[orchestrator] 2 delegated tasks ended.' },
      { type: 'text', text: '## task_1 · worker · completed\nDone.\n\n<mission-step>\nstate: waiting\n</mission-step>', synthetic: true },
    ])
  })

  it('the model gets every character: the parts joined give back the prompt', () => {
    const text = '[orchestrator] The mission continues: 1 todo open\n\nNext: dispatch.\n\n<mission-step>\n</mission-step>'
    expect(promptParts(text).map((part) => part.text).join('\n\n')).toBe(text)
  })

  it('leaves a one-paragraph orchestrator note and any other prompt whole and visible', () => {
    expect(promptParts('[orchestrator] Mission stopped.')).toEqual([{ type: 'text', text: '[orchestrator] Mission stopped.' }])
    expect(promptParts('Implement t1\n\n(Mission goal: x)')).toEqual([{ type: 'text', text: 'Implement t1\n\n(Mission goal: x)' }])
  })
})
