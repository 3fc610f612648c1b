import { join } from 'node:path'

/** Where the plugin keeps its state inside a project (config `missionDirectory`). */
export const DEFAULT_MISSION_DIRECTORY = '.opencode/orchestrator'

/** Paths of one mission's files, as the plugin writes them. */
export interface MissionFiles {
  /** `<root>/missions/<id>.json`: the journal (the mission's durable record). */
  journal: string
  /** `<root>/missions/<id>/todo.md`: the plan a person can read and edit. */
  todo: string
  /** `<root>/missions/<id>/report.html`: the report (written at the end of every mission). */
  report: string
  /** `<root>/missions/<id>/timeline.json`: what the report is drawn from. */
  timeline: string
  /** `<root>/missions/<id>/events.jsonl`: the mission's event log. */
  events: string
}

/** The folder holding every mission journal of a project. */
export function missionsDirectory(projectDirectory: string, missionDirectory: string = DEFAULT_MISSION_DIRECTORY): string {
  return join(projectDirectory, missionDirectory, 'missions')
}

export function missionFiles(missions: string, missionId: string): MissionFiles {
  const folder = join(missions, missionId)
  return {
    journal: join(missions, `${missionId}.json`),
    todo: join(folder, 'todo.md'),
    report: join(folder, 'report.html'),
    timeline: join(folder, 'timeline.json'),
    events: join(folder, 'events.jsonl'),
  }
}
