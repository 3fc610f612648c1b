import { formatDuration } from '@opencode-orchestrator/core'
import { escapeHtml } from './escape-html'
import { formatOffset } from './format-duration'
import { formatInteger } from './format-integer'
import type { MissionTimeline, TimelineLane, TimelineMarker, TimelineSpan } from './mission-timeline'
import { timeTicks } from './time-ticks'

/** Options of {@link renderTimelineSvg}. */
export interface RenderTimelineSvgOptions {
  /** Width of the drawing in CSS pixels; the SVG scales down with its container. Default 1200. */
  width?: number
}

/** Lane geometry by lane count: many sessions get thinner lanes so 50+ still fit on a screen or two. */
function laneMetrics(count: number): { height: number; fontSize: number } {
  if (count <= 8) return { height: 44, fontSize: 13 }
  if (count <= 12) return { height: 36, fontSize: 12.5 }
  if (count <= 24) return { height: 26, fontSize: 11.5 }
  if (count <= 40) return { height: 19, fontSize: 10.5 }
  return { height: 15, fontSize: 9.5 }
}

const LABEL_WIDTH = 260
const AXIS_HEIGHT = 30
const PHASE_HEIGHT = 14
const FOOTER_HEIGHT = 26
const MIN_BAR_WIDTH = 2

/** Marker kinds drawn inside one session's lane; the rest span every lane. */
const SESSION_MARKERS = new Set(['recovery-start', 'recovery-end', 'mission-continue', 'mission-wake'])
const TERMINAL_MARKERS = new Set(['mission-seal', 'mission-stop', 'mission-fail'])

const round = (value: number) => Math.round(value * 10) / 10

/**
 * The timeline as inline SVG: a time axis, the mission's phases, one labelled
 * lane per session (`data-lane="<sessionId>"`) with bars for model turns and
 * tool calls, and markers. Every bar and marker carries a `<title>` tooltip;
 * nothing needs a script.
 */
