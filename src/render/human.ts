import type { LintFinding } from '../config/lint.js';
import type { Diagnosis } from '../diagnose/types.js';
import { exitCodeMeanings } from '../exit-codes.js';
import type { Check, ConfigEntry, Report, ReportFiles } from '../report/model.js';
import { transcriptMark, type TranscriptLine } from '../report/transcript.js';
import type { OutputMode } from './mode.js';
import type { Output } from './output.js';
import { styles, type Styles } from './style.js';
import { safeLine } from '../safety/text.js';

const symbols = { pass: '✔', warn: '!', fail: '✖', skip: '-' } as const;

/**
 * Human output: a header saying what was detected, the live transcript as it happens, and a
 * summary whose last line is the verdict. Marks follow swaks: `->`/`<-` in the clear, `~>`/`<~`
 * inside TLS, `==` for what mailcheck itself observed. --quiet keeps only the verdict line.
 */
export class HumanRenderer {
  private readonly c: Styles;

  constructor(
    private readonly output: Output,
    private readonly mode: OutputMode,
  ) {
    this.c = styles(mode.color);
  }

  header(command: string, provider: Report['provider'], config: ConfigEntry[], files: ReportFiles, lint: LintFinding[]): void {
    if (this.mode.quiet) return;
    const c = this.c;
    const lines = [
      c.bold(`mailcheck ${command}`),
      `provider: ${c.bold(provider.kind === 'none' ? 'none (email disabled)' : provider.kind)} (${provider.reason})`,
    ];
    lines.push(...this.files(files));
    if (config.length) {
      const width = Math.max(...config.map((e) => e.variable.length));
      for (const entry of config) lines.push(`  ${entry.variable.padEnd(width)} = ${entry.value}  ${c.dim(`(${entry.source})`)}`);
    }
    const shown = lint.filter((f) => this.mode.verbose || f.status !== 'pass');
    if (shown.length) {
      lines.push('', c.bold('configuration'));
      for (const finding of shown) lines.push(...this.finding(finding));
    }
    this.print(`${lines.join('\n')}\n\n`);
  }

  transcriptTitle(text: string): void {
    if (this.mode.quiet) return;
    this.output.out(`${this.c.bold(text)}\n`);
  }

  /** Transcript lines are never wrapped: a server's reply stays one line, as it was sent. */
  line(line: TranscriptLine): void {
    if (this.mode.quiet) return;
    const c = this.c;
    const time = c.dim(`${String(line.at).padStart(6)} ms`);
    const text = line.dir === 'client' ? c.cyan(line.text) : line.dir === 'info' ? c.dim(line.text) : line.text;
    this.output.out(`${time}  ${transcriptMark(line)} ${text}\n`);
  }

  /** Text that is part of the human report but not of the model (the probe's matrix); nothing under --quiet. */
  extra(text: string): void {
    if (!this.mode.quiet) this.output.out(text);
  }

  summary(report: Report): void {
    if (this.mode.quiet) {
      this.output.out(`${this.verdict(report)}\n`);
      return;
    }
    const c = this.c;
    const lines: string[] = [];
    if (report.checks.length) {
      lines.push('', c.bold('checks'));
      for (const check of report.checks) lines.push(...this.check(check));
    }
    if (this.mode.verbose && report.timings.stages.length) {
      lines.push(
        '',
        c.bold('time per stage'),
        `  ${report.timings.stages.map((s) => `${s.stage} ${s.ms} ms`).join(', ')} (total ${report.timings.totalMs} ms)`,
      );
    }
    for (const diagnosis of report.diagnoses) lines.push('', ...this.diagnosis(diagnosis));
    lines.push('', this.verdict(report));
    this.print(`${lines.join('\n')}\n`);
  }

  /** What was read, and the .env files beside it that were not (with the flag that reads one). */
  private files(files: ReportFiles): string[] {
    // Paths come from flags: text like any other, so a line end in one cannot forge a line.
    const lines = [`files read: ${files.read.length ? files.read.map((f) => safeLine(f)).join(', ') : 'none'}`];
    if (files.candidates.length) {
      lines.push(this.c.dim(`not read: ${files.candidates.map((f) => safeLine(f)).join(', ')} (read one with --dotenv ${safeLine(files.candidates[0]!)})`));
    }
    return lines;
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
      return c.green(
        `${symbols.pass} ${report.message?.serverReply ? 'the server accepted the test message' : 'all checks passed'}${warned ? ' (with warnings above)' : ''} (exit 0)`,
      );
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

  private print(text: string): void {
    this.output.out(this.mode.width ? wrapToWidth(text, this.mode.width) : text);
  }
}

// Colour codes take no room on screen: lengths are measured without them.
const sgr = /\x1b\[[0-9;]*m/g;
const visibleLength = (text: string) => [...text.replace(sgr, '')].length;

/**
 * Wraps each line at spaces to `width` columns, continuing under the line's text: after its
 * indent and a list mark (`- `, `> `, `✔ `, `fix: `), so a wrapped item still reads as one.
 * A word longer than the line (a URL, a DNS record) is left whole rather than cut.
 */
export function wrapToWidth(text: string, width: number): string {
  return text
    .split('\n')
    .map((line) => {
      if (visibleLength(line) <= width) return line;
      const plain = line.replace(sgr, '');
      const hang = /^(\s*(?:(?:[->✔!✖]|fix:|the server said:) )?)/.exec(plain)![1]!;
      const indent = ' '.repeat(Math.min([...hang].length, Math.floor(width / 2)));
      const [, lead, body] = /^(\s*)([\s\S]*)$/.exec(line)!;
      const [first, ...rest] = body!.split(' ');
      const out: string[] = [];
      let current = `${lead}${first}`;
      for (const word of rest) {
        const candidate = `${current} ${word}`;
        if (visibleLength(candidate) > width && visibleLength(current) > indent.length) {
          out.push(current);
          current = `${indent}${word}`;
        } else current = candidate;
      }
      out.push(current);
      return out.join('\n');
    })
    .join('\n');
}
