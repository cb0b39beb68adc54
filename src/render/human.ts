import type { LintFinding } from '../config/lint.js';
import type { Diagnosis } from '../diagnose/types.js';
import { exitCodeMeanings } from '../exit-codes.js';
import type { Check, ConfigEntry, Report } from '../report/model.js';
import type { TranscriptLine } from '../report/transcript.js';
import type { OutputMode } from './mode.js';
import type { Output } from './output.js';
import { styles, type Styles } from './style.js';

const symbols = { pass: '✔', warn: '!', fail: '✖', skip: '-' } as const;

/**
 * Human output: a header saying what was detected, the live transcript as it happens, and a
 * summary whose last line is the verdict. Marks follow swaks: `->`/`<-` in the clear, `~>`/`<~`
 * inside TLS, `==` for what mailcheck itself observed.
 */
export class HumanRenderer {
  private readonly c: Styles;

  constructor(
    private readonly output: Output,
    mode: OutputMode,
  ) {
    this.c = styles(mode.color);
  }

  header(command: string, provider: Report['provider'], config: ConfigEntry[], lint: LintFinding[]): void {
    const c = this.c;
    const lines = [c.bold(`mailcheck ${command}`), `provider: ${c.bold(provider.kind === 'none' ? 'none (email disabled)' : provider.kind)} (${provider.reason})`];
    if (config.length) {
      const width = Math.max(...config.map((e) => e.variable.length));
      for (const entry of config) lines.push(`  ${entry.variable.padEnd(width)} = ${entry.value}  ${c.dim(`(${entry.source})`)}`);
    }
    const problems = lint.filter((f) => f.status !== 'pass');
    if (problems.length) {
      lines.push('', c.bold('configuration'));
      for (const finding of problems) lines.push(...this.finding(finding));
    }
    this.output.out(`${lines.join('\n')}\n\n`);
  }

  transcriptTitle(text: string): void {
    this.output.out(`${this.c.bold(text)}\n`);
  }

  line(line: TranscriptLine): void {
    const c = this.c;
    const time = c.dim(`${String(line.at).padStart(6)} ms`);
    const mark = line.dir === 'info' ? '==' : line.dir === 'client' ? (line.encrypted ? '~>' : '->') : line.encrypted ? '<~' : '<-';
    const text = line.dir === 'client' ? c.cyan(line.text) : line.dir === 'info' ? c.dim(line.text) : line.text;
    this.output.out(`${time}  ${mark} ${text}\n`);
  }

  summary(report: Report): void {
    const c = this.c;
    const lines: string[] = [];
    if (report.checks.length) {
      lines.push('', c.bold('checks'));
      for (const check of report.checks) lines.push(...this.check(check));
    }
    for (const diagnosis of report.diagnoses) lines.push('', ...this.diagnosis(diagnosis));
    lines.push('', this.verdict(report));
    this.output.out(`${lines.join('\n')}\n`);
  }

  private finding(f: LintFinding): string[] {
    const lines = [`  ${this.mark(f.status)} ${f.message}`];
    if (f.fix) lines.push(`    ${this.c.bold('fix:')} ${f.fix}`);
    return lines;
  }

  private check(check: Check): string[] {
    const time = check.ms !== undefined ? `${check.ms} ms` : '';
    const detail = check.detail ? `  ${check.detail}` : '';
    const lines = [`  ${this.mark(check.status)} ${check.title.padEnd(30)}${this.c.dim(time.padStart(8))}${detail}`];
    for (const record of check.records ?? []) lines.push(`      ${this.c.dim(record)}`);
    if (check.fix) lines.push(`      ${this.c.bold('fix:')} ${check.fix}`);
    return lines;
  }

  private diagnosis(d: Diagnosis): string[] {
    const c = this.c;
    const lines = [c.bold(c.red(`diagnosis: ${d.summary}`))];
    // A multi-line reply (Exim's, Gmail's) keeps its lines under one another, indented.
    if (d.serverSaid) lines.push(`  the server said: ${d.serverSaid.split('\n').join('\n                   ')}`);
    if (d.causes.length) {
      lines.push('  likely causes:');
      for (const cause of d.causes) lines.push(`    - ${cause}`);
    }
    if (d.fixes.length) {
      // In priority order: the fix itself first, then the alternatives (or, for a list of steps, in order).
      lines.push('  what to do:');
      for (const fix of d.fixes) lines.push(`    ${c.bold('>')} ${fix}`);
    }
    return lines;
  }

  private verdict(report: Report): string {
    const c = this.c;
    if (report.result.ok) {
      const warned = report.checks.some((ch) => ch.status === 'warn') || report.lint.some((f) => f.status === 'warn');
      return c.green(`${symbols.pass} ${report.message?.serverReply ? 'the server accepted the test message' : 'all checks passed'}${warned ? ' (with warnings above)' : ''} (exit 0)`);
    }
    const cls = report.result.failureClass;
    const meaning = cls ? exitCodeMeanings[cls] : 'failed';
    return c.red(c.bold(`${symbols.fail} ${meaning} (exit ${report.result.exitCode})`));
  }

  private mark(status: keyof typeof symbols): string {
    const c = this.c;
    const colour = { pass: c.green, warn: c.yellow, fail: c.red, skip: c.dim }[status];
    return colour(symbols[status]);
  }
}
