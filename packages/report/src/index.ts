export { buildMissionTimeline, agentLabel } from './build-mission-timeline'
export type { BuildMissionTimelineOptions } from './build-mission-timeline'
export { renderMissionReport } from './render-mission-report'
export type { RenderMissionReportOptions } from './render-mission-report'
export { renderTimelineSvg } from './render-timeline-svg'
export type { RenderTimelineSvgOptions } from './render-timeline-svg'
export { MISSION_TIMELINE_VERSION } from './mission-timeline'
export type {
  MissionTimeline,
  TimelineLane,
  TimelineLaneSource,
  TimelineMarker,
  TimelineMarkerKind,
  TimelineMission,
  TimelinePhase,
  TimelineSpan,
  TimelineSpanKind,
  TimelineSpanStatus,
  TimelineTask,
  TimelineWorktrees,
  TimelineTodo,
} from './mission-timeline'
export { parseMissionTimeline } from './parse-mission-timeline'
export { MISSION_EVENT_LOG_TYPES, isMissionEventLogType, toMissionEventLogEntry } from './mission-event-log-entry'
export type { MissionEventLogEntry, MissionEventLogPayload, MissionEventLogType } from './mission-event-log-entry'
export { parseMissionEventLog } from './parse-mission-event-log'
export type { MissionEventLogProblem, ParsedMissionEventLog } from './parse-mission-event-log'
export { escapeHtml } from './escape-html'
