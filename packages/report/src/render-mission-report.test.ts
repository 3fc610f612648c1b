import { describe, expect, it } from 'vitest'
import { buildMissionTimeline } from './build-mission-timeline'
import { escapeHtml } from './escape-html'
import { renderMissionReport } from './render-mission-report'
import { sampleMission, wideMission } from './sample-mission.test-helper'

const count = (html: string, pattern: RegExp) => html.match(pattern)?.length ?? 0

describe('renderMissionReport', () => {
  it('is one self-contained page: no scripts, no external assets', () => {
    const html = renderMissionReport(buildMissionTimeline(sampleMission()))
    expect(html.startsWith('<!doctype html>')).toBe(true)
    expect(html).not.toMatch(/<script/i)
    expect(html).not.toMatch(/\b(?:src|href)="(?!data:)/i)
    expect(html).not.toMatch(/url\((?!#)/i)
    expect(html).toContain("default-src 'none'")
  })

  it('escapes every untrusted string: a goal with <script> yields no script element', () => {
    const input = sampleMission()
    const evil = '</title><script>alert(1)</script><img src=x onerror=alert(2)>'
    const mission = {
      ...input.mission,
      goal: `Build it ${evil}`,
      todos: input.mission.todos.map((todo) => ({ ...todo, title: `${todo.title} ${evil}`, evidence: { ...todo.evidence!, summary: evil } })),
      tasks: input.mission.tasks.map((task) => ({ ...task, title: `"${evil}'`, result: evil })),
    }
    const messages = Object.fromEntries(
      Object.entries(input.messages).map(([sessionId, list]) => [
        sessionId,
        list.map((message) => ({ ...message, text: evil, toolCalls: message.toolCalls.map((call) => ({ ...call, tool: `bash${evil}`, input: { command: evil } })) })),
      ]),
    )
    const html = renderMissionReport(buildMissionTimeline({ ...input, mission, messages }))
    expect(html).not.toMatch(/<script/i)
    expect(html).not.toMatch(/<img/i)
    expect(html).not.toMatch(/<\/title><script/i)
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
  })

  it('lists the worktrees and branches a mission left, and where its result landed', () => {
    const input = sampleMission()
    const mission = {
      ...input.mission,
      workspaces: {
        end: {
          landing: { kind: 'branch' as const, branch: 'orchestrator/m1' },
          left: [
            { branch: 'orchestrator/m1--t2', path: '/r/.git/orchestrator/worktrees/m1/w2', taskId: 't2', reason: 'merge conflict in <a>.ts with t1' },
            { branch: 'orchestrator/m1', reason: "the mission's result" },
          ],
        },
      },
    }
    const timeline = buildMissionTimeline({ ...input, mission })
    expect(timeline.worktrees?.landing).toBe('The mission\'s result is on branch orchestrator/m1 (config onSeal "branch"); review it, then merge it: git merge orchestrator/m1')
    const html = renderMissionReport(timeline)
    expect(html).toContain('<h2>Worktrees</h2>')
    expect(html).toContain('<code>orchestrator/m1--t2</code>')
    expect(html).toContain('merge conflict in &lt;a&gt;.ts with t1')
    expect(renderMissionReport(buildMissionTimeline(input))).not.toContain('<h2>Worktrees</h2>')
  })

  it('draws one lane per session with a stable data-lane id', () => {
    const timeline = buildMissionTimeline(sampleMission())
    const html = renderMissionReport(timeline)
    expect(count(html, /data-lane="/g)).toBe(timeline.lanes.length)
    for (const lane of timeline.lanes) expect(html).toContain(`data-lane="${lane.sessionId}"`)
  })

  it('has a todo row per todo with its evidence, and a task row per task', () => {
    const timeline = buildMissionTimeline(sampleMission())
    const html = renderMissionReport(timeline)
    expect(count(html, /<tr data-todo="/g)).toBe(4)
    expect(count(html, /<tr data-task="/g)).toBe(5)
    expect(html).toContain('14 tests, including unicode folding')
    // Long evidence folds away behind its first words.
    expect(html).toMatch(/<details class="fold"><summary>Ran `pnpm test`: 212 passed/)
  })

  it('draws bars with tooltips for turns and tool calls and a marker per event', () => {
    const timeline = buildMissionTimeline(sampleMission())
    const html = renderMissionReport(timeline)
    const spans = timeline.lanes.flatMap((lane) => lane.spans)
    // Only the timeline drawing: the legend repeats the bar styles.
    const svg = html.slice(html.indexOf('<svg class="timeline"'), html.indexOf('</svg>', html.indexOf('<svg class="timeline"')))
    expect(count(svg, /<rect class="span span-turn/g)).toBe(spans.filter((span) => span.kind === 'turn').length)
    expect(count(svg, /<rect class="span span-tool/g)).toBe(spans.filter((span) => span.kind === 'tool').length)
    expect(count(svg, /<g class="marker /g)).toBe(timeline.markers.length)
    expect(html).toMatch(/<rect class="span span-turn status-error"[^>]*><title>Worker · t1: slugify module\nmodel turn: turn failed \(APIError\)/)
  })

  it('scales lanes down for many sessions and keeps one lane each', () => {
    const timeline = buildMissionTimeline(wideMission(60))
    const html = renderMissionReport(timeline)
    expect(count(html, /data-lane="/g)).toBe(61)
    const height = Number(/<svg class="timeline"[^>]* height="(\d+)"/.exec(html)?.[1])
    expect(height).toBeLessThan(61 * 16 + 120)
  })

  it('renders a mission with no todos, tasks or messages', () => {
    const input = sampleMission()
    const mission = { ...input.mission, todos: [], tasks: [], sessions: [], state: 'failed' as const, end: { at: input.mission.createdAt + 5, reason: '401 <Unauthorized>' } }
    const html = renderMissionReport(buildMissionTimeline({ mission, messages: {}, events: [], generatedAt: mission.createdAt + 10 }))
    expect(count(html, /data-lane="/g)).toBe(1)
    expect(html).toContain('The mission has no todos.')
    expect(html).toContain('401 &lt;Unauthorized&gt;')
  })
})

describe('escapeHtml', () => {
  it('escapes the five HTML-significant characters and drops control characters', () => {
    expect(escapeHtml(`<a href="x">'&'</a>\u0000\u001b[31m`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;[31m')
    expect(escapeHtml('line 1\nline 2\ttab')).toBe('line 1\nline 2\ttab')
  })
})
