/**
 * Whether git would commit a file mailcheck wrote (a .env holds the password), and, when asked,
 * adding it to .gitignore. Outside a git work tree, or without git, there is nothing to say.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, lstatSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export type IgnoreStatus = 'ignored' | 'not-ignored' | 'no-git';

export function gitIgnoreStatus(path: string): IgnoreStatus {
  // `git check-ignore` exits 0 when ignored, 1 when not (a tracked file counts as not ignored:
  // exactly the case to warn about), 128 outside a work tree. core.fsmonitor would run a
  // command named by the repository's own config: never for a question this small.
  const run = spawnSync('git', ['-c', 'core.fsmonitor=false', 'check-ignore', '-q', '--', basename(path)], {
    cwd: dirname(path),
    stdio: 'ignore',
    timeout: 5000,
  });
  if (run.status === 0) return 'ignored';
  if (run.status === 1) return 'not-ignored';
  return 'no-git';
}

/** The files (the written one and its backup) git would pick up, as the patterns that ignore them. */
export function unignoredPatterns(path: string, backup: string | undefined): string[] {
  const patterns: string[] = [];
  if (gitIgnoreStatus(path) === 'not-ignored') patterns.push(`/${basename(path)}`);
  // One pattern for every backup to come (.env.bak, .env.bak.1, ...), not only this one.
  if (backup && dirname(backup) === dirname(path) && gitIgnoreStatus(backup) === 'not-ignored') patterns.push(`/${basename(path)}.bak*`);
  return patterns;
}

/** Appends the patterns to the .gitignore beside the file (creating it), on a line of their own. */
export function addToGitignore(dir: string, patterns: readonly string[]): string {
  const file = join(dir, '.gitignore');
  if (existsSync(file) && !lstatSync(file).isFile()) throw new Error(`${file} is not a regular file`);
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const separator = current === '' || current.endsWith('\n') ? '' : '\n';
  appendFileSync(file, `${separator}# written by mailcheck: these hold secrets\n${patterns.join('\n')}\n`);
  return file;
}
