const replacements: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/**
 * Makes untrusted text (goals, tool output, error bodies) safe inside HTML and
 * SVG text and in quoted attribute values. Control characters other than tab
 * and line breaks are dropped: they are invalid in HTML and would only show as
 * boxes.
 */
export function escapeHtml(text: string): string {
  // eslint-disable-next-line no-control-regex -- removing control characters is the point
  return text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '').replace(/[&<>"']/g, (character) => replacements[character] ?? character)
}