export function renderTimelineSvg(timeline: MissionTimeline, options: RenderTimelineSvgOptions = {}): string {
  const width = Math.max(640, options.width ?? 1200)
  const { height: laneHeight, fontSize } = laneMetrics(timeline.lanes.length)
  const hasPhases = timeline.phases.length > 0
  const plotLeft = LABEL_WIDTH + 10
  const plotRight = width - 18
  const plotWidth = plotRight - plotLeft
  const lanesTop = AXIS_HEIGHT + (hasPhases ? PHASE_HEIGHT + 6 : 4)
  const lanesBottom = lanesTop + laneHeight * timeline.lanes.length
  const height = lanesBottom + FOOTER_HEIGHT
  const duration = Math.max(1, timeline.end - timeline.start)
  const x = (time: number) => round(plotLeft + ((Math.min(Math.max(time, timeline.start), timeline.end) - timeline.start) / duration) * plotWidth)
  const clock = (time: number) => `+${formatOffset(time - timeline.start)}`
  const laneIndex = new Map(timeline.lanes.map((lane, index) => [lane.sessionId, index]))

  const parts: string[] = []
  parts.push(
    `<svg class="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-labelledby="timeline-title" style="--lane-font:${fontSize}px">`,
    `<title id="timeline-title">Timeline of mission ${escapeHtml(timeline.mission.id)}: ${timeline.lanes.length} sessions over ${escapeHtml(formatDuration(duration))}</title>`,
    '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" class="hatch-bg"/><line x1="0" y1="0" x2="0" y2="6" class="hatch-line"/></pattern></defs>',
  )

  // Lane backgrounds and labels first, so grid lines, bars and markers sit above them.
  parts.push('<g class="lanes">')
  timeline.lanes.forEach((lane, index) => parts.push(renderLane({ lane, index, top: lanesTop + index * laneHeight, laneHeight, fontSize, width, plotLeft })))
  parts.push('</g>')

  // Axis with ticks and grid lines.
  const maxTicks = Math.max(4, Math.floor(plotWidth / 90))
  parts.push('<g class="axis">')
  parts.push(`<line class="axis-line" x1="${plotLeft}" y1="${AXIS_HEIGHT}" x2="${plotRight}" y2="${AXIS_HEIGHT}"/>`)
  for (const offset of timeTicks(duration, maxTicks)) {
    const tickX = x(timeline.start + offset)
    parts.push(
      `<line class="grid" x1="${tickX}" y1="${AXIS_HEIGHT}" x2="${tickX}" y2="${lanesBottom}"/>`,
      `<line class="tick" x1="${tickX}" y1="${AXIS_HEIGHT - 5}" x2="${tickX}" y2="${AXIS_HEIGHT}"/>`,
      `<text class="tick-label" x="${tickX}" y="${AXIS_HEIGHT - 9}" text-anchor="middle">${escapeHtml(formatOffset(offset))}</text>`,
    )
  }
  parts.push(`<text class="axis-caption" x="${LABEL_WIDTH}" y="${AXIS_HEIGHT - 9}" text-anchor="end">time since start</text>`)
  parts.push('</g>')

  if (hasPhases) {
    const top = AXIS_HEIGHT + 4
    parts.push('<g class="phases">')
    parts.push(`<text class="phase-caption" x="${LABEL_WIDTH}" y="${top + PHASE_HEIGHT - 3.5}" text-anchor="end">mission state</text>`)
    for (const phase of timeline.phases) {
      const left = x(phase.start)
      const barWidth = Math.max(1, round(x(phase.end) - left))
      const tooltip = `${phase.state}: ${clock(phase.start)} → ${clock(phase.end)} (${formatDuration(phase.end - phase.start)})`
      parts.push(
        `<g class="phase phase-${escapeHtml(phase.state)}"><title>${escapeHtml(tooltip)}</title><rect x="${left}" y="${top}" width="${barWidth}" height="${PHASE_HEIGHT}" rx="2"/>`,
      )
      // A label only where it fits; the tooltip carries it everywhere.
      if (barWidth > phase.state.length * 6.2 + 8) {
        parts.push(`<text x="${round(left + barWidth / 2)}" y="${top + PHASE_HEIGHT - 3.5}" text-anchor="middle">${escapeHtml(phase.state)}</text>`)
      }
      parts.push('</g>')
    }
    parts.push('</g>')
  }

  // Bars: the whole-session fallback first, then turns, then tool calls on top.
  parts.push('<g class="spans">')
  const order: Record<TimelineSpan['kind'], number> = { session: 0, turn: 1, tool: 2 }
  timeline.lanes.forEach((lane, index) => {
    const top = lanesTop + index * laneHeight
    const spans = [...lane.spans].sort((a, b) => order[a.kind] - order[b.kind] || a.start - b.start)
    for (const span of spans) parts.push(renderSpan({ span, lane, top, laneHeight, x, clock }))
  })
  parts.push('</g>')

  // Markers: mission-wide lines first so the per-lane symbols stay visible on top.
  const wide = timeline.markers.filter((marker) => !SESSION_MARKERS.has(marker.kind) || marker.sessionId === undefined || !laneIndex.has(marker.sessionId))
  const inLane = timeline.markers.filter((marker) => !wide.includes(marker))
  parts.push('<g class="markers">')
  // Only how the mission ended gets a caption under the lanes; other lines keep theirs in the tooltip.
  let captionRight = Number.NEGATIVE_INFINITY
  for (const marker of wide) {
    const markerX = x(marker.at)
    const caption = TERMINAL_MARKERS.has(marker.kind) ? `${marker.label} · ${clock(marker.at)}` : undefined
    let text = ''
    if (caption) {
      const captionWidth = caption.length * 6.4
      const anchor = markerX > plotRight - captionWidth / 2 ? 'end' : markerX < plotLeft + captionWidth / 2 ? 'start' : 'middle'
      const left = anchor === 'end' ? markerX - captionWidth : anchor === 'start' ? markerX : markerX - captionWidth / 2
      // Captions that would overlap the previous one are left to the tooltip.
      if (left > captionRight + 6) {
        captionRight = left + captionWidth
        text = `<text x="${markerX}" y="${lanesBottom + 17}" text-anchor="${anchor}">${escapeHtml(caption)}</text>`
      }
    }
    parts.push(
      `<g class="marker marker-${marker.kind}" data-marker="${marker.kind}"><title>${escapeHtml(markerTooltip(marker, clock))}</title>`,
      `<line x1="${markerX}" y1="${AXIS_HEIGHT}" x2="${markerX}" y2="${lanesBottom + (caption ? 4 : 0)}"/>`,
      `<rect class="marker-hit" x="${round(markerX - 4)}" y="${AXIS_HEIGHT}" width="8" height="${lanesBottom - AXIS_HEIGHT}"/>`,
      text,
      '</g>',
    )
  }
  for (const marker of inLane) {
    const index = laneIndex.get(marker.sessionId ?? '') ?? 0
    parts.push(renderLaneMarker({ marker, top: lanesTop + index * laneHeight, laneHeight, x: x(marker.at), clock }))
  }
  parts.push('</g>')

  parts.push(`<rect class="frame" x="${plotLeft}" y="${lanesTop}" width="${plotWidth}" height="${lanesBottom - lanesTop}"/>`)
  parts.push('</svg>')
  return parts.join('')
}

