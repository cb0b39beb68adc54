import { readFileSync } from 'node:fs';
import { arch, release, type } from 'node:os';

/** Read from package.json at run time, so the version lives in exactly one place. */
export const version: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** What a bug report needs first: which mailcheck, on which Node, on which system. */
export interface Versions {
  mailcheck: string;
  node: string;
  /** e.g. "Linux 6.1.0-18-amd64 x64", "Darwin 23.4.0 arm64", "Windows_NT 10.0.22631 x64". */
  os: string;
}

export function runtimeVersions(): Versions {
  return { mailcheck: version, node: process.version, os: `${type()} ${release()} ${arch()}` };
}
