import { appendFileSync } from 'node:fs';
import type { LintFinding } from '../config/lint.js';
import { exitCodeMeanings } from '../exit-codes.js';
import type { Check, Report } from '../report/model.js';
import { safeLine } from '../safety/text.js';
import type { Output } from './output.js';

/**
 * GitHub Actions output: `::error`/`::warning` workflow commands, which the runner turns into
 * annotations on the run, and a Markdown summary appended to $GITHUB_STEP_SUMMARY. Formatting is
 * pure (report in, text out); emitGithubActions does the writing.
 */

type Level = 'error' | 'warning';

interface Annotation {
  level: Level;
  title: string;
  message: string;
  file?: string;
  line?: number;
}

/**
 * The runner reads a command up to the line end: %, CR and LF must be encoded in the message.
 * Other control characters would reach the log and the annotation as they are: shown as `\xNN`.
 */
export function escapeData(text: string): string {
  const printable = text
    .split(/\r?\n/)
    .map((line) => safeLine(line, maxAnnotationLine))
    .join('\n');
  return printable.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

const maxAnnotationLine = 4000;

/** Properties (title=, file=) are also split on `,` and ended by `:`, so those are encoded too. */
function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

function formatAnnotation(a: Annotation): string {
  const properties = [`title=${escapeProperty(a.title)}`];
  if (a.file !== undefined) properties.push(`file=${escapeProperty(a.file)}`);
  if (a.line !== undefined) properties.push(`line=${a.line}`);
  return `::${a.level} ${properties.join(',')}::${escapeData(a.message)}`;
}

/** One annotation per problem: lint findings, diagnoses, and checks that only warned. */
function annotations(report: Report): Annotation[] {
  const title = (id: string) => `mailcheck ${report.command}: ${id}`;
  const list: Annotation[] = [];
  for (const finding of report.lint) {
    if (finding.status === 'pass') continue;
    list.push({ level: finding.status === 'fail' ? 'error' : 'warning', title: title(finding.id), message: withFix(finding), ...fileOf(finding) });
  }
  for (const d of report.diagnoses) {
    const lines = [d.summary];
    if (d.serverSaid) lines.push(`the server said: ${d.serverSaid}`);
    lines.push(...d.fixes.map((fix) => `fix: ${fix}`));
    list.push({ level: 'error', title: title(d.id), message: lines.join('\n') });
  }
  for (const check of report.checks) {
    if (check.status === 'warn')
      list.push({ level: 'warning', title: title(check.id), message: `${check.title}: ${check.detail ?? 'warning'}${check.fix ? `\nfix: ${check.fix}` : ''}` });
  }
  // A failed run always shows why, even when its cause is only warnings (--strict).
  if (!report.result.ok && !list.some((a) => a.level === 'error')) {
    list.push({ level: 'error', title: title('result'), message: verdict(report) });
  }
  return list;
}

function withFix(finding: LintFinding): string {
  return finding.fix ? `${finding.message}\nfix: ${finding.fix}` : finding.message;
}

/** A value read from a file points the annotation at its line (shown inline when the file is in the repository). */
function fileOf(finding: LintFinding): Pick<Annotation, 'file' | 'line'> {
  return finding.source?.kind === 'file' ? { file: finding.source.path, line: finding.source.line } : {};
}

export function verdict(report: Report): string {
  const { result } = report;
  if (result.ok) return `all checks passed (exit ${result.exitCode})`;
  return `${result.failureClass ? exitCodeMeanings[result.failureClass] : 'failed'} (exit ${result.exitCode})`;
}

// --- step summary ----------------------------------------------------------------------------

export const statusIcon = { pass: '✅', warn: '⚠️', fail: '❌', skip: '➖' } as const;

/** Text from servers and users, made inert in Markdown (no HTML, no links, no table breaks, no control characters). */
export function markdownText(text: string): string {
  return (
    safeLine(text.replace(/\r?\n/g, ' '), maxAnnotationLine)
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/([\\`*_[\]|#!~@])/g, '\\$1')
      // GitHub turns bare URLs (scheme://, www.) into links: an escaped character breaks the pattern.
      .replace(/:\/\//g, '\\://')
      .replace(/\bwww\./gi, (www) => `${www.slice(0, 3)}\\.`)
      .replace(/\r?\n/g, ' ')
  );
}

function stepSummary(report: Report): string {
  const md = markdownText;
  const lines: string[] = [
    `## ${report.result.ok ? statusIcon.pass : statusIcon.fail} mailcheck ${md(report.command)}: ${md(verdict(report))}`,
    '',
    `Provider: **${md(report.provider.kind)}** (${md(report.provider.reason)})`,
    '',
  ];
  const problems = report.lint.filter((f) => f.status !== 'pass');
  if (problems.length) {
    lines.push('### Configuration', '');
    for (const f of problems) lines.push(`- ${statusIcon[f.status]} ${md(f.message)}${f.fix ? `<br>**fix:** ${md(f.fix)}` : ''}`);
    lines.push('');
  }
  if (report.checks.length) {
    lines.push('### Checks', '', '| | check | time | detail |', '|---|---|---|---|');
    for (const check of report.checks) lines.push(checkRow(check));
    lines.push('');
  }
  for (const d of report.diagnoses) {
    lines.push(`### Diagnosis: ${md(d.summary)}`, '');
    if (d.serverSaid) lines.push(`The server said: ${md(d.serverSaid)}`, '');
    if (d.causes.length) lines.push('Likely causes:', '', ...d.causes.map((c) => `- ${md(c)}`), '');
    if (d.fixes.length) lines.push('What to do:', '', ...d.fixes.map((f) => `- ${md(f)}`), '');
  }
  return `${lines.join('\n')}\n`;
}

function checkRow(check: Check): string {
  const time = check.ms !== undefined ? `${check.ms} ms` : '';
  const fix = check.fix ? `<br>**fix:** ${markdownText(check.fix)}` : '';
  return `| ${statusIcon[check.status]} | ${markdownText(check.title)} | ${time} | ${markdownText(check.detail ?? '')}${fix} |`;
}

// --- writing ---------------------------------------------------------------------------------

export interface GithubTarget {
  output: Output;
  env: NodeJS.ProcessEnv;
  /** With --json stdout holds only the document; the runner reads commands from stderr too. */
  json: boolean;
}

export function emitGithubActions(report: Report, target: GithubTarget): void {
  const text = annotations(report)
    .map((a) => `${formatAnnotation(a)}\n`)
    .join('');
  target.output.workflowCommands(text, target.json);

  const summaryPath = target.env.GITHUB_STEP_SUMMARY;
  if (!summaryPath) return;
  try {
    appendFileSync(summaryPath, stepSummary(report));
  } catch (error) {
    // The summary is a courtesy; failing to write it must not change the verdict.
    target.output.err(`mailcheck: could not append to GITHUB_STEP_SUMMARY (${(error as NodeJS.ErrnoException).code ?? 'error'})\n`);
  }
}
