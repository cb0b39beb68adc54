import type { Report } from '../report/model.js';
import type { Output } from './output.js';

/** One JSON document on stdout, nothing else there. Keys are documented in the README. */
export function renderJson(output: Output, report: Report): void {
  output.out(`${JSON.stringify(report, null, 2)}\n`);
}
