/**
 * Server text is untrusted: a reply can carry ANSI/OSC escape sequences that recolour or retitle
 * the user's terminal, bidi overrides that reorder what they read, or megabytes without a line
 * end. Everything that came from the network passes through here before it is stored or printed.
 */

const maxLineLength = 400;

// C0 controls except TAB, DEL, C1 controls, bidi embeddings/overrides/isolates, zero-width and
// line/paragraph separators (which some terminals render as breaks).
const unsafe = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g;

function visible(char: string): string {
  const code = char.codePointAt(0)!;
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0').toUpperCase()}` : `\\u${code.toString(16).padStart(4, '0').toUpperCase()}`;
}

/** One line of untrusted text, made printable and bounded. Control characters become `\xNN`. */
export function safeLine(text: string, limit = maxLineLength): string {
  const clipped = text.length > limit ? text.slice(0, limit) : text;
  const shown = clipped.replace(/\r$/, '').replace(/\t/g, ' ').replace(unsafe, visible);
  return text.length > limit ? `${shown}… (${text.length - limit} more characters)` : shown;
}

/** Untrusted multi-line text (an SMTP reply): each line made safe, at most `maxLines` kept. */
export function safeLines(text: string, maxLines = 40): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.length > 1 && lines.at(-1) === '') lines.pop();
  const kept = lines.slice(0, maxLines).map((line) => safeLine(line));
  if (lines.length > maxLines) kept.push(`… (${lines.length - maxLines} more lines)`);
  return kept;
}
