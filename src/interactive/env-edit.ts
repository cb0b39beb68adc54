/**
 * Editing a .env file the way a careful person would by hand: change only the assignments asked
 * for and leave every other byte alone (comments, blank lines, order, `export`, spacing, quotes,
 * inline comments, CRLF or LF, a BOM). Pure: text in, text out, so it is tested byte for byte.
 *
 * The syntax followed is dotenv's, because that is what reads the file back: `KEY=value`,
 * `KEY: value`, optional `export`, values in '', "" or `` (which may span lines), unquoted values
 * ending at `#`, and the last assignment of a key winning.
 */
import { parse } from 'dotenv';
import { isSecretName, looksLikeCredential, maskSecret } from '../safety/secrets.js';
import { safeLine } from '../safety/text.js';

export type EnvChange =
  /** Set the variable: replace its winning assignment, or add one. */
  | { name: string; value: string }
  /** Delete every assignment of the variable (used when switching away from a provider block). */
  | { name: string; remove: true };

interface Line {
  text: string;
  /** '\r\n', '\n', '\r', or '' for a last line without one. */
  eol: string;
}

/** One assignment, possibly spanning several lines (a quoted value with line breaks). */
interface Assignment {
  name: string;
  first: number;
  last: number;
  /** Everything before the value on the first line: indentation, `export `, the name, `=`. */
  head: string;
  /** The value as written (quotes included), across lines joined by their line ends. */
  written: string;
  /** Everything after the value on the last line: spaces and an inline comment. */
  tail: string;
  /** '' when unquoted. */
  quote: string;
}

export class EnvEditError extends Error {}

const assignmentHead = /^(\s*(?:export[ \t]+)?([\w.-]+)(?:[ \t]*=[ \t]*|:[ \t]+))(.*)$/;

function splitLines(text: string): Line[] {
  const lines: Line[] = [];
  const re = /([^\r\n]*)(\r\n|\n|\r|$)/g;
  for (let match = re.exec(text); match !== null; match = re.exec(text)) {
    if (match[0] === '' && re.lastIndex >= text.length) break;
    lines.push({ text: match[1]!, eol: match[2]! });
    if (match[2] === '') break;
  }
  return lines;
}

const joinLines = (lines: readonly Line[]): string => lines.map((l) => l.text + l.eol).join('');

/** The file's own line ending, for lines we add: the first one it uses, else LF. */
function lineEnding(lines: readonly Line[]): string {
  return lines.find((l) => l.eol !== '')?.eol ?? '\n';
}

/** Index just past the closing quote in `s` from `start` (just after the opening one), or -1. */
function closingQuote(s: string, start: number, quote: string): number {
  for (let i = start; i < s.length; i++) {
    if (s[i] === '\\' && s[i + 1] === quote) i++;
    else if (s[i] === quote) return i + 1;
  }
  return -1;
}

