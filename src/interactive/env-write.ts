/**
 * Writing a .env so that at every instant the file is either the old one or the new one, never
 * half written, and the old one is kept beside it. The new text goes to a temporary file in the
 * same directory (rename is only atomic within one file system), is flushed to disk, and is
 * renamed over the original. A new .env holds secrets, so it is created readable by its owner only.
 *
 * Only regular files are written: renaming over a device node or a FIFO would replace it with a
 * file holding the password. A symlink is followed: its target is written (and backed up beside
 * the target), the link stays, and the result says so.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { chown, copyFile, chmod, lstat, open, realpath, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface EnvWriteResult {
  /** The file written (a symlink's target, so the link itself stays). */
  path: string;
  /** The path given was a symlink to `path`. */
  viaSymlink: boolean;
  created: boolean;
  /** Where the previous content was kept, when there was one. */
  backup?: string;
}

export const newEnvFileMode = 0o600;

export async function writeEnvFileAtomically(path: string, text: string): Promise<EnvWriteResult> {
  const target = await realpath(path).catch(() => path);
  const existing = await stat(target).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (existing && !existing.isFile()) throw new NotARegularFileError(target);
  const viaSymlink = (await lstat(path).catch(() => undefined))?.isSymbolicLink() === true;
  const mode = existing ? existing.mode & 0o7777 : newEnvFileMode;
  const temp = join(dirname(target), `.${basename(target)}.mailcheck-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);

  let backup: string | undefined;
  try {
    const handle = await open(temp, 'wx', mode);
    try {
      await handle.writeFile(text, 'utf8');
      // The umask may have narrowed the mode given to open(); the original's mode is kept exactly.
      await handle.chmod(mode);
      if (existing && process.getuid?.() === 0) await handle.chown(existing.uid, existing.gid).catch(() => {});
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (existing) backup = await backUp(target, mode, existing.uid, existing.gid);
    await rename(temp, target);
  } catch (error) {
    await unlink(temp).catch(() => {});
    throw error;
  }
  await syncDirectory(dirname(target));
  return { path: target, viaSymlink, created: !existing, ...(backup ? { backup } : {}) };
}

export class NotARegularFileError extends Error {
  constructor(readonly path: string) {
    super(`${path} is not a regular file (a device, FIFO, socket or directory); mailcheck writes only regular files`);
  }
}

/** Copies the file to `<name>.bak`, or `<name>.bak.1`, `.bak.2`... when taken; never overwrites one. */
async function backUp(path: string, mode: number, uid: number, gid: number): Promise<string> {
  for (let n = 0; n < 1000; n++) {
    const candidate = n === 0 ? `${path}.bak` : `${path}.bak.${n}`;
    try {
      await copyFile(path, candidate, constants.COPYFILE_EXCL);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw error;
    }
    // The backup holds the same secrets as the original: no wider permissions than it had.
    await chmod(candidate, mode);
    if (process.getuid?.() === 0) await chown(candidate, uid, gid).catch(() => {});
    return candidate;
  }
  throw new Error(`cannot find a free backup name beside ${path}`);
}

/** The rename itself is durable only once the directory entry is flushed; not every platform allows it. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Windows and some file systems refuse fsync on a directory; the data itself is already flushed.
  }
}
