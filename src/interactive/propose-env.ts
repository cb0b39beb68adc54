/**
 * The one way mailcheck changes a .env: show the exact change as a diff (secrets masked), get an
 * explicit yes, then write atomically with a backup. Used by guided setup and by fix offers.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UserError } from '../errors.js';
import { maxEnvFileBytes } from '../config/env-file.js';
import { FileReadError, readBoundedText } from '../safety/files.js';
import { ExitCode } from '../exit-codes.js';
import type { Output } from '../render/output.js';
import { styles } from '../render/style.js';
import { applyEnvChanges, EnvEditError, renderEnvDiff, type EnvChange } from './env-edit.js';
import { addToGitignore, unignoredPatterns } from './git-ignore.js';
import { NotARegularFileError, writeEnvFileAtomically, type EnvWriteResult } from './env-write.js';

export interface ProposeOptions {
  path: string;
  changes: readonly EnvChange[];
  output: Output;
  color: boolean;
  /** Resolves true to write. On a terminal a confirm prompt; elsewhere an explicit --write flag. */
  confirm: () => Promise<boolean>;
  /** Variables to mask in the diff beyond the secret-looking names. */
  secretNames?: readonly string[];
  /** A yes/no question on a terminal (adding the file to .gitignore); absent elsewhere, where nothing is done unasked. */
  ask?: (message: string) => Promise<boolean>;
}

export type ProposeOutcome = { kind: 'written'; result: EnvWriteResult } | { kind: 'declined' } | { kind: 'unchanged' };

export async function proposeEnvChanges(o: ProposeOptions): Promise<ProposeOutcome> {
  const before = await readEnvText(o.path);
  let after: string;
  const notes: string[] = [];
  try {
    after = applyEnvChanges(before ?? '', o.changes, notes);
  } catch (error) {
    if (error instanceof EnvEditError) throw new UserError(error.message, ExitCode.config, `edit ${o.path} by hand`);
    throw error;
  }
  if (before === after) {
    o.output.err(`${o.path} already has these values; nothing to change.\n`);
    return { kind: 'unchanged' };
  }
  o.output.err(`\n${colourDiff(renderEnvDiff(before, after, { path: o.path, ...(o.secretNames ? { secretNames: o.secretNames } : {}) }), o.color)}\n`);
  for (const note of notes) o.output.err(`note: ${note}\n`);
  if (!(await o.confirm())) {
    o.output.err(`Nothing written; ${o.path} is unchanged.\n`);
    return { kind: 'declined' };
  }
  // The person may have edited the file while the question was open: never overwrite that.
  if ((await readEnvText(o.path)) !== before) {
    throw new UserError(
      `${o.path} changed while the question was open; nothing written`,
      ExitCode.config,
      'run the command again to see the change against the current file',
    );
  }
  let result: EnvWriteResult;
  try {
    result = await writeEnvFileAtomically(o.path, after);
  } catch (error) {
    if (error instanceof NotARegularFileError) throw new UserError(`${error.message}; nothing written`, ExitCode.config, 'point --dotenv at a regular file');
    throw new UserError(
      `cannot write ${o.path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}; it is unchanged`,
      ExitCode.config,
      'check the permissions of the file and its directory',
    );
  }
  // Through a symlink the target was written and backed up beside it: name the real paths.
  const written = result.viaSymlink ? `${result.path} (${o.path} is a symlink to it, and stays one)` : o.path;
  const backup =
    result.backup && (result.viaSymlink || !result.backup.startsWith(result.path) ? result.backup : `${o.path}${result.backup.slice(result.path.length)}`);
  const about = [result.created ? 'new, readable by you only' : '', backup ? `the previous version is in ${backup}` : ''].filter(Boolean);
  o.output.err(`Wrote ${written}${about.length ? ` (${about.join('; ')})` : ''}.\n`);
  await guardAgainstCommit(o, result);
  return { kind: 'written', result };
}

/**
 * A .env that git does not ignore is one `git add .` away from publishing the password: say so,
 * and on a terminal offer to add it (and its backups) to .gitignore. Never done unasked.
 */
async function guardAgainstCommit(o: ProposeOptions, result: EnvWriteResult): Promise<void> {
  const patterns = unignoredPatterns(result.path, result.backup);
  if (patterns.length === 0) return;
  const dir = dirname(result.path);
  const what = patterns.map((p) => p.slice(1)).join(' and ');
  o.output.err(`warning: git does not ignore ${what} in ${dir}: a commit would publish the password it holds.\n`);
  if (o.ask && (await o.ask(`Add ${patterns.join(' and ')} to ${join(dir, '.gitignore')}?`))) {
    try {
      o.output.err(`Added ${patterns.join(' and ')} to ${addToGitignore(dir, patterns)}. If git already tracks the file: git rm --cached ${what}\n`);
      return;
    } catch (error) {
      o.output.err(`could not change .gitignore (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})\n`);
    }
  }
  o.output.err(`  to keep it out of git: printf '${patterns.join('\\n')}\\n' >> ${JSON.stringify(join(dir, '.gitignore'))}\n`);
}

/** The file's text, or undefined when it does not exist yet. Non-UTF-8 files are left alone. */
async function readEnvText(path: string): Promise<string | undefined> {
  if (!existsSync(path)) return undefined;
  let text: string;
  try {
    text = readBoundedText(path, maxEnvFileBytes);
  } catch (error) {
    throw new UserError(
      error instanceof FileReadError ? error.message : `cannot read ${path}`,
      ExitCode.config,
      'mailcheck edits only a regular .env file: check the path',
    );
  }
  if (text.includes('\uFFFD')) {
    throw new UserError(`${path} is not UTF-8 text, so mailcheck will not rewrite it`, ExitCode.config, 'make the change by hand');
  }
  return text;
}

function colourDiff(diff: string, color: boolean): string {
  const c = styles(color);
  return diff
    .split('\n')
    .map((line) =>
      line.startsWith('---') || line.startsWith('+++')
        ? c.bold(line)
        : line.startsWith('@@')
          ? c.cyan(line)
          : line.startsWith('-')
            ? c.red(line)
            : line.startsWith('+')
              ? c.green(line)
              : line,
    )
    .join('\n')
    .trimEnd();
}
