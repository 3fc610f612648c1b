import { OrchestratorError } from '@opencode-orchestrator/core'
import { describe, expect, it } from 'vitest'
import { buildMissionTimeline } from './build-mission-timeline'
import { parseMissionTimeline } from './parse-mission-timeline'
import { sampleMission } from './sample-mission.test-helper'

describe('parseMissionTimeline', () => {
  it('reads back what buildMissionTimeline wrote', () => {
    const timeline = buildMissionTimeline(sampleMission())
    expect(parseMissionTimeline(JSON.stringify(timeline))).toEqual(timeline)
  })

  it('names the first bad field', () => {
    const timeline = JSON.parse(JSON.stringify(buildMissionTimeline(sampleMission())))
    timeline.lanes[2].spans[0].start = 'soon'
    let error: unknown
    try {
      parseMissionTimeline(JSON.stringify(timeline), 'missions/mission_sample/timeline.json')
    } catch (caught) {
      error = caught
    }
    expect(OrchestratorError.hasCode(error, 'journal-corrupt')).toBe(true)
    expect((error as Error).message).toMatch(/^missions\/mission_sample\/timeline\.json is not a mission timeline: field "lanes\.2\.spans\.0\.start"/)
  })

  it('says when the file is not JSON or comes from a newer version', () => {
    expect(() => parseMissionTimeline('{"version":1,')).toThrow(/timeline\.json is not valid JSON/)
    expect(() => parseMissionTimeline('{"version":7}')).toThrow(/timeline version 7.*Upgrade opencode-orchestrator/)
  })
})
