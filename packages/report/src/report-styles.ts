/**
 * The report's stylesheet, inlined into every page so the file stands alone.
 * Colours live in custom properties; the SVG timeline uses the same ones, so
 * the legend, the bars and the dark scheme cannot drift apart.
 */
export const REPORT_STYLES = `
:root {
  color-scheme: light dark;
  --bg: #f5f6fa; --panel: #ffffff; --text: #1c2030; --muted: #687084; --border: #e2e5ee; --soft: #f0f2f7;
  --lane-even: #ffffff; --lane-odd: #f7f8fb; --grid: #e9ecf3;
  --turn: #5b5bd6; --tool: #12a594; --error: #e5484d; --session: #9aa3b5;
  --recovery-start: #f76b15; --recovery-end: #2b9a66; --continue: #8e4ec6; --wake: #0588f0;
  --seal: #2b9a66; --stop: #c2740a; --fail: #e5484d;
  --commander: #1c2030; --planner: #a855f7; --worker: #0ea5e9; --reviewer: #eab308; --other: #94a3b8;
  --phase-planning: #e6e4fb; --phase-dispatching: #dcecfd; --phase-waiting: #eceef3; --phase-reviewing: #fdf0cf;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #111318; --panel: #191c23; --text: #e6e8ef; --muted: #9aa1b2; --border: #2b303b; --soft: #20242d;
    --lane-even: #191c23; --lane-odd: #1d2029; --grid: #262a34; --commander: #e6e8ef;
    --phase-planning: #2b2a4a; --phase-dispatching: #1c3350; --phase-waiting: #252932; --phase-reviewing: #40341a;
  }
}
* { box-sizing: border-box; }
html { background: var(--bg); }
body { margin: 0; color: var(--text); font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif; }
code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 0.92em; }
.page { max-width: 1280px; margin: 0 auto; padding: 28px 24px 40px; }
h2 { font-size: 17px; margin: 0 0 10px; letter-spacing: -0.01em; }
section { margin-top: 26px; }
.muted { color: var(--muted); }
.hero { background: var(--panel); border: 1px solid var(--border); border-radius: 12px; padding: 20px 24px; }
.eyebrow { margin: 0 0 6px; color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: 0.06em; }
.goal { margin: 0; font-size: 22px; line-height: 1.3; letter-spacing: -0.015em; overflow-wrap: anywhere; }
.full-goal { margin-top: 8px; }
.full-goal pre { white-space: pre-wrap; overflow-wrap: anywhere; background: var(--soft); padding: 10px; border-radius: 8px; }
.outcome { margin: 12px 0 0; display: flex; flex-wrap: wrap; gap: 10px; align-items: center; }
.end-reason { color: var(--muted); overflow-wrap: anywhere; }
.state { display: inline-block; padding: 2px 10px; border-radius: 999px; font-weight: 600; font-size: 13px; color: #fff; background: var(--muted); }
.state-sealed { background: var(--seal); }
.state-stopped { background: var(--stop); }
.state-failed { background: var(--fail); }
.state-planning, .state-dispatching, .state-waiting, .state-reviewing { background: var(--turn); }
.summary { margin-top: 16px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 10px; }
.card { background: var(--panel); border: 1px solid var(--border); border-radius: 10px; padding: 10px 14px; }
.card-label { color: var(--muted); font-size: 12px; }
.card-value { font-size: 21px; font-weight: 650; font-variant-numeric: tabular-nums; letter-spacing: -0.01em; }
.card-hint { color: var(--muted); font-size: 12px; }
.progress { margin-top: 12px; height: 6px; border-radius: 3px; background: var(--border); overflow: hidden; }
.progress-bar { height: 100%; background: var(--seal); }
.facts { display: flex; flex-wrap: wrap; gap: 6px 28px; margin: 12px 0 0; font-size: 13px; }
.facts div { display: flex; gap: 6px; min-width: 0; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; overflow-wrap: anywhere; }
.section-hint { margin: -6px 0 10px; color: var(--muted); font-size: 13px; }
.timeline-figure { margin: 0; background: var(--panel); border: 1px solid var(--border); border-radius: 12px; padding: 10px 6px 4px; overflow-x: auto; }
svg.timeline { display: block; width: 100%; height: auto; min-width: 720px; }
.timeline text { fill: var(--text); font-family: inherit; }
.lane-bg { stroke: none; }
.lane-even .lane-bg { fill: var(--lane-even); }
.lane-odd .lane-bg { fill: var(--lane-odd); }
.lane:hover .lane-bg { fill: var(--soft); }
.lane-label { font-size: var(--lane-font); }
.lane-divider { stroke: var(--grid); stroke-width: 1; }
.lane-tree { fill: none; stroke: var(--session); stroke-opacity: 0.6; stroke-width: 1; }
.lane-dot { fill: var(--other); }
.agent-commander .lane-dot { fill: var(--commander); }
.agent-planner .lane-dot { fill: var(--planner); }
.agent-worker .lane-dot { fill: var(--worker); }
.agent-reviewer .lane-dot { fill: var(--reviewer); }
.agent-commander .lane-label { font-weight: 600; }
.axis-line, .tick { stroke: var(--muted); stroke-width: 1; }
.grid { stroke: var(--grid); stroke-width: 1; }
.timeline .tick-label, .timeline .axis-caption, .timeline .phase-caption { fill: var(--muted); font-size: 11px; font-variant-numeric: tabular-nums; }
.phase rect { fill: var(--phase-waiting); }
.phase-planning rect { fill: var(--phase-planning); }
.phase-dispatching rect { fill: var(--phase-dispatching); }
.phase-reviewing rect { fill: var(--phase-reviewing); }
.timeline .phase text { font-size: 10px; fill: var(--text); opacity: 0.75; }
.frame { fill: none; stroke: var(--border); }
.span { stroke: var(--panel); stroke-width: 0.6; }
.span:hover { filter: brightness(1.18); }
.span-turn.status-ok { fill: var(--turn); }
.span-tool.status-ok { fill: var(--tool); }
.span.status-error { fill: var(--error); }
.span-turn.status-open { fill: var(--turn); fill-opacity: 0.35; stroke: var(--turn); stroke-dasharray: 3 2; stroke-width: 1; }
.span-tool.status-open { fill: var(--tool); fill-opacity: 0.35; stroke: var(--tool); stroke-dasharray: 3 2; stroke-width: 1; }
.span-session { fill: url(#hatch); stroke: var(--session); stroke-width: 1; }
.span-session.status-error { fill: var(--error); fill-opacity: 0.5; }
/* Cancelled (by a stop or a seal) is not failed: grey, hatched outline, never the error red. */
.span.status-cancelled { fill: var(--session); fill-opacity: 0.35; stroke: var(--stop); stroke-dasharray: 2 2; stroke-width: 1; }
.hatch-bg { fill: var(--soft); }
.hatch-line { stroke: var(--session); stroke-width: 2; }
.marker { color: var(--muted); }
.marker line { stroke: currentColor; stroke-width: 1.5; }
.marker-symbol { fill: currentColor; stroke: var(--panel); stroke-width: 1; }
.marker-hit { fill: transparent; stroke: none; }
.timeline .marker text { fill: currentColor; font-size: 11px; font-weight: 600; }
.marker-recovery-start { color: var(--recovery-start); }
.marker-recovery-end { color: var(--recovery-end); }
.marker-mission-continue { color: var(--continue); }
.marker-mission-wake { color: var(--wake); }
.marker-mission-seal { color: var(--seal); }
.marker-mission-stop { color: var(--stop); }
.marker-mission-fail { color: var(--fail); }
.marker-mission-seal line, .marker-mission-stop line, .marker-mission-fail line { stroke-width: 2; }
.marker-mission-stop line, .marker-mission-fail line { stroke-dasharray: 5 3; }
.legend { list-style: none; display: flex; flex-wrap: wrap; gap: 6px 18px; padding: 10px 4px 0; margin: 0; font-size: 12.5px; color: var(--muted); }
.legend li { display: flex; align-items: center; gap: 6px; }
.legend li.absent { opacity: 0.45; }
.legend-icon { flex: none; overflow: visible; }
.legend-icon line { stroke: currentColor; stroke-width: 1.5; }
.legend-icon .span:not(.status-open):not(.status-cancelled) { stroke: none; }
.table-wrap { background: var(--panel); border: 1px solid var(--border); border-radius: 12px; overflow-x: auto; }
table { width: 100%; border-collapse: collapse; font-size: 13.5px; }
th { text-align: left; font-weight: 600; color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: 0.04em; padding: 9px 12px; border-bottom: 1px solid var(--border); background: var(--soft); }
td { padding: 9px 12px; border-bottom: 1px solid var(--border); vertical-align: top; overflow-wrap: anywhere; }
tbody tr:last-child td { border-bottom: none; }
tbody tr:hover td { background: var(--soft); }
td.id, td.num { white-space: nowrap; font-variant-numeric: tabular-nums; }
td.deps { white-space: nowrap; }
td.evidence { width: 42%; }
td.result { width: 34%; }
.note, .meta { color: var(--muted); font-size: 12px; margin-top: 3px; }
.text { white-space: pre-wrap; }
.fold summary { cursor: pointer; }
.fold .text { display: block; margin-top: 6px; }
.error-text { color: var(--fail); }
.cancelled-text { color: var(--muted); }
.badge { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 600; white-space: nowrap; background: var(--soft); color: var(--muted); border: 1px solid var(--border); }
.badge-verified, .task-completed { background: color-mix(in srgb, var(--seal) 14%, transparent); color: var(--seal); border-color: color-mix(in srgb, var(--seal) 35%, transparent); }
.badge-done:not(.badge-verified), .badge-in_progress, .task-running, .task-queued { background: color-mix(in srgb, var(--turn) 12%, transparent); color: var(--turn); border-color: color-mix(in srgb, var(--turn) 30%, transparent); }
.badge-failed, .task-failed { background: color-mix(in srgb, var(--fail) 12%, transparent); color: var(--fail); border-color: color-mix(in srgb, var(--fail) 35%, transparent); }
.badge-blocked, .task-cancelled, .badge-cancelled { background: color-mix(in srgb, var(--stop) 12%, transparent); color: var(--stop); border-color: color-mix(in srgb, var(--stop) 35%, transparent); }
.agent { font-weight: 600; }
.agent::before { content: ""; display: inline-block; width: 8px; height: 8px; border-radius: 50%; margin-right: 6px; background: var(--other); vertical-align: 1px; }
.agent-commander::before { background: var(--commander); }
.agent-planner::before { background: var(--planner); }
.agent-worker::before { background: var(--worker); }
.agent-reviewer::before { background: var(--reviewer); }
.empty { color: var(--muted); }
.notes ul { margin: 0; padding-left: 20px; color: var(--muted); }
.footer { margin-top: 32px; color: var(--muted); font-size: 12px; }
`
