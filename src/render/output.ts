import type { Redactor } from '../report/redact.js';

export interface Writable {
  write(text: string): unknown;
}

/**
 * The last gate before bytes leave the process. Redaction already happened where text was
 * recorded; scrubbing again here costs microseconds and means a future renderer that forgets
 * cannot leak a secret.
 */
export class Output {
  constructor(
    private readonly redactor: Redactor,
    private readonly stdout: Writable = process.stdout,
    private readonly stderr: Writable = process.stderr,
  ) {}

  /** The result: the report, or the JSON document. */
  out(text: string): void {
    this.stdout.write(this.redactor.scrub(text));
  }

  /** Progress, prompts, notes that are not the result. */
  err(text: string): void {
    this.stderr.write(this.redactor.scrub(text));
  }
}
