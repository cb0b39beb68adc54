/**
 * An expected failure that ends a command before a report exists (bad flag value, unreadable
 * file): printed as one clear message with a hint, never as a stack trace.
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    readonly hint?: string,
  ) {
    super(message);
  }
}
