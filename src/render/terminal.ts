import { isatty } from 'node:tty';
import type { Report } from '../report/model.js';
import type { ProbeReport } from '../report/probe.js';
import type { TranscriptRecorder } from '../report/transcript.js';
import { detectOutputMode, type ModeInput, type OutputMode } from './mode.js';
import { Output } from './output.js';
import type { Printer } from './printer.js';
import { createProgress, type Progress } from './progress.js';
import type { ReportHeader, View } from './view.js';

/**
 * The CLI's view: the output mode decided once from flags, environment and streams; the spinner;
 * and, once `ready()` has loaded it, the printer. It is cheap to build, so a command can start its
 * check before the printing modules have loaded; they load while the server is still answering.
 */
export class TerminalView implements View {
  readonly mode: OutputMode;
  readonly output = new Output();
  readonly progress: Progress;
  /** A report was printed: a run that then ends early (a late Ctrl-C) prints no second one. */
  reportShown = false;
  private printer: Printer | undefined;

  /** `annotate`: the command writes GitHub annotations and a step summary in Actions (doctor, dns). */
  constructor(
    flags: ModeInput,
    private readonly env: NodeJS.ProcessEnv,
    private readonly annotate = false,
  ) {
    // Whether stdin is a terminal, without process.stdin: its getter builds a stream for fd 0
    // (~3 ms), which a check that never reads stdin does not need.
    this.mode = detectOutputMode(flags, env, { isTTY: isatty(0) }, process.stdout);
    this.progress = createProgress(this.mode);
  }

  get interactive(): boolean {
    return this.mode.interactive;
  }

  get color(): boolean {
    return this.mode.color;
  }

  async ready(): Promise<void> {
    if (this.printer) return;
    const { Printer } = await import('./printer.js');
    this.printer ??= new Printer(this.output, this.mode);
  }

  header(header: ReportHeader): void {
    this.loaded().header(header);
  }

  transcript(title: string, recorder: TranscriptRecorder): void {
    const printer = this.loaded();
    printer.transcriptTitle(title);
    recorder.follow((line) => this.progress.around(() => printer.line(line)));
  }

  probeGrid(probe: ProbeReport): void {
    this.progress.stop();
    this.loaded().probeGrid(probe);
  }

  report(report: Report): void {
    this.progress.stop();
    // An interrupted run leaves no annotations and no step summary: half a check is no verdict.
    const annotate = this.annotate && this.mode.githubActions && report.result.failureClass !== 'interrupted';
    this.loaded().report(report, annotate ? this.env : undefined);
    this.reportShown = true;
  }

  private loaded(): Printer {
    if (!this.printer) throw new Error('the view was used before ready() loaded its printer');
    return this.printer;
  }
}
