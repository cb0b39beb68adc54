import type { Report } from '../report/model.js';
import type { ProbeReport } from '../report/probe.js';
import type { TranscriptRecorder } from '../report/transcript.js';
import { Output, type Writable } from './output.js';
import { silentProgress, type Progress } from './progress.js';

/** What the header shows before any check runs: the parts of the report known by then. */
export type ReportHeader = Pick<Report, 'command' | 'provider' | 'config' | 'files' | 'lint'>;

/**
 * How a run is shown while it happens and when it ends. Commands build the report and tell the
 * view what happens; only the view prints. The CLI's view (render/terminal.ts) renders for a
 * person or a machine; the library's (`silentView`) shows nothing, so a run inside another
 * program writes nothing anywhere.
 */
export interface View {
  /** A person at a terminal: prompts and fix offers may be made. */
  readonly interactive: boolean;
  /** Colour for what commands print around the report (diffs of .env). */
  readonly color: boolean;
  /** For notes and prompts around the report (stderr); the library's goes nowhere. */
  readonly output: Output;
  readonly progress: Progress;
  /** Loads what showing the run takes. A check may already be running meanwhile: it loads while the server answers. */
  ready(): Promise<void>;
  header(header: ReportHeader): void;
  /** The live transcript: its title, the lines recorded so far, then each new one as it comes. */
  transcript(title: string, recorder: TranscriptRecorder): void;
  /** `probe`'s port x mode grid, before the report. */
  probeGrid(probe: ProbeReport): void;
  /** The finished report, in the form asked for. */
  report(report: Report): void;
}

const nowhere: Writable = { write: () => true };

/** The library's view: nothing is shown, nothing is asked, nothing is written. */
export const silentView: View = {
  interactive: false,
  color: false,
  output: new Output(nowhere, nowhere),
  progress: silentProgress,
  ready: async () => {},
  header() {},
  transcript() {},
  probeGrid() {},
  report() {},
};
