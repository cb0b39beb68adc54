import { certificateExpiryCheck } from '../checks/certificate-expiry.js';
import type { LoadedConfig } from '../config/load.js';
import type { Diagnosis } from '../diagnose/types.js';
import type { View } from '../render/view.js';
import { configEntries, decideOutcome, schemaVersion, type Check, type Report, type StageTiming } from '../report/model.js';
import type { TlsInfo } from '../report/tls.js';
import { runtimeVersions } from '../version.js';
import type { Live } from './live.js';

/**
 * What every reporting command shares: turning collected results into one Report, and telling
 * the view what to show as the run goes (the header, the live transcript, the finished report).
 * Commands decide which checks run; this decides nothing about them, and prints nothing itself.
 */
export class Session {
  readonly view: View;

  private constructor(
    readonly command: string,
    readonly loaded: LoadedConfig,
    private readonly live: Live,
  ) {
    this.view = live.view;
  }

  /** Once the view can show the run: its printing modules load while `live`'s check may already be running. */
  static async open(command: string, loaded: LoadedConfig, live: Live): Promise<Session> {
    await live.view.ready();
    return new Session(command, loaded, live);
  }

  get provider(): Report['provider'] {
    return { kind: this.loaded.detection.provider, reason: this.loaded.detection.reason };
  }

  get files(): Report['files'] {
    return { read: this.loaded.config.files, candidates: this.loaded.config.candidates };
  }

  showHeader(): void {
    this.view.header({
      command: this.command,
      provider: this.provider,
      config: configEntries(this.loaded.config.settings),
      files: this.files,
      lint: this.loaded.lint,
    });
  }

  /** The transcript's title, then the lines recorded so far and each new one as it comes. */
  showTranscript(title: string): void {
    this.view.transcript(title, this.live.recorder);
    this.live.show();
  }

  /**
   * Ctrl-C: the report of what was checked before it, ending with exit 130 (so --json still
   * prints its one document). A step cut short proves nothing, so no diagnosis is made of it.
   */
  finishInterrupted(parts: { checks: Check[]; stages?: StageTiming[]; probe?: Report['probe'] }): Report {
    const checks = parts.checks.filter((c) => c.status === 'pass');
    return this.finish({ ...parts, checks, diagnoses: [] }, false, true);
  }

  /** Builds the report and hands it to the view, which shows it in the chosen form (the library's shows nothing). */
  finish(
    parts: {
      checks: Check[];
      diagnoses: Diagnosis[];
      tls?: TlsInfo;
      auth?: Report['auth'];
      stages?: StageTiming[];
      message?: Report['message'];
      probe?: Report['probe'];
    },
    strict = false,
    interrupted = false,
  ): Report {
    const base = { lint: this.loaded.lint, checks: withExpiryCheck(parts.checks, parts.tls), diagnoses: parts.diagnoses };
    const report: Report = {
      schemaVersion,
      command: this.command,
      versions: runtimeVersions(),
      provider: this.provider,
      config: configEntries(this.loaded.config.settings),
      files: this.files,
      ...base,
      transcript: this.live.recorder.lines,
      ...(parts.tls ? { tls: parts.tls } : {}),
      ...(parts.auth ? { auth: parts.auth } : {}),
      timings: { totalMs: Math.round(performance.now() - this.live.started), stages: parts.stages ?? [] },
      ...(parts.message ? { message: parts.message } : {}),
      ...(parts.probe ? { probe: parts.probe } : {}),
      result: decideOutcome(base, strict, interrupted),
    };
    this.view.report(report);
    return report;
  }
}

/** The certificate's expiry, judged right after the TLS check it belongs to. */
function withExpiryCheck(checks: Check[], tls: TlsInfo | undefined): Check[] {
  const expiry = certificateExpiryCheck(tls);
  if (!expiry) return checks;
  const at = checks.findIndex((c) => c.id === 'smtp.tls');
  return at === -1 ? [...checks, expiry] : [...checks.slice(0, at + 1), expiry, ...checks.slice(at + 1)];
}
