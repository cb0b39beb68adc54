import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/exit-codes.js';
import type { Report } from '../../src/report/model.js';
import { localhostCert } from '../fixtures/certs.js';
import { runCli, stackTrace } from '../fixtures/cli.js';
import { defaultUser, startTestServer, type TestServer } from '../fixtures/smtp-server.js';
import { closedPort, startNeverAcceptingListener, startSilentListener, type Listener } from '../fixtures/unreachable.mjs';

/**
 * `mailcheck probe` as a user runs it: the built binary in an empty directory, a clean
 * environment, and a loopback "host" with an implicit-TLS port, a STARTTLS port, a refused port,
 * a silent one and one that never accepts. --ports points it at them (the real submission ports
 * are not ours to open in a test). The certificate is trusted as a private CA would be:
 * NODE_EXTRA_CA_CERTS.
 */

const password = 'Pr0be-e2e-Secret!';
let cwd: string;
let env: Record<string, string>;
let implicit: TestServer;
let starttls: TestServer;
let silent: Listener;
let neverAccepts: Listener;
let refused: number;

beforeAll(async () => {
  if (!existsSync(fileURLToPath(new URL('../../dist/cli.js', import.meta.url)))) throw new Error('build first: npm run build (npm test does it)');
  cwd = mkdtempSync(join(tmpdir(), 'mailcheck-probe-e2e-'));
  writeFileSync(join(cwd, 'ca.pem'), (await localhostCert()).cert);
  env = { NODE_EXTRA_CA_CERTS: join(cwd, 'ca.pem') };
  [implicit, starttls, silent, neverAccepts, refused] = await Promise.all([
    startTestServer({ secure: true, password }),
    startTestServer({ password }),
    startSilentListener(),
    startNeverAcceptingListener(),
    closedPort(),
  ]);
});
afterAll(async () => {
  await Promise.all([implicit, starttls, silent, neverAccepts].map((s) => s?.close()));
  rmSync(cwd, { recursive: true, force: true });
});

const probe = (args: string[], extra: { env?: Record<string, string>; stdin?: string } = {}) =>
  runCli(['probe', ...args], { cwd, env: { ...env, ...extra.env }, ...(extra.stdin !== undefined ? { stdin: extra.stdin } : {}) });

