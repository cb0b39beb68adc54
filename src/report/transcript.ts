import { safeLines } from '../safety/text.js';

export type LineDirection = 'client' | 'server' | 'info';

export interface TranscriptLine {
  /** Milliseconds since the check started. */
  at: number;
  dir: LineDirection;
  /** Terminal-safe, and free of secrets (masked by mailcheck, or scrubbed by the adapter that read the line): fit to print as is. */
  text: string;
  /** Sent or received inside TLS. */
  encrypted: boolean;
}

/** How every form of the report marks a line, as swaks does: `->`/`<-` in the clear, `~>`/`<~` inside TLS, `==` what mailcheck observed. */
export function transcriptMark(line: Pick<TranscriptLine, 'dir' | 'encrypted'>): string {
  if (line.dir === 'info') return '==';
  if (line.dir === 'client') return line.encrypted ? '~>' : '->';
  return line.encrypted ? '<~' : '<-';
}

/**
 * The only way lines enter a report. Every line is made terminal-safe and bounded here, once.
 * Secrets are not searched for here: mailcheck's own lines carry masks, and the adapter that
 * reads a party's answer scrubs what it sent that party (safety/secrets.ts).
 */
export class TranscriptRecorder {
  readonly lines: TranscriptLine[] = [];
  private readonly started = performance.now();
  private onLine: (line: TranscriptLine) => void = () => {};

  // Bound memory against a server that floods us with lines.
  constructor(private readonly maxLines = 500) {}

  /**
   * Sends every line recorded so far, then each new one, to `onLine`. A check may start before
   * anything can print its transcript (the renderer loads while the server is greeting).
   */
  follow(onLine: (line: TranscriptLine) => void): void {
    for (const line of this.lines) onLine(line);
    this.onLine = onLine;
  }

  elapsed(): number {
    return Math.round(performance.now() - this.started);
  }

  record(dir: LineDirection, raw: string, encrypted: boolean): void {
    for (const text of safeLines(raw)) {
      if (this.lines.length >= this.maxLines) return;
      const line: TranscriptLine = { at: this.elapsed(), dir, text, encrypted };
      if (this.lines.length === this.maxLines - 1) line.text = '… (transcript truncated)';
      this.lines.push(line);
      this.onLine(line);
    }
  }
}
