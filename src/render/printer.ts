import type { Report } from '../report/model.js';
import type { ProbeReport } from '../report/probe.js';
import type { TranscriptLine } from '../report/transcript.js';
import { emitGithubActions } from './github.js';
import { HumanRenderer } from './human.js';
import { renderJson } from './json.js';
import { writeMarkdownReport } from './markdown.js';
import type { OutputMode } from './mode.js';
import type { Output } from './output.js';
import { renderProbe } from './probe-grid.js';
import type { ReportHeader } from './view.js';

/**
 * The printing half of the CLI's view (render/terminal.ts), loaded while the first check runs:
 * the header and the live transcript for people, then the finished report as the human summary
 * or one JSON document, the Markdown file of --report, and GitHub's annotations and step summary.
 */
export class Printer {
  private readonly human: HumanRenderer | undefined;

  constructor(
    private readonly output: Output,
    private readonly mode: OutputMode,
  ) {
    this.human = mode.json ? undefined : new HumanRenderer(output, mode);
  }

  header(h: ReportHeader): void {
    this.human?.header(h.command, h.provider, h.config, h.files, h.lint);
  }

  transcriptTitle(title: string): void {
    this.human?.transcriptTitle(title);
  }

  line(line: TranscriptLine): void {
    this.human?.line(line);
  }

  probeGrid(probe: ProbeReport): void {
    this.human?.extra(renderProbe(probe, this.mode.color));
  }

  /** `github`: the environment of a run in GitHub Actions whose command annotates (doctor, dns). */
  report(report: Report, github: NodeJS.ProcessEnv | undefined): void {
    if (this.mode.json) renderJson(this.output, report);
    else this.human!.summary(report);
    if (this.mode.markdownPath !== undefined) writeMarkdownReport(this.mode.markdownPath, report, this.output);
    if (github) emitGithubActions(report, { output: this.output, env: github, json: this.mode.json });
  }
}

/**
 * The report of a run that ended before its checks (a usage or configuration error, a bug,
 * Ctrl-C), whose message is on stderr already: --json's one document, and --report's file.
 */
export function printEarlyEnd(output: Output, report: Report, asked: { json: boolean; markdownPath: string | undefined }): void {
  if (asked.json) renderJson(output, report);
  if (asked.markdownPath !== undefined) writeMarkdownReport(asked.markdownPath, report, output);
}
