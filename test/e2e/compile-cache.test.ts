import { execFile } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/exit-codes.js';
import { ensureBuilt, removeWorkDirs, runCli, stackTrace, workDir } from './cli-harness.js';

/**
 * bin/load-dist.cjs keeps V8's compiled code of dist/ in the user's cache directory. It may only
 * make a run faster: the same output and exit code with a cold cache, a warm one, a damaged one,
 * a directory others could write to (never used) and one that cannot be created.
 */

beforeAll(ensureBuilt, 180_000);
afterAll(removeWorkDirs);

/** Where this Node's caches go; one directory per installation of mailcheck below it. */
const nodeCacheOf = (xdg: string) => join(xdg, 'mailcheck', `v8-${process.version}-${process.arch}`);
/** The cache directory of the one installation these tests run (the repository's bin/ and dist/). */
function cacheOf(xdg: string): string {
  const [installation, ...others] = readdirSync(nodeCacheOf(xdg));
  expect(others).toEqual([]);
  return join(nodeCacheOf(xdg), installation!);
}
const help = (cwd: string, env: Record<string, string>) => runCli(['test', '--help'], { cwd, env });

describe('the compile cache', () => {
  it('is written on the first run, read on the next, and changes nothing a user sees', async () => {
    const cwd = workDir();
    const xdg = join(cwd, 'xdg');
    const uncached = await help(cwd, { NODE_DISABLE_COMPILE_CACHE: '1', XDG_CACHE_HOME: xdg });
    expect(uncached.code).toBe(ExitCode.ok);
    expect(readdirSync(cwd)).not.toContain('xdg');

    const first = await help(cwd, { XDG_CACHE_HOME: xdg });
    expect({ ...first, ms: 0 }).toEqual({ ...uncached, ms: 0 });
    const files = readdirSync(cacheOf(xdg));
    expect(files).toContainEqual(expect.stringMatching(/^cli\.js-\d+-\d+$/));
    expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
    if (process.platform !== 'win32') expect(statSync(cacheOf(xdg)).mode & 0o077).toBe(0);
    const written = Object.fromEntries(files.map((f) => [f, statSync(join(cacheOf(xdg), f)).mtimeMs]));

    const second = await help(cwd, { XDG_CACHE_HOME: xdg });
    expect({ ...second, ms: 0 }).toEqual({ ...uncached, ms: 0 });
    // Accepted as it was: nothing rewritten.
    expect(Object.fromEntries(readdirSync(cacheOf(xdg)).map((f) => [f, statSync(join(cacheOf(xdg), f)).mtimeMs]))).toEqual(written);
  });

  it('a whole session runs from a warm cache: every lazily loaded chunk cached, exit 0', async () => {
    const cwd = workDir();
    const env = { XDG_CACHE_HOME: join(cwd, 'xdg') };
    const cold = await runCli(['test', '--sandbox'], { cwd, env });
    expect(cold.code, cold.stderr).toBe(ExitCode.ok);
    const cached = readdirSync(cacheOf(env.XDG_CACHE_HOME));
    expect(cached.length).toBeGreaterThan(10);
    const warm = await runCli(['test', '--sandbox'], { cwd, env });
    expect(warm.code, warm.stderr).toBe(ExitCode.ok);
    expect(warm.stderr).toBe(cold.stderr);
    expect(warm.stdout).toMatch(/accepted the test message \(exit 0\)/);
    expect(readdirSync(cacheOf(env.XDG_CACHE_HOME)).sort()).toEqual(cached.sort());
  });

  it('damaged data is rejected by V8 and replaced, and the run is as without a cache', async () => {
    const cwd = workDir();
    const xdg = join(cwd, 'xdg');
    const uncached = await help(cwd, { NODE_DISABLE_COMPILE_CACHE: '1' });
    await help(cwd, { XDG_CACHE_HOME: xdg });
    const cliCache = readdirSync(cacheOf(xdg)).find((f) => f.startsWith('cli.js-'))!;
    const garbage = Buffer.alloc(4096, 0x5a);
    writeFileSync(join(cacheOf(xdg), cliCache), garbage);
    const run = await help(cwd, { XDG_CACHE_HOME: xdg });
    expect({ ...run, ms: 0 }).toEqual({ ...uncached, ms: 0 });
    expect(readFileSync(join(cacheOf(xdg), cliCache)).equals(garbage)).toBe(false);
  });

  it.skipIf(process.platform === 'win32')('a cache directory that others can write to is neither read nor written', async () => {
    const cwd = workDir();
    const xdg = join(cwd, 'xdg');
    await help(cwd, { XDG_CACHE_HOME: xdg });
    const dir = cacheOf(xdg);
    const files = readdirSync(dir);
    // Data someone else could have put there: it must not even be read (V8 would reject it,
    // and the run would replace it).
    const planted = Buffer.alloc(4096, 0x5a);
    for (const file of files) writeFileSync(join(dir, file), planted);
    chmodSync(dir, 0o777);
    const run = await help(cwd, { XDG_CACHE_HOME: xdg });
    expect(run.code).toBe(ExitCode.ok);
    expect(readdirSync(dir)).toEqual(files);
    for (const file of files) expect(readFileSync(join(dir, file)).equals(planted)).toBe(true);
  });

  it.skipIf(process.getuid?.() !== 0)("root makes no cache directory in another user's directory (HOME kept by sudo)", async () => {
    const cwd = workDir();
    const alices = join(cwd, 'alice-home');
    mkdirSync(alices);
    chownSync(alices, 65534, 65534);
    const run = await help(cwd, { HOME: alices });
    expect(run.code).toBe(ExitCode.ok);
    expect(readdirSync(alices)).toEqual([]);
  });

  it.skipIf(process.platform === 'win32')('a symlink anywhere below the cache base means no cache: nothing read or written where it points', async () => {
    const cwd = workDir();
    const xdg = join(cwd, 'xdg');
    await help(cwd, { XDG_CACHE_HOME: xdg });
    const installation = cacheOf(xdg);
    const elsewhere = join(cwd, 'elsewhere');
    mkdirSync(elsewhere, { mode: 0o700 });
    rmSync(installation, { recursive: true });
    // Even a link to a directory of the user's own: whoever can change the link decides where code is read.
    symlinkSync(elsewhere, installation);
    const run = await help(cwd, { XDG_CACHE_HOME: xdg });
    expect(run.code).toBe(ExitCode.ok);
    expect(readdirSync(elsewhere)).toEqual([]);
  });

  it.skipIf(process.getuid?.() !== 0)("root uses no cache below a directory another user owns, even one it could write (another user's ~/.cache)", async () => {
    const cwd = workDir();
    const alices = join(cwd, 'alice-home');
    const xdg = join(alices, '.cache');
    mkdirSync(alices, { mode: 0o755 });
    await help(cwd, { XDG_CACHE_HOME: xdg });
    const installation = cacheOf(xdg);
    for (const file of readdirSync(installation)) rmSync(join(installation, file));
    // alice owns her ~/.cache and could swap anything below it while root's run reads it.
    chownSync(alices, 65534, 65534);
    chownSync(xdg, 65534, 65534);
    const run = await help(cwd, { HOME: alices });
    expect(run.code).toBe(ExitCode.ok);
    expect(readdirSync(installation)).toEqual([]);
  });

  it.skipIf(process.platform === 'win32')('a FIFO in place of a cache file is not waited on: the run goes on without it', async () => {
    const cwd = workDir();
    const xdg = join(cwd, 'xdg');
    await help(cwd, { XDG_CACHE_HOME: xdg });
    const dir = cacheOf(xdg);
    const cliCache = readdirSync(dir).find((f) => f.startsWith('cli.js-'))!;
    rmSync(join(dir, cliCache));
    await promisify(execFile)('mkfifo', [join(dir, cliCache)]);
    const run = await help(cwd, { XDG_CACHE_HOME: xdg });
    expect(run.code).toBe(ExitCode.ok);
    expect(run.stdout).toMatch(/^Usage: mailcheck test/);
  });

  it('a new installation clears the caches of installations unused for 30 days, and only those', async () => {
    const cwd = workDir();
    const xdg = join(cwd, 'xdg');
    const old = join(nodeCacheOf(xdg), 'old-installation');
    const recent = join(nodeCacheOf(xdg), 'recent-installation');
    for (const dir of [old, recent]) mkdirSync(dir, { recursive: true, mode: 0o700 });
    const days = (n: number) => (Date.now() - n * 24 * 60 * 60 * 1000) / 1000;
    utimesSync(old, days(31), days(31));
    utimesSync(recent, days(29), days(29));
    const run = await help(cwd, { XDG_CACHE_HOME: xdg });
    expect(run.code).toBe(ExitCode.ok);
    const left = readdirSync(nodeCacheOf(xdg));
    expect(left).toContain('recent-installation');
    expect(left).not.toContain('old-installation');
    rmSync(recent, { recursive: true });
    expect(readdirSync(cacheOf(xdg)).length).toBeGreaterThan(0);
  });

  it('a cache that cannot be created costs nothing but the cache: same output, no error', async () => {
    const cwd = workDir();
    const uncached = await help(cwd, { NODE_DISABLE_COMPILE_CACHE: '1' });
    writeFileSync(join(cwd, 'not-a-dir'), '');
    const run = await help(cwd, { XDG_CACHE_HOME: join(cwd, 'not-a-dir') });
    expect({ ...run, ms: 0 }).toEqual({ ...uncached, ms: 0 });
    expect(run.stderr).not.toMatch(stackTrace);
  });
});
