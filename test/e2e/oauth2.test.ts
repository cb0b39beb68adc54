import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/exit-codes.js';
import { localhostCert } from '../fixtures/certs.js';
import { runCli, stackTrace } from '../fixtures/cli.js';

/**
 * Logging in with an OAuth 2.0 access token (issue 13): a server that offers only XOAUTH2, as
 * Microsoft 365 does with basic authentication off, accepts the token; the token never shows,
 * in any form, on any channel.
 */

const user = 'mailbox@example.com';
const token = 'ya29.a0AfB_byC-distinctive-token-1234567890';
let server: SMTPServer;
let port: number;
let dir: string;
let caFile: string;
const logins: { method: string; user?: string }[] = [];

beforeAll(async () => {
  const cert = await localhostCert();
  dir = mkdtempSync(join(tmpdir(), 'mailcheck-oauth2-'));
  caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, cert.cert);
  server = new SMTPServer({
    key: cert.key,
    cert: cert.cert,
    authMethods: ['XOAUTH2'],
    onAuth(auth, _session, callback) {
      logins.push({ method: auth.method, ...(auth.username ? { user: auth.username } : {}) });
      if (auth.username === user && auth.accessToken === token) return callback(null, { user });
      // What XOAUTH2 servers send back on a bad token: a base64 JSON status, then 535.
      return callback(null, { data: { status: '401', schemes: 'bearer', scope: 'https://mail.google.com/' } });
    },
    logger: false,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.server.address() as { port: number }).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

function env(extra: Record<string, string> = {}): Record<string, string> {
  // No SMTP_PASSWORD: the token completes the SMTP block in its place.
  return { SMTP_HOST: 'localhost', SMTP_PORT: String(port), SMTP_USER: user, SMTP_SENDER: 'App <app@example.com>', SMTP_SECURE: '0', ...extra };
}

function expectNoToken(text: string): void {
  const payload = Buffer.from(`user=${user}\u0001auth=Bearer ${token}\u0001\u0001`).toString('base64');
  for (const form of [token, payload, Buffer.from(token).toString('base64'), encodeURIComponent(token)]) expect(text).not.toContain(form);
}

describe('XOAUTH2 with an access token', () => {
  it('--oauth2-token-stdin logs in where only XOAUTH2 is offered, and sends the message', async () => {
    const run = await runCli(['test', '--to', 'you@example.com', '--ca-file', caFile, '--oauth2-token-stdin', '--json'], {
      cwd: dir,
      env: env(),
      stdin: token,
    });
    expect(run.code).toBe(ExitCode.ok);
    expect(logins.at(-1)).toEqual({ method: 'XOAUTH2', user });
    const report = JSON.parse(run.stdout) as { transcript: { text: string }[]; config: { variable: string; value: string; source: string }[] };
    expect(report.transcript.map((l) => l.text)).toContain(`AUTH XOAUTH2 ‹base64 of user "${user}" and token …(${token.length} chars)›`);
    expect(report.config).toContainEqual({ variable: 'SMTP_OAUTH2_TOKEN', value: `…(${token.length} chars)`, source: '--oauth2-token-stdin' });
    expectNoToken(run.stdout + run.stderr);
  });

  it('SMTP_OAUTH2_TOKEN from the environment; a wrong token is an auth failure (exit 6), still never shown', async () => {
    const wrong = `${token}-revoked`;
    const run = await runCli(['doctor', '--ca-file', caFile], { cwd: dir, env: { ...env({ SMTP_OAUTH2_TOKEN: wrong }), GITHUB_ACTIONS: 'true' } });
    expect(run.code).toBe(ExitCode.auth);
    expect(run.stderr).not.toMatch(stackTrace);
    expect(run.stdout + run.stderr).not.toContain(wrong);
  });

  it('--password-stdin and --oauth2-token-stdin together: a usage error, before anything is read or sent', async () => {
    const before = logins.length;
    const run = await runCli(['test', '--to', 'you@example.com', '--password-stdin', '--oauth2-token-stdin'], { cwd: dir, env: env(), stdin: token });
    expect(run.code).toBe(ExitCode.usage);
    expect(logins.length).toBe(before);
  });
});
