/** Where a configuration value came from, so every message can point at the line to change. */
export type Source =
  | { kind: 'file'; path: string; line: number }
  | { kind: 'env' }
  | { kind: 'flag'; flag: string }
  | { kind: 'stdin'; flag: string }
  | { kind: 'sandbox' }
  | { kind: 'default' }
  /** Chosen during guided setup (`mailcheck init`): a preset's value or the user's answer. */
  | { kind: 'setup'; detail: string };

export function describeSource(source: Source): string {
  switch (source.kind) {
    case 'file':
      return `${source.path} line ${source.line}`;
    case 'env':
      return 'the environment';
    case 'flag':
      return `the ${source.flag} flag`;
    case 'stdin':
      return source.flag;
    case 'sandbox':
      return 'the sandbox';
    case 'default':
      return 'the default';
    case 'setup':
      return source.detail;
  }
}

/** A value as the user wrote it, under the name they used, with its origin. */
export interface Setting {
  /** The variable name as set by the user (an alias such as SMTP_PASS stays SMTP_PASS). */
  name: string;
  value: string;
  source: Source;
}
