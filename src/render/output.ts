import { inertOutput } from '../safety/text.js';

export interface Writable {
  write(text: string): unknown;
}

/**
 * The one gate between mailcheck and the outside: stdout carries the result (the report, or the
 * JSON document), stderr progress and notes. Secrets are already masked or scrubbed where they
 * entered, so nothing is searched for here; the gate only makes sure that no escape sequence and
 * no CI workflow command reaches a terminal or a log unless mailcheck wrote it as one.
 */
export class Output {
  constructor(
    private readonly stdout: Writable = process.stdout,
    private readonly stderr: Writable = process.stderr,
  ) {}

  /** The result: the report, or the JSON document. */
  out(text: string): void {
    this.stdout.write(inertOutput(text));
  }

  /** Progress, prompts, notes that are not the result. */
  err(text: string): void {
    this.stderr.write(inertOutput(text));
  }

  /** Lines the CI runner is meant to execute (GitHub's `::error ...::`), already escaped by their formatter. */
  workflowCommands(text: string, toStderr: boolean): void {
    (toStderr ? this.stderr : this.stdout).write(text);
  }
}