interface LaneRenderInput {
  lane: TimelineLane
  index: number
  top: number
  laneHeight: number
  fontSize: number
  width: number
  plotLeft: number
}

function renderLane({ lane, index, top, laneHeight, fontSize, width, plotLeft }: LaneRenderInput): string {
  const indent = Math.min(lane.depth, 3) * 12
  const dotRadius = Math.min(4.5, laneHeight * 0.2)
  const textX = 12 + indent + dotRadius * 2 + 6
  // Average glyph width of common UI fonts is about half an em; cut the label to the column with an ellipsis.
  const maxChars = Math.max(6, Math.floor((LABEL_WIDTH - textX - 4) / (fontSize * 0.53)))
  const shown = lane.label.length > maxChars ? `${lane.label.slice(0, maxChars - 1).trimEnd()}…` : lane.label
  const stats = [
    lane.label,
    `session ${lane.sessionId}`,
    lane.source === 'messages'
      ? `${lane.turns} model turn${lane.turns === 1 ? '' : 's'}, ${lane.toolCalls} tool call${lane.toolCalls === 1 ? '' : 's'}${lane.errors ? `, ${lane.errors} error${lane.errors === 1 ? '' : 's'}` : ''}`
      : 'messages unavailable: drawn from the journal',
    lane.tokens > 0 ? `${formatInteger(lane.tokens)} tokens${lane.costUsd > 0 ? ` · $${lane.costUsd.toFixed(4)}` : ''}` : undefined,
  ]
    .filter((line) => line !== undefined)
    .join('\n')
  const agentClass = `agent-${lane.agent.replace(/[^a-z0-9-]/gi, '').toLowerCase() || 'other'}`
  const middle = round(top + laneHeight / 2)
  return [
    `<g class="lane ${index % 2 === 0 ? 'lane-even' : 'lane-odd'} ${agentClass}" data-lane="${escapeHtml(lane.sessionId)}" data-agent="${escapeHtml(lane.agent)}">`,
    `<title>${escapeHtml(stats)}</title>`,
    `<rect class="lane-bg" x="0" y="${top}" width="${width}" height="${laneHeight}"/>`,
    // A child's elbow to its parent's column, so nesting reads like a tree.
    lane.depth > 0 ? `<path class="lane-tree" d="M${indent + 2} ${top}V${middle}H${round(indent + 9)}"/>` : '',
    `<circle class="lane-dot" cx="${round(12 + indent + dotRadius)}" cy="${middle}" r="${round(dotRadius)}"/>`,
    `<text class="lane-label" x="${round(textX)}" y="${middle}" dominant-baseline="central">${escapeHtml(shown)}</text>`,
    `<line class="lane-divider" x1="${plotLeft}" y1="${top + laneHeight}" x2="${width}" y2="${top + laneHeight}"/>`,
    '</g>',
  ].join('')
}

