import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { doctor, probe, test } from '../../src/api.js';
import { commandFlags, globalFlags, valueKind } from '../../src/commands/flags.js';
import { ExitCode } from '../../src/exit-codes.js';
import { localhostCert } from '../fixtures/certs.js';
import { assertValidReport } from '../fixtures/report-schema.js';
import { canonicalNames as names, defaultPassword, defaultUser, startTestServer, type TestServer } from '../fixtures/smtp-server.js';

/**
 * The library in-process, straight from src/ (test/e2e/api.test.ts runs the packed tarball):
 * every write to stdout and stderr is watched, and process.env holds a configuration the
 * library must never read.
 */

let server: TestServer;
let dir: string;
let caFile: string;
const writes: string[] = [];

const smtpEnv = (port: number) => ({
  [names.host]: '127.0.0.1',
  [names.port]: String(port),
  [names.secure]: '0',
  [names.user]: defaultUser,
  [names.password]: defaultPassword,
  [names.sender]: 'app@example.com',
});

beforeAll(async () => {
  server = await startTestServer();
  dir = mkdtempSync(join(tmpdir(), 'mailcheck-api-'));
  caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, (await localhostCert()).cert);
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  writes.length = 0;
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    });
  }
  vi.stubEnv('SMTP_HOST', 'never-read.invalid');
  vi.stubEnv('SMTP_PORT', '1');
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('doctor, test and probe in-process', () => {
  it('print nothing and read nothing from process.env, whatever the outcome', async () => {
    const reports = await Promise.all([
      doctor({ env: smtpEnv(server.port), caFile, dns: false }),
      doctor({ env: { ...smtpEnv(server.port), [names.password]: 'wrong-horse-battery' }, caFile, dns: false }),
      test({ sandbox: true }),
      probe({ sandbox: true }),
      doctor({ envFiles: ['/nonexistent/.env'] }),
      test({ env: smtpEnv(server.port), caFile }), // no --to and no terminal: a usage error
    ]);
    expect(writes).toEqual([]);
    expect(reports.map((r) => r.result.exitCode)).toEqual([ExitCode.ok, ExitCode.auth, ExitCode.ok, ExitCode.ok, ExitCode.config, ExitCode.usage]);
    for (const report of reports) assertValidReport(report);
    // Runs at once keep their own transcripts: each has its own server's words.
    expect(reports[0]!.transcript.some((l) => l.text.startsWith('235'))).toBe(true);
    expect(reports[1]!.transcript.some((l) => l.text.startsWith('535'))).toBe(true);
    expect(reports[5]!.error?.message).toMatch(/no recipient/);
    expect(process.exitCode).toBeUndefined();
  });

  it('takes numbers where a program writes them: timeout in milliseconds, port as an integer', async () => {
    const env = { ...smtpEnv(server.port), [names.port]: '1' };
    const [asNumbers, asText] = await Promise.all([
      doctor({ env, caFile, dns: false, port: server.port, timeout: 1500 }),
      doctor({ env, caFile, dns: false, port: String(server.port), timeout: '1500ms' }),
    ]);
    expect(asNumbers.result.exitCode).toBe(ExitCode.ok);
    expect(asNumbers.config.find((e) => e.variable === names.port)).toMatchObject({ value: String(server.port), source: 'the --port flag' });
    expect(asNumbers.config).toEqual(asText.config);
    for (const bad of [5.5, 0]) await expect(doctor({ env, port: bad })).rejects.toThrow(/port must be a whole number above 0 or a string/);
  });

  it('the caller may change its env object while a run goes on: the run reads its own copy', async () => {
    const env: Record<string, string | undefined> = { ...smtpEnv(server.port) };
    const running = doctor({ env, caFile, dns: false });
    delete env[names.host];
    expect((await running).result.exitCode).toBe(ExitCode.ok);
  });
});

describe('option types', () => {
  // A signal aborted before the call: options are checked, then nothing runs (exit 130).
  const aborted = () => AbortSignal.abort();
  const valueOfKind = (kind: string) => (kind === 'list' ? ['x'] : kind === 'string' ? 'x' : true);
  const functions = { doctor, test, probe } as const;

  for (const [name, run] of Object.entries(functions) as [keyof typeof functions, (o: object) => ReturnType<typeof doctor>][]) {
    const flags = { ...globalFlags, ...commandFlags[name] };
    it(`${name}: takes every flag the library has, in camelCase, and no flag only the command line has`, async () => {
      for (const [key, spec] of Object.entries(flags)) {
        const attempt = run({ [key]: valueOfKind(valueKind(spec)), signal: aborted() });
        if ('cliOnly' in spec) await expect(attempt, key).rejects.toThrow(new RegExp(`^mailcheck ${name}\\(\\): ${key} is a command-line flag only`));
        else expect((await attempt).result.exitCode, key).toBe(ExitCode.interrupted);
      }
      await expect(run({ timeout: true, signal: aborted() })).rejects.toThrow(/timeout must be a number of milliseconds above 0 or a string/);
      for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) await expect(run({ timeout: bad, signal: aborted() })).rejects.toBeInstanceOf(TypeError);
      expect((await run({ timeout: 1500, signal: aborted() })).result.exitCode).toBe(ExitCode.interrupted);
      await expect(run({ noSuchOption: true })).rejects.toThrow(/unknown option "noSuchOption"/);
      // undefined counts as not given, as for an optional property.
      expect((await run({ timeout: undefined, signal: aborted() })).result.exitCode).toBe(ExitCode.interrupted);
    });
  }
});