/** Every assignment dotenv would see, in file order; lines inside a multi-line value are skipped. */
function scanAssignments(lines: readonly Line[]): Assignment[] {
  const found: Assignment[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = assignmentHead.exec(lines[i]!.text);
    if (!m) continue;
    const [, head, name, rest] = m as unknown as [string, string, string, string];
    const quote = /^['"`]/.test(rest) ? rest[0]! : '';
    if (quote) {
      // The value may continue over the next lines until its closing quote.
      let joined = rest;
      for (let j = i; j < lines.length; j++) {
        const end = closingQuote(joined, 1, quote);
        if (end !== -1) {
          const tail = joined.slice(end);
          if (/^\s*(#.*)?$/.test(tail)) {
            found.push({ name, first: i, last: j, head, written: joined.slice(0, end), tail, quote });
            i = j;
          } else {
            // Text after the closing quote: dotenv falls back to reading the line unquoted.
            found.push(unquoted(i, head, name, rest));
          }
          break;
        }
        if (j + 1 >= lines.length) {
          found.push(unquoted(i, head, name, rest));
          break;
        }
        joined += lines[j]!.eol + lines[j + 1]!.text;
      }
    } else {
      found.push(unquoted(i, head, name, rest));
    }
  }
  return found;
}

/** dotenv reads an unquoted value up to `#`, trimmed; the rest of the line stays as the tail. */
function unquoted(line: number, head: string, name: string, rest: string): Assignment {
  const beforeComment = rest.split('#')[0]!;
  const value = beforeComment.trimEnd();
  return { name, first: line, last: line, head, written: value, tail: rest.slice(value.length), quote: '' };
}

/**
 * Which quoting every reader of a .env takes literally: dotenv (the app), docker compose's
 * `env_file` (which interpolates `$` in unquoted and double-quoted values) and a POSIX shell
 * sourcing the file (which also splits at spaces, runs backticks and reads `\`, `#`, `~`).
 */
function portable(quote: string, value: string): boolean {
  if (quote === '') return /^[\w@%+=:,./-]*$/.test(value);
  if (quote === "'") return !/['\r\n]/.test(value);
  if (quote === '"') return !/[$`"\\\r\n]/.test(value);
  return false;
}

/**
 * The value written so dotenv reads back exactly `value`, and, where some quoting allows it,
 * docker compose and a shell read the same: in the style the line already used when that works,
 * else the closest style that does. A change of style is said in `notes` (never the value).
 */
function render(value: string, name: string, head: string, tail: string, preferred: string, notes: string[]): string {
  const readsBack = (q: string): string | undefined => {
    const body = q === '"' ? value.replace(/\n/g, '\\n').replace(/\r/g, '\\r') : value;
    // dotenv happens to read "a "b"" whole, but shells and other parsers do not: avoid the form.
    if (q && body.includes(q)) return undefined;
    const written = `${q}${body}${q}`;
    return parse(`${head}${written}${tail}`)[name] === value ? written : undefined;
  };
  for (const q of new Set([preferred, '', "'", '"'])) {
    const written = portable(q, value) ? readsBack(q) : undefined;
    if (written === undefined) continue;
    if (q !== preferred) {
      const style = q === "'" ? 'in single quotes' : q === '"' ? 'in double quotes' : 'without quotes';
      notes.push(`${name} is written ${style}: otherwise docker compose (env_file) or a shell sourcing the file would read a different value than your app`);
    }
    return written;
  }
  // Nothing reads alike everywhere (a value with both ' and $, or a line break): dotenv, which the app uses, decides.
  for (const q of new Set([preferred, '"', "'", '`', ''])) {
    const written = readsBack(q);
    if (written === undefined) continue;
    notes.push(
      `${name} is written for dotenv, which your app uses: no quoting makes docker compose (env_file) or a shell sourcing the file read the same value`,
    );
    return written;
  }
  throw new EnvEditError(`cannot write this value of ${name} in a form dotenv reads back unchanged`);
}

// Words that describe a TLS mode or a port's role: wrong in a comment once the mode or port changes.
const modeWords = /\b(ssl|tls|starttls|implicit|explicit|secure|plain(?:text)?|encrypt\w*)\b/i;

/**
 * The inline comment after a changed value, kept unless the change makes it wrong: one that
 * names the old value, or describes the TLS mode of a `*_SECURE` or `*_PORT` line. A `*_SECURE`
 * comment is rewritten to say what the new value means; others are dropped. Said in `notes`,
 * never quoting the comment (it may hold the old password).
 */
function keptTail(name: string, oldValue: string, newValue: string, tail: string, notes: string[]): string {
  const comment = /^(\s*)#(.*)$/.exec(tail);
  if (!comment || oldValue === newValue) return tail;
  const text = comment[2]!;
  const escaped = oldValue.trim().replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const namesOld = escaped !== '' && new RegExp(`(^|[^\\w.])${escaped}($|[^\\w.])`).test(text);
  const describesMode = /_(SECURE|PORT)$/.test(name) && modeWords.test(text);
  if (!namesOld && !describesMode) return tail;
  if (/_SECURE$/.test(name) && (newValue === '0' || newValue === '1')) {
    const meaning = newValue === '1' ? 'implicit TLS' : 'STARTTLS';
    notes.push(`the comment on the ${name} line described the old setting; it now says "# ${meaning}"`);
    return `${comment[1]}# ${meaning}`;
  }
  notes.push(`the comment on the ${name} line described the old value, so it is removed`);
  return '';
}

/** `SMTP_SECURE` groups with `SMTP_*`: new variables go after the last of their family. */
const family = (name: string): string => name.split('_')[0]!;

/**
 * Applies the changes and returns the new text. A changed variable keeps its line, its
 * `export`, spacing, quote style and inline comment; when it is assigned more than once only the
 * last assignment (the one dotenv uses) changes. New variables go after the last variable of the
 * same family (`SMTP_*`), or at the end. What the reader should know about how a value was
 * written (its quoting, an inline comment the change made wrong) is added to `notes`.
 */
export function applyEnvChanges(text: string, changes: readonly EnvChange[], notes: string[] = []): string {
  const lines = splitLines(text);
  const eol = lineEnding(lines);
  /** Replacement lines per original line index; undefined = keep, [] = delete. */
  const replaced = new Map<number, Line[]>();
  /** Lines to add after an original line index (-1: at the end). */
  const added = new Map<number, Line[]>();
  const assignments = scanAssignments(lines);

  // A variable named twice: the last change wins, as it would in the file.
  const unique = [...new Map(changes.map((c) => [c.name, c])).values()];
  for (const change of unique) {
    const mine = assignments.filter((a) => a.name === change.name);
    if ('remove' in change) {
      for (const a of mine) for (let i = a.first; i <= a.last; i++) replaced.set(i, []);
      continue;
    }
    const winner = mine.at(-1);
    if (winner) {
      const lastLine = lines[winner.last]!;
      const oldValue = parse(`${winner.head}${winner.written}`)[change.name] ?? '';
      const tail = keptTail(change.name, oldValue, change.value, winner.tail, notes);
      const written = render(change.value, change.name, winner.head, tail, winner.quote, notes);
      const line: Line = { text: `${winner.head}${written}${tail}`, eol: lastLine.eol };
      for (let i = winner.first; i <= winner.last; i++) replaced.set(i, i === winner.first ? [line] : []);
      continue;
    }
    const head = `${change.name}=`;
    const newLine: Line = { text: `${head}${render(change.value, change.name, head, '', '', notes)}`, eol };
    const sibling = assignments.filter((a) => family(a.name) === family(change.name)).at(-1);
    const after = sibling ? sibling.last : -1;
    added.set(after, [...(added.get(after) ?? []), newLine]);
  }

  const out: Line[] = [];
  lines.forEach((line, index) => {
    out.push(...(replaced.get(index) ?? [line]));
    out.push(...(added.get(index) ?? []));
  });
  out.push(...(added.get(-1) ?? []));
  // Only the old last line can lack a line end; once lines follow it, it needs one.
  for (let i = 0; i < out.length - 1; i++) if (out[i]!.eol === '') out[i] = { ...out[i]!, eol };
  return joinLines(out);
}

// ------------------------------------------------------------------------------------------
// The diff shown before writing

/** Names whose values are masked in a diff, beyond those the caller names. */
export interface DiffOptions {
  /** The file as named to the user. */
  path: string;
  /** Variables to mask whatever their name (e.g. Postmark's token in SMTP_USER). */
  secretNames?: readonly string[];
  /** Unchanged lines shown around each change. */
  context?: number;
}

/** One line of the diff; `oldNo`/`newNo` are 1-based positions in each text. */
type Op = { op: ' ' | '-' | '+'; oldNo: number; newNo: number };

/**
 * A unified diff (`--- a`, `+++ b`, `@@ -l,n +l,n @@`) of two .env texts, compared line by line
 * without their line ends. What changes is shown with every secret masked (by name or by shape,
 * as maskSecret shows it); unchanged context lines show names only, never values, since a .env
 * holds other apps' secrets too. Every line is made terminal-safe (comments included). Empty when
 * nothing changed. `before` undefined means the file does not exist yet.
 */
export function renderEnvDiff(before: string | undefined, after: string, options: DiffOptions): string {
  const oldLines = displayLines(before ?? '', options.secretNames ?? []);
  const newLines = displayLines(after, options.secretNames ?? []);
  const oldContext = contextLines(before ?? '');
  const oldKeys = splitLines(before ?? '').map((l) => l.text);
  const newKeys = splitLines(after).map((l) => l.text);
  const ops = diffLines(oldKeys, newKeys);
  if (!ops.some((o) => o.op !== ' ')) return '';
  const context = options.context ?? 1;
  const out = [`--- ${before === undefined ? '/dev/null' : options.path}`, `+++ ${options.path}`];
  for (const hunk of hunks(ops, context)) {
    const olds = hunk.filter((o) => o.op !== '+');
    const news = hunk.filter((o) => o.op !== '-');
    const oldStart = olds.length ? olds[0]!.oldNo : hunk[0]!.oldNo - 1;
    const newStart = news.length ? news[0]!.newNo : hunk[0]!.newNo - 1;
    out.push(`@@ -${oldStart},${olds.length} +${newStart},${news.length} @@`);
    for (const o of hunk) out.push(`${o.op}${o.op === '+' ? newLines[o.newNo - 1] : o.op === '-' ? oldLines[o.oldNo - 1] : oldContext[o.oldNo - 1]}`);
  }
  return `${out.join('\n')}\n`;
}

/** The lines as shown: a secret's value (all of its lines) replaced by its masked form. */
function displayLines(text: string, secretNames: readonly string[]): string[] {
  const lines = splitLines(text);
  const shown = lines.map((l) => safeLine(l.text));
  for (const a of scanAssignments(lines)) {
    const value = parse(`${a.head}${a.written}`)[a.name] ?? '';
    if (!secretNames.includes(a.name) && !isSecretName(a.name) && !looksLikeCredential(value)) continue;
    shown[a.first] = safeLine(`${a.head}${maskSecret(value)}${a.first === a.last ? a.tail : ''}`);
    for (let i = a.first + 1; i <= a.last; i++) shown[i] = '…';
  }
  return shown;
}

/** Unchanged lines as context: the assignment's name with its value left out, comments as they are (made safe). */
function contextLines(text: string): string[] {
  const lines = splitLines(text);
  const shown = lines.map((l) => safeLine(l.text));
  for (const a of scanAssignments(lines)) {
    shown[a.first] = safeLine(`${a.head}…`);
    for (let i = a.first + 1; i <= a.last; i++) shown[i] = '…';
  }
  return shown;
}

/** Longest-common-subsequence line diff; .env files are small, so O(n·m) is fine. */
function diffLines(a: readonly string[], b: readonly string[]): Op[] {
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  }
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) ops.push({ op: ' ', oldNo: ++i, newNo: ++j });
    else if (i < n && (j >= m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) ops.push({ op: '-', oldNo: ++i, newNo: j + 1 });
    else ops.push({ op: '+', oldNo: i + 1, newNo: ++j });
  }
  return ops;
}

/** Groups changed lines with `context` unchanged lines around them; close groups merge. */
function hunks(ops: readonly Op[], context: number): Op[][] {
  const changed = ops.map((o, index) => (o.op === ' ' ? -1 : index)).filter((index) => index !== -1);
  const groups: Op[][] = [];
  let start = -1;
  let end = -1;
  for (const index of changed) {
    const from = Math.max(0, index - context);
    const to = Math.min(ops.length - 1, index + context);
    if (start !== -1 && from <= end + 1) end = to;
    else {
      if (start !== -1) groups.push(ops.slice(start, end + 1));
      start = from;
      end = to;
    }
  }
  if (start !== -1) groups.push(ops.slice(start, end + 1));
  return groups;
}
