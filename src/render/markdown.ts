import { closeSync, constants, openSync, statSync, writeFileSync } from 'node:fs';
import type { Report } from '../report/model.js';
import { transcriptMark } from '../report/transcript.js';
import { safeLine } from '../safety/text.js';
import { markdownText as md, statusIcon, verdict } from './github.js';
import type { Output } from './output.js';

/**
 * `--report <path>`: the whole report as Markdown to paste into an issue. Everything in it is
 * already masked (configEntries, the transcript's recorder); every piece of text that is not
 * mailcheck's own is made inert here, so a server reply cannot add a link, an image or HTML.
 */
export function markdownReport(report: Report): string {
  const lines: string[] = [
    `## mailcheck ${md(report.command)}: ${md(verdict(report))}`,
    '',
    `- mailcheck ${md(report.versions.mailcheck)}, Node ${md(report.versions.node)}, ${md(report.versions.os)}`,
    `- provider: **${md(report.provider.kind)}** (${md(report.provider.reason)})`,
    `- files read: ${report.files.read.length ? report.files.read.map(md).join(', ') : 'none'}`,
  ];
  if (report.files.candidates.length) lines.push(`- seen but not read: ${report.files.candidates.map(md).join(', ')}`);
  if (report.error) lines.push(`- ended early: ${md(report.error.message)}${report.error.hint ? ` (${md(report.error.hint)})` : ''}`);
  lines.push('');
  if (report.config.length) {
    lines.push('### Configuration (secrets masked)', '', '| variable | value | from |', '|---|---|---|');
    for (const entry of report.config) lines.push(`| ${md(entry.variable)} | ${md(entry.value)} | ${md(entry.source)} |`);
    lines.push('');
  }
  const findings = report.lint.filter((f) => f.status !== 'pass');
  if (findings.length) {
    lines.push('### Configuration findings', '');
    for (const f of findings) lines.push(`- ${statusIcon[f.status]} \`${md(f.id)}\` ${md(f.message)}${f.fix ? ` **fix:** ${md(f.fix)}` : ''}`);
    lines.push('');
  }
  if (report.checks.length) {
    lines.push('### Checks', '', '| | check | id | time | detail |', '|---|---|---|---|---|');
    for (const c of report.checks) {
      lines.push(
        `| ${statusIcon[c.status]} | ${md(c.title)} | ${md(c.id)} | ${c.ms !== undefined ? `${c.ms} ms` : ''} | ${md(c.detail ?? '')}${c.fix ? ` **fix:** ${md(c.fix)}` : ''} |`,
      );
    }
    lines.push('');
  }
  for (const d of report.diagnoses) {
    lines.push(`### Diagnosis \`${md(d.id)}\`: ${md(d.summary)}`, '');
    if (d.serverSaid) lines.push(`The server said: ${md(d.serverSaid)}`, '');
    if (d.causes.length) lines.push('Likely causes:', '', ...d.causes.map((c) => `- ${md(c)}`), '');
    if (d.fixes.length) lines.push('What to do:', '', ...d.fixes.map((f) => `- ${md(f)}`), '');
  }
  if (report.transcript.length) {
    lines.push('### Transcript', '', '| ms | | line |', '|---:|---|---|');
    for (const line of report.transcript) lines.push(`| ${line.at} | ${md(transcriptMark(line))} | ${md(line.text)} |`);
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}

/**
 * --report: the report is already printed, so a file that cannot be written is said on stderr
 * and does not change the verdict (as with GITHUB_STEP_SUMMARY).
 */
export function writeMarkdownReport(path: string, report: Report, output: Output): void {
  try {
    // O_NONBLOCK: a FIFO nobody reads would block the open forever; a device is refused (ENXIO or below).
    const existing = statSync(path, { throwIfNoEntry: false });
    if (existing && !existing.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'not a regular file' });
    const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | (constants.O_NONBLOCK ?? 0), 0o644);
    try {
      writeFileSync(fd, markdownReport(report));
    } finally {
      closeSync(fd);
    }
    output.err(`mailcheck: report written to ${safeLine(path)} (secrets masked: paste it into an issue)\n`);
  } catch (error) {
    output.err(`mailcheck: could not write the report to ${safeLine(path)} (${(error as NodeJS.ErrnoException).code ?? 'error'})\n`);
  }
}
