/**
 * `text` ending with exactly one full stop (or its own `?`, `!`, `…`): joining a reason that
 * already ends with a period to a template that adds one wrote "fake-key..".
 */
export function asSentence(text: string): string {
  const trimmed = text.trim().replace(/\.+$/, '')
  if (trimmed.length === 0) return ''
  return /[?!…]$/.test(trimmed) ? trimmed : `${trimmed}.`
}

/** `1 todo`, `2 todos`. */
export function plural(count: number, word: string, pluralWord = `${word}s`): string {
  return `${count} ${count === 1 ? word : pluralWord}`
}