describe('mailcheck probe', () => {
  it('a host with working and broken ports: prints the matrix and the exact lines to use, exit 0', async () => {
    const ports = [implicit.port, starttls.port, refused, silent.port, neverAccepts.port];
    const run = await probe(['127.0.0.1', '--ports', ports.join(','), '--timeout', '1s']);
    expect(run.stderr).not.toMatch(stackTrace);
    expect(run.code).toBe(ExitCode.ok);
    expect(run.stdout).toMatch(new RegExp(`^  ${implicit.port} +✔ works +✖ TLS mismatch +✖ TLS mismatch$`, 'm'));
    expect(run.stdout).toMatch(new RegExp(`^  ${starttls.port} +✖ TLS mismatch +✔ works +✔ works$`, 'm'));
    expect(run.stdout).toMatch(new RegExp(`^  ${refused} +✖ refused +✖ refused +✖ refused$`, 'm'));
    expect(run.stdout).toMatch(new RegExp(`^  ${neverAccepts.port} +… timed out +… timed out +… timed out$`, 'm'));
    expect(run.stdout).toMatch(/TLSv1\.[23], certificate verified, AUTH PLAIN LOGIN/);
    expect(run.stdout).toContain(`\nSMTP_PORT=${implicit.port}\nSMTP_SECURE=1\n`);
  });

  it('--json: one document with schemaVersion, every cell, and the recommendation', async () => {
    const run = await probe(['127.0.0.1', '--ports', `${starttls.port},${refused}`, '--timeout', '1s', '--json']);
    expect(run.code).toBe(ExitCode.ok);
    const report = JSON.parse(run.stdout) as Report;
    expect(report).toMatchObject({ schemaVersion: 1, command: 'probe', result: { ok: true, exitCode: 0 } });
    expect(report.probe?.cells).toHaveLength(6);
    expect(report.probe?.recommendation).toMatchObject({ port: starttls.port, mode: 'starttls', lines: [`SMTP_PORT=${starttls.port}`, 'SMTP_SECURE=0'] });
    expect(run.stderr).toBe('');
  });

  it('host and port from .env, SMTP_SECURE=1 on the STARTTLS port: exit 5, the fix, and the configured port is probed too', async () => {
    const dir = mkdtempSync(join(cwd, 'configured-'));
    writeFileSync(join(dir, '.env'), `SMTP_HOST=127.0.0.1\nSMTP_PORT=${starttls.port}\nSMTP_SECURE=1\n`);
    const run = await runCli(['probe', '--ports', String(implicit.port), '--timeout', '1s'], { cwd: dir, env });
    expect(run.code).toBe(ExitCode.tls);
    expect(run.stdout).toContain(`diagnosis: port ${starttls.port} speaks STARTTLS, not implicit TLS: set SMTP_SECURE=0`);
    expect(run.stdout).toMatch(new RegExp(`^  ${starttls.port} \\(configured\\) +✖ TLS mismatch +✔ works`, 'm'));
    expect(run.stdout).toContain(`\nSMTP_PORT=${implicit.port}\nSMTP_SECURE=1\n`);
  });

  it('nothing answers: exit 4 and no recommendation', async () => {
    const run = await probe(['127.0.0.1', '--ports', `${refused},${neverAccepts.port}`, '--timeout', '500ms']);
    expect(run.code).toBe(ExitCode.network);
    expect(run.stdout).toContain('no working combination found');
    expect(run.stdout).not.toMatch(/^SMTP_PORT=/m);
  });

  it("without --timeout each attempt gets the probe's own 3 s, not the walk's 5 s", async () => {
    const run = await probe(['127.0.0.1', '--ports', String(refused), '--json']);
    expect(run.code).toBe(ExitCode.network);
    expect((JSON.parse(run.stdout) as Report).probe?.timeoutMs).toBe(3000);
  });

  it('--auth with a wrong password from stdin: exit 6, and the password appears nowhere in any form', async () => {
    const wrong = `${password}-nope`;
    const run = await probe(['127.0.0.1', '--ports', String(implicit.port), '--auth', '--password-stdin', '--timeout', '1s'], {
      env: { SMTP_USER: defaultUser },
      stdin: wrong,
    });
    expect(run.code).toBe(ExitCode.auth);
    expect(run.stdout).toMatch(/login REJECTED: 535/);
    for (const form of [wrong, Buffer.from(wrong).toString('base64').slice(0, 12), Buffer.from(`\u0000${defaultUser}\u0000${wrong}`).toString('base64')]) {
      expect(run.stdout + run.stderr).not.toContain(form);
    }
  });

  it('--auth with the right password: accepted, exit 0', async () => {
    const run = await probe(['127.0.0.1', '--ports', String(implicit.port), '--auth', '--timeout', '1s', '--json'], {
      env: { SMTP_USER: defaultUser, SMTP_PASSWORD: password },
    });
    expect(run.code).toBe(ExitCode.ok);
    const report = JSON.parse(run.stdout) as Report;
    expect(report.checks.find((c) => c.id === 'probe.auth')).toMatchObject({ status: 'pass' });
    expect(run.stdout).not.toContain(password);
  });

  it('bad input: a clear message and a documented exit code, never a stack trace', async () => {
    const badPorts = await probe(['127.0.0.1', '--ports', '465,abc']);
    expect(badPorts.code).toBe(ExitCode.usage);
    expect(badPorts.stderr).toContain('--ports "465,abc" is not a list of ports');
    const withScheme = await probe(['smtp://mail.example.com']);
    expect(withScheme.code).toBe(ExitCode.usage);
    const noHost = await probe([]);
    expect(noHost.code).toBe(ExitCode.config);
    expect(noHost.stderr).toContain('no host to probe: SMTP_HOST is not set');
    const noPassword = await probe(['127.0.0.1', '--auth'], { env: { SMTP_USER: defaultUser } });
    expect(noPassword.code).toBe(ExitCode.config);
    for (const run of [badPorts, withScheme, noHost, noPassword]) expect(run.stderr).not.toMatch(stackTrace);
  });
});
