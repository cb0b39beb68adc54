import { parse } from 'dotenv';
import { FileReadError, readBoundedText } from '../safety/files.js';

interface EnvFileValue {
  value: string;
  /** 1-based line of the assignment that wins (dotenv keeps the last one). */
  line: number;
  /**
   * The unquoted value had a `#` glued to it (`SMTP_PASSWORD=ab#cd`): dotenv, like the app, reads
   * it as the start of a comment and keeps only `ab`. Almost always part of a password instead.
   */
  cutAtHash?: boolean;
}

export interface EnvFile {
  path: string;
  values: Map<string, EnvFileValue>;
  /** Keys assigned more than once: the last assignment wins, which surprises people. */
  duplicates: Map<string, number[]>;
}

export class EnvFileError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`cannot read ${path}: ${reason}`);
  }
}

/** Real .env files are a few KB; this bounds what a wrong path (a log, a dump) can cost. */
export const maxEnvFileBytes = 1024 * 1024;

// The assignment forms dotenv accepts: optional `export`, `KEY=value` or `KEY: value`.
const assignment = /^\s*(?:export\s+)?([\w.-]+)\s*[=:](.*)$/;
// An unquoted value with a `#` right after a value character, not after a space.
const hashInsideValue = /^\s*[^\s'"`#](?:[^#]*[^\s#])?#/;

/**
 * Reads a .env file without touching process.env. Values come from dotenv itself (quotes,
 * escapes, comments, CRLF); line numbers come from our own scan so messages can point at them.
 */
export function readEnvFile(path: string): EnvFile {
  let text: string;
  try {
    text = readBoundedText(path, maxEnvFileBytes);
  } catch (error) {
    if (error instanceof FileReadError) throw new EnvFileError(path, error.reason);
    throw error;
  }
  // A UTF-8 BOM would otherwise become part of the first key ("\uFEFFSMTP_HOST").
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);

  const parsed = parse(text);
  const linesByKey = new Map<string, number[]>();
  const rawValueByLine = new Map<number, string>();
  text.split(/\r?\n|\r/).forEach((line, index) => {
    const [, key, rawValue] = assignment.exec(line) ?? [];
    if (key === undefined || !(key in parsed)) return;
    const lines = linesByKey.get(key) ?? [];
    lines.push(index + 1);
    linesByKey.set(key, lines);
    rawValueByLine.set(index + 1, rawValue ?? '');
  });

  const values = new Map<string, EnvFileValue>();
  const duplicates = new Map<string, number[]>();
  for (const [key, value] of Object.entries(parsed)) {
    const lines = linesByKey.get(key) ?? [0];
    const line = lines[lines.length - 1]!;
    values.set(key, { value, line, ...(hashInsideValue.test(rawValueByLine.get(line) ?? '') ? { cutAtHash: true } : {}) });
    if (lines.length > 1) duplicates.set(key, lines);
  }
  return { path, values, duplicates };
}
