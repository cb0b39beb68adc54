import type { Report } from '../report/model.js';
import type { Output } from './output.js';

/** One JSON document on stdout, nothing else there. Keys are documented in the README. */
export function renderJson(output: Output, report: Report): void {
  output.out(`${asciiJson(report)}\n`);
}

/**
 * JSON in plain ASCII: every other character as a \uXXXX escape, which JSON readers decode to the
 * same text. Nothing in it is then a control or format character, and `##[` (a CI command
 * anywhere in a line) is escaped too, so the output gate has nothing to change in it.
 */
function asciiJson(value: unknown): string {
  return JSON.stringify(value, null, 2)
    .replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .replace(/##\[/g, '##\\u005b');
}
