/**
 * Server text is untrusted: a reply can carry ANSI/OSC escape sequences that recolour or retitle
 * the user's terminal, bidi overrides that reorder what they read, or megabytes without a line
 * end. Everything that came from the network passes through here before it is stored or printed.
 */

const maxLineLength = 400;

// Control characters (C0 with ESC and BEL, DEL, C1 with the one-byte CSI), every invisible
// format character (bidi embeddings, overrides, isolates and marks, zero-width characters, the
// BOM, Unicode tags), and line/paragraph separators, which some terminals render as breaks.
const unsafe = /[\p{Cc}\p{Cf}\u2028\u2029]/u;

function visible(char: string): string {
  const code = char.codePointAt(0)!;
  const hex = code.toString(16).toUpperCase();
  if (code <= 0xff) return `\\x${hex.padStart(2, '0')}`;
  return code <= 0xffff ? `\\u${hex.padStart(4, '0')}` : `\\u{${hex}}`;
}

/**
 * One line of untrusted text, made printable and bounded. Control characters become `\xNN` (so
 * the reader still sees them); the bound applies to what is shown, escapes included, so a line of
 * nothing but control characters cannot grow fourfold.
 */
export function safeLine(text: string, limit = maxLineLength): string {
  const line = text.replace(/\r$/, '');
  // Nearly every line is already safe and short: one scan tells, instead of a test per character
  // (the loop below would return it unchanged). It was the walk's busiest function.
  if (line.length <= limit && !unsafe.test(line)) return line;
  let shown = '';
  let consumed = 0;
  for (const char of line) {
    const piece = char === '\t' ? ' ' : unsafe.test(char) ? visible(char) : char;
    if (shown.length + piece.length > limit) break;
    shown += piece;
    consumed += char.length;
  }
  return consumed < line.length ? `${shown}… (${line.length - consumed} more characters)` : shown;
}

/** Untrusted multi-line text (an SMTP reply): each line made safe, at most `maxLines` kept. */
export function safeLines(text: string, maxLines = 40): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.length > 1 && lines.at(-1) === '') lines.pop();
  const kept = lines.slice(0, maxLines).map((line) => safeLine(line));
  if (lines.length > maxLines) kept.push(`… (${lines.length - maxLines} more lines)`);
  return kept;
}

// What may reach a terminal or a log from mailcheck itself: line ends, tabs, and the colour
// sequences render/style.ts writes (SGR: ESC [ digits m). Everything else is escaped at the output gate.
const controlOrSgr = /\x1b\[[0-9;]*m|[\p{Cc}\p{Cf}\u2028\u2029]/gu;

/**
 * A line that a CI runner would execute: GitHub's runner reads `::command::` at the start of any
 * line on stdout or stderr (leading spaces are skipped) and the older `##[command]` form anywhere
 * in a line. Mailcheck writes such lines only through Output.workflowCommand.
 */
const workflowCommand = /^(\s*)::|##\[/g;

/**
 * The last defence before bytes leave the process, for every line mailcheck prints: escape
 * sequences other than colour (OSC 52 clipboard writes, window titles, `ESC c` resets) are
 * shown as `\xNN`, and nothing can start a CI workflow command. Text from servers, files and
 * flags is already made safe where it enters; this holds even where that was forgotten.
 */
export function inertOutput(text: string): string {
  return text
    .replace(controlOrSgr, (match) => (match === '\n' || match === '\t' || match.startsWith('\x1b[') ? match : visible(match)))
    .split('\n')
    .map((line) => line.replace(workflowCommand, (_match, indent: string | undefined) => (indent !== undefined ? `${indent}\\x3A:` : '#\\x23[')))
    .join('\n');
}
