import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/exit-codes.js';
import { localhostCert } from '../fixtures/certs.js';
import { runCli } from '../fixtures/cli.js';
import { assertValidReport, validated } from '../fixtures/report-schema.js';
import { defaultPassword, defaultUser, startTestServer, type TestServer } from '../fixtures/smtp-server.js';
import { ensureBuilt } from './cli-harness.js';

/**
 * Every command's `--json` document, from the built binary, against schema/report.v1.json: each
 * kind of run (a session that passes, one that fails, the sandbox, a probe, an early end for a
 * usage or configuration error) exercises a different part of the schema. Every other test that
 * runs with --json is validated too, by the hook in test/fixtures/cli.ts; these runs make sure
 * each part is reached even if those tests change, and that the hook itself is in place.
 */

let server: TestServer;
let cwd: string;
let caFile: string;

beforeAll(async () => {
  await ensureBuilt();
  server = await startTestServer({});
  cwd = mkdtempSync(join(tmpdir(), 'mailcheck-schema-'));
  caFile = join(cwd, 'ca.pem');
  writeFileSync(caFile, (await localhostCert()).cert);
});
afterAll(async () => {
  await server?.close();
  if (cwd) rmSync(cwd, { recursive: true, force: true });
});

const smtpEnv = (password = defaultPassword) => ({
  SMTP_HOST: '127.0.0.1',
  SMTP_PORT: String(server.port),
  SMTP_SECURE: '0',
  SMTP_USER: defaultUser,
  SMTP_PASSWORD: password,
  SMTP_SENDER: 'App <app@example.com>',
});

async function json(args: string[], env: Record<string, string>, exit: number, command: string, endNodeOptions = false) {
  const before = validated.count;
  const run = await runCli(args, { cwd, env, endNodeOptions });
  expect(run.code, run.stderr).toBe(exit);
  const document = JSON.parse(run.stdout) as { command: string; result: { exitCode: number } };
  // Validated here explicitly, and by the central hook: the count proves the hook ran too.
  assertValidReport(document);
  expect(validated.count).toBe(before + 1);
  expect(document.command).toBe(command);
  expect(document.result.exitCode).toBe(exit);
  return document as Record<string, any>;
}

describe('every --json document matches schema/report.v1.json', () => {
  it('doctor, passing: config, lint, checks, transcript, tls, auth, timings', async () => {
    const r = await json(['doctor', '--json', '--ca-file', caFile, '--to', 'you@example.com'], smtpEnv(), ExitCode.ok, 'doctor');
    expect(r.tls.authorized).toBe(true);
    expect(r.auth.performed).toBe(true);
    expect(r.transcript.length).toBeGreaterThan(3);
    expect(r.timings.stages.length).toBeGreaterThan(3);
  });

  it("doctor, wrong password: a diagnosis with the server's words", async () => {
    const r = await json(['doctor', '--json', '--ca-file', caFile, '--to', 'you@example.com'], smtpEnv('not-the-password-at-all'), ExitCode.auth, 'doctor');
    expect(r.diagnoses[0].class).toBe('auth');
    expect(r.result.failureClass).toBe('auth');
  });

  it('test --sandbox: a message sent (message key)', async () => {
    const r = await json(['test', '--sandbox', '--json'], {}, ExitCode.ok, 'test');
    expect(r.message).toBeDefined();
  });

  it('probe: the probe key, cells and recommendation', async () => {
    const r = await json(['probe', '127.0.0.1', '--ports', String(server.port), '--timeout', '2s', '--json', '--ca-file', caFile], {}, ExitCode.ok, 'probe');
    expect(r.probe.cells.length).toBeGreaterThan(0);
    expect(r.probe.recommendation.port).toBe(server.port);
  });

  it('a usage error: an early end with provider.kind "unknown" and an error key', async () => {
    const r = await json(['doctor', '--json', '--no-such-flag'], {}, ExitCode.usage, 'doctor');
    expect(r.provider.kind).toBe('unknown');
    expect(r.error.message).toMatch(/no-such-flag/);
  });

  it('a configuration error: nothing configured', async () => {
    const r = await json(['doctor', '--json'], {}, ExitCode.config, 'doctor');
    expect(r.lint.some((f: { status: string }) => f.status === 'fail')).toBe(true);
  });

  it('an unreadable --env-file: an early end', async () => {
    // `node --`: as bin/mailcheck.cjs starts it, so Node leaves --env-file to mailcheck (cli.ts).
    const r = await json(['doctor', '--json', '--env-file', join(cwd, 'missing.env')], {}, ExitCode.config, 'doctor', true);
    expect(r.error).toBeDefined();
  });
});
