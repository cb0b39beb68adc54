import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';

/** Why a file could not be read: a kind to branch on, and words fit for an error message. */
export class FileReadError extends Error {
  constructor(
    readonly path: string,
    readonly kind: 'unreadable' | 'not-regular' | 'too-large',
    readonly reason: string,
    /** The errno code (ENOENT, EACCES...) when the system refused. */
    readonly code?: string,
  ) {
    super(`cannot read ${path}: ${reason}`);
  }
}

/**
 * Reads a small text file (a .env, a CA bundle) with a bound: only regular files, at most
 * `maxBytes`. `/dev/zero`, `/dev/urandom` or a FIFO would otherwise be read forever (or block),
 * and a wrong path to a large file would be read whole into memory. The file is checked through
 * the descriptor it is read from, so it cannot be swapped between the check and the read.
 */
export function readBoundedText(path: string, maxBytes: number): string {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO with no writer must not hang before fstat can refuse it.
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    throw unreadable(path, error);
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw new FileReadError(path, 'not-regular', 'it is a directory, not a file');
    // `--env-file /dev/null` is the usual way to say "no file": empty, and it ends at once.
    if (isNullDevice(stat)) return '';
    if (!stat.isFile()) throw new FileReadError(path, 'not-regular', 'it is not a regular file (a device, FIFO or socket)');
    if (stat.size > maxBytes) throw new FileReadError(path, 'too-large', `it is ${stat.size} bytes, more than the ${maxBytes} such a file can reasonably be`);
    const buffer = Buffer.alloc(Math.min(stat.size, maxBytes) + 1);
    let length = 0;
    // Read until the end, but never past the bound (the file may grow while it is read).
    for (let n = 1; n > 0 && length < buffer.length; length += n) n = readSync(fd, buffer, length, buffer.length - length, null);
    if (length > maxBytes) throw new FileReadError(path, 'too-large', `it grew past ${maxBytes} bytes while it was read`);
    return buffer.subarray(0, length).toString('utf8');
  } catch (error) {
    if (error instanceof FileReadError) throw error;
    throw unreadable(path, error);
  } finally {
    closeSync(fd);
  }
}

function isNullDevice(stat: Stats): boolean {
  if (!stat.isCharacterDevice()) return false;
  try {
    return statSync(nullDevice).rdev === stat.rdev;
  } catch {
    return false;
  }
}

const nullDevice = process.platform === 'win32' ? '\\\\.\\NUL' : '/dev/null';

function unreadable(path: string, error: unknown): FileReadError {
  const code = (error as NodeJS.ErrnoException).code;
  // Linux opens a directory for reading and refuses only the read.
  if (code === 'EISDIR') return new FileReadError(path, 'not-regular', 'it is a directory, not a file', code);
  return new FileReadError(path, 'unreadable', describeFsError(error), code);
}

function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a directory, not a file';
    default:
      return code ?? String(error);
  }
}