interface SpanRenderInput {
  span: TimelineSpan
  lane: TimelineLane
  top: number
  laneHeight: number
  x: (time: number) => number
  clock: (time: number) => string
}

function renderSpan({ span, lane, top, laneHeight, x, clock }: SpanRenderInput): string {
  const left = x(span.start)
  const barWidth = Math.max(MIN_BAR_WIDTH, round(x(span.end) - left))
  // Turns on the upper track, tool calls on the lower one, so a tool call never hides its turn.
  const [offset, size] = span.kind === 'tool' ? [0.58, 0.3] : span.kind === 'turn' ? [0.16, 0.38] : [0.2, 0.6]
  const y = round(top + laneHeight * offset)
  const barHeight = round(Math.max(3, laneHeight * size))
  const kindText = span.kind === 'tool' ? 'tool call' : span.kind === 'turn' ? 'model turn' : 'session'
  const tooltip = [
    `${lane.label}`,
    `${kindText}: ${span.label}${span.status === 'open' ? ' — not finished when recorded' : ''}`,
    `${clock(span.start)} → ${clock(span.end)} (${formatDuration(span.end - span.start)})`,
    span.detail,
  ]
    .filter((line) => line !== undefined && line !== '')
    .join('\n')
  return `<rect class="span span-${span.kind} status-${span.status}" x="${left}" y="${y}" width="${barWidth}" height="${barHeight}" rx="${span.kind === 'tool' ? 1.5 : 2.5}"><title>${escapeHtml(tooltip)}</title></rect>`
}

interface LaneMarkerRenderInput {
  marker: TimelineMarker
  top: number
  laneHeight: number
  x: number
  clock: (time: number) => string
}

function renderLaneMarker({ marker, top, laneHeight, x, clock }: LaneMarkerRenderInput): string {
  const size = round(Math.max(3.5, Math.min(6, laneHeight * 0.2)))
  const y = round(top + size + 1.5)
  const shape = markerShape(marker.kind, x, y, size)
  return [
    `<g class="marker marker-${marker.kind}" data-marker="${marker.kind}"><title>${escapeHtml(markerTooltip(marker, clock))}</title>`,
    `<line x1="${x}" y1="${top + 1}" x2="${x}" y2="${top + laneHeight - 1}"/>`,
    shape,
    '</g>',
  ].join('')
}

/** The symbol of a marker; the report's legend draws the same shapes. */
export function markerShape(kind: TimelineMarker['kind'], x: number, y: number, size: number): string {
  switch (kind) {
    case 'recovery-start':
      return `<path class="marker-symbol" d="M${x} ${round(y - size)}L${round(x + size)} ${y}L${x} ${round(y + size)}L${round(x - size)} ${y}Z"/>`
    case 'recovery-end':
      return `<circle class="marker-symbol" cx="${x}" cy="${y}" r="${round(size * 0.85)}"/>`
    case 'mission-continue':
      return `<path class="marker-symbol" d="M${round(x - size * 0.8)} ${round(y - size)}L${round(x + size)} ${y}L${round(x - size * 0.8)} ${round(y + size)}Z"/>`
    case 'mission-wake':
      return `<path class="marker-symbol" d="M${round(x - size)} ${round(y - size * 0.8)}L${round(x + size)} ${round(y - size * 0.8)}L${x} ${round(y + size)}Z"/>`
    default:
      return `<rect class="marker-symbol" x="${round(x - size * 0.5)}" y="${round(y - size)}" width="${size}" height="${round(size * 2)}"/>`
  }
}

function markerTooltip(marker: TimelineMarker, clock: (time: number) => string): string {
  return [`${marker.label} · ${clock(marker.at)}`, marker.detail].filter((line) => line !== undefined && line !== '').join('\n')
}
