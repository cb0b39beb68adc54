/**
 * `mailcheck test` and `mailcheck doctor` on the Resend path, as a user runs them: the built
 * binary, a .env in a fresh directory, a clean environment, and the SDK pointed at a fake Resend
 * API on loopback with RESEND_BASE_URL. Every run also checks that the API key never appears in
 * stdout or stderr, in any form.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/exit-codes.js';
import { startFakeResend, type FakeResend, type FakeResendOptions } from '../fixtures/fake-resend.js';
import { expiredCert, localhostCert, wrongHostCert } from '../fixtures/certs.js';
import { withoutRealDns } from '../fixtures/cli.js';
import { closedPort } from '../fixtures/unreachable.mjs';

const bin = fileURLToPath(new URL('../../bin/mailcheck.cjs', import.meta.url));

/** A fresh key per run, shaped like a real one (re_ + letters, digits, _), so no leak can hide in a fixed string. */
const newKey = () => `re_${randomBytes(24).toString('base64url').replace(/-/g, 'x')}`;

let fake: FakeResend | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await fake?.close();
  fake = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

interface RunOptions {
  key: string;
  sender?: string;
  /** Extra environment; the rest is deliberately empty. */
  env?: Record<string, string>;
  baseUrl?: string;
}

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

async function startFake(key: string, options: FakeResendOptions = {}): Promise<FakeResend> {
  fake = await startFakeResend({
    fullAccessKeys: [key],
    ownerEmail: 'owner@example.com',
    domains: [
      { name: 'example.com', status: 'verified' },
      { name: 'pending.test', status: 'pending' },
    ],
    ...options,
  });
  return fake;
}

function mailcheck(args: string[], o: RunOptions): Promise<Result> {
  const cwd = mkdtempSync(join(tmpdir(), 'mailcheck-resend-'));
  dirs.push(cwd);
  writeFileSync(join(cwd, '.env'), `RESEND_API_KEY=${o.key}\nRESEND_SENDER_EMAIL="${o.sender ?? 'App <noreply@example.com>'}"\n`);
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', RESEND_BASE_URL: o.baseUrl ?? fake!.url, ...o.env };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...withoutRealDns(args)], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      try {
        expectKeyNeverShown(`${stdout}\n${stderr}`, o.key);
        resolve({ code, stdout, stderr });
      } catch (leak) {
        reject(leak);
      }
    });
  });
}

/** The key, in every encoding it could leak in, and any 8 characters of its secret part. */
function expectKeyNeverShown(output: string, key: string): void {
  const bytes = Buffer.from(key);
  for (const form of [key, bytes.toString('base64').replace(/=+$/, ''), bytes.toString('base64url'), encodeURIComponent(key), bytes.toString('hex')]) {
    expect(output).not.toContain(form);
  }
  const secret = key.slice(3);
  for (let i = 0; i + 8 <= secret.length; i++) expect(output, `a piece of the key leaked: ${secret.slice(i, i + 8)}`).not.toContain(secret.slice(i, i + 8));
}

describe('mailcheck test with Resend', () => {
  it('a good key and a verified domain: exit 0, and the message id the API returned is printed', async () => {
    const key = newKey();
    await startFake(key);
    const r = await mailcheck(['test', '--to', 'delivered@resend.dev'], { key });
    expect(r.code).toBe(ExitCode.ok);
    expect(fake!.sent).toHaveLength(1);
    const id = fake!.sent[0]!.id;
    expect(r.stdout).toContain(`id ${id}`);
    expect(r.stdout).toContain('provider: resend');
    expect(r.stdout).toMatch(/RESEND_API_KEY\s+= re_…\(\d+ chars\)/);
    expect(r.stdout).toMatch(/accepted the test message \(exit 0\)/);
  });

  it('--json: one document with the message id and stable check ids', async () => {
    const key = newKey();
    await startFake(key);
    const r = await mailcheck(['--json', 'test', '--to', 'delivered@resend.dev'], { key });
    expect(r.code).toBe(ExitCode.ok);
    const report = JSON.parse(r.stdout) as { message: { id: string }; checks: { id: string; status: string }[]; result: { exitCode: number } };
    expect(report.message.id).toBe(fake!.sent[0]!.id);
    expect(report.checks.map((c) => `${c.id}:${c.status}`)).toEqual(['resend.key:pass', 'resend.domain:pass', 'resend.send:pass']);
    expect(report.result.exitCode).toBe(0);
  });

  it('without --to and without a terminal: a usage error that suggests delivered@resend.dev, and nothing is called', async () => {
    const key = newKey();
    await startFake(key);
    const r = await mailcheck(['test'], { key });
    expect(r.code).toBe(ExitCode.usage);
    expect(r.stderr).toContain('--to delivered@resend.dev');
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(fake!.requests).toHaveLength(0);
  });

  it('a malformed key stops at configuration (exit 3) before any request', async () => {
    const key = newKey();
    await startFake(key);
    const r = await mailcheck(['test', '--to', 'delivered@resend.dev'], { key: 're_123' });
    expect(r.code).toBe(ExitCode.config);
    expect(fake!.requests).toHaveLength(0);
  });

  it('an unusable RESEND_BASE_URL is a configuration error (exit 3), not a crash', async () => {
    const key = newKey();
    const r = await mailcheck(['test', '--to', 'delivered@resend.dev'], { key, baseUrl: 'ftp://127.0.0.1:1' });
    expect(r.code).toBe(ExitCode.config);
    expect(r.stderr).toContain('RESEND_BASE_URL');
  });

  it('a revoked key: exit 6, named as invalid or revoked in RESEND_API_KEY', async () => {
    const key = newKey();
    await startFake(newKey());
    const r = await mailcheck(['test', '--to', 'delivered@resend.dev'], { key });
    expect(r.code).toBe(ExitCode.auth);
    expect(r.stdout).toMatch(/Resend rejected the API key in RESEND_API_KEY .*revoked/);
    expect(fake!.sent).toHaveLength(0);
  });

  it('an API that echoes the key back, with RESEND_DEBUG=true: still never printed', async () => {
    const key = newKey();
    await startFake(newKey(), { echoKey: true });
    const r = await mailcheck(['test', '--to', 'delivered@resend.dev'], { key, env: { RESEND_DEBUG: 'true' } });
    expect(r.code).toBe(ExitCode.auth);
    expect(r.stdout).toContain('‹redacted›');
    expect(r.stderr).not.toContain('[Resend API Error]');
  });

  it('a sandbox account sending to a stranger: exit 7', async () => {
    const key = newKey();
    await startFake(key);
    const r = await mailcheck(['test', '--to', 'stranger@example.org'], { key, sender: 'onboarding@resend.dev' });
    expect(r.code).toBe(ExitCode.envelope);
    expect(r.stdout).toMatch(/may only send test emails to its owner's address/);
  });

  it('a pending domain: exit 7, the DNS records Resend expects, and no send attempted', async () => {
    const key = newKey();
    await startFake(key);
    const r = await mailcheck(['test', '--to', 'delivered@resend.dev'], { key, sender: 'noreply@pending.test' });
    expect(r.code).toBe(ExitCode.envelope);
    expect(r.stdout).toContain('TXT send -> "v=spf1 include:amazonses.com ~all" [pending]');
    expect(fake!.requests.some((q) => q.path === '/emails')).toBe(false);
  });

  it('a sender on a subdomain of a verified domain: exit 7, explained', async () => {
    const key = newKey();
    await startFake(key);
    const r = await mailcheck(['test', '--to', 'delivered@resend.dev'], { key, sender: 'noreply@mail.example.com' });
    expect(r.code).toBe(ExitCode.envelope);
    expect(r.stdout).toMatch(/subdomain of example\.com \(verified\); Resend does not cover subdomains/);
  });

  it('a persistent rate limit: bounded retries, said so, exit 9', async () => {
    const key = newKey();
    await startFake(key, { faults: { emails: ['rate-limit', 'rate-limit', 'rate-limit'] }, retryAfterSeconds: 0 });
    const r = await mailcheck(['test', '--to', 'delivered@resend.dev'], { key });
    expect(r.code).toBe(ExitCode.temporary);
    expect(r.stdout).toMatch(/giving up after 2 retries/);
    expect(fake!.requests.filter((q) => q.path === '/emails')).toHaveLength(3);
  });

  it.each([
    ['daily-quota', /daily sending quota/],
    ['server-error', /failed on its side \(500\)/],
  ] as const)('%s: exit 9', async (fault, words) => {
    const key = newKey();
    await startFake(key, { faults: { emails: [fault] } });
    const r = await mailcheck(['test', '--to', 'delivered@resend.dev'], { key });
    expect(r.code).toBe(ExitCode.temporary);
    expect(r.stdout).toMatch(words);
  });

  it('an HTML page instead of the API: exit 10', async () => {
    const key = newKey();
    await startFake(key, { faults: { domains: ['not-json'] } });
    const r = await mailcheck(['test', '--to', 'delivered@resend.dev'], { key });
    expect(r.code).toBe(ExitCode.protocol);
  });
});

describe('network causes the SDK hides, recovered', () => {
  it('connection refused: exit 4', async () => {
    const port = await closedPort();
    const r = await mailcheck(['test', '--to', 'delivered@resend.dev'], { key: newKey(), baseUrl: `http://127.0.0.1:${port}` });
    expect(r.code).toBe(ExitCode.network);
    expect(r.stdout).toMatch(/refused the connection/);
  });

  it('no answer: bounded by --timeout, exit 4', async () => {
    const key = newKey();
    await startFake(key, { faults: { domains: ['hang'] } });
    const started = Date.now();
    const r = await mailcheck(['--timeout', '1s', 'test', '--to', 'delivered@resend.dev'], { key });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(r.code).toBe(ExitCode.network);
    expect(r.stdout).toMatch(/did not answer within 1000 ms/);
  });

  it('a self-signed certificate: exit 5', async () => {
    const key = newKey();
    await startFake(key, { tls: await localhostCert() });
    const r = await mailcheck(['test', '--to', 'delivered@resend.dev'], { key });
    expect(r.code).toBe(ExitCode.tls);
    expect(r.stdout).toContain('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(fake!.requests).toHaveLength(0);
  });

  it('the same certificate trusted with NODE_EXTRA_CA_CERTS: exit 0 over HTTPS', async () => {
    const key = newKey();
    const cert = await localhostCert();
    await startFake(key, { tls: cert });
    const caFile = join(mkdtempSync(join(tmpdir(), 'mailcheck-ca-')), 'ca.pem');
    dirs.push(join(caFile, '..'));
    writeFileSync(caFile, cert.cert);
    const r = await mailcheck(['test', '--to', 'delivered@resend.dev'], { key, env: { NODE_EXTRA_CA_CERTS: caFile } });
    expect(r.code).toBe(ExitCode.ok);
    expect(r.stdout).toContain(`id ${fake!.sent[0]!.id}`);
  });

  it.each([
    ['for another host', wrongHostCert, 'ERR_TLS_CERT_ALTNAME_INVALID'],
    ['expired', expiredCert, 'CERT_HAS_EXPIRED'],
  ] as const)('a trusted certificate %s: exit 5, with its real cause', async (_name, makeCert, code) => {
    const key = newKey();
    const cert = await makeCert();
    await startFake(key, { tls: cert });
    const dir = mkdtempSync(join(tmpdir(), 'mailcheck-ca-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'ca.pem'), cert.cert);
    const r = await mailcheck(['test', '--to', 'delivered@resend.dev'], { key, env: { NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem') } });
    expect(r.code).toBe(ExitCode.tls);
    expect(r.stdout).toContain(code);
    expect(fake!.requests).toHaveLength(0);
  });
});

describe('mailcheck doctor with Resend', () => {
  it('checks the key and the domain and sends nothing: exit 0', async () => {
    const key = newKey();
    await startFake(key);
    const r = await mailcheck(['doctor'], { key });
    expect(r.code).toBe(ExitCode.ok);
    expect(r.stdout).toMatch(/no email sent \(use --send to send one\)/);
    expect(fake!.requests.map((q) => q.method)).toEqual(['GET']);
    expect(fake!.sent).toHaveLength(0);
  });

  it('--send sends one email, to the sender when --to is not given', async () => {
    const key = newKey();
    await startFake(key);
    const r = await mailcheck(['doctor', '--send'], { key });
    expect(r.code).toBe(ExitCode.ok);
    expect(fake!.sent).toEqual([expect.objectContaining({ to: ['noreply@example.com'] })]);
    expect(r.stdout).toContain(`id ${fake!.sent[0]!.id}`);
  });

  it('a sending-only key is a warning (exit 0), and a failure only under --strict (exit 11)', async () => {
    const key = newKey();
    await startFake(newKey(), { sendingOnlyKeys: [key] });
    const r = await mailcheck(['doctor'], { key });
    expect(r.code).toBe(ExitCode.ok);
    expect(r.stdout).toMatch(/sending access only/);
    const strict = await mailcheck(['doctor', '--strict'], { key });
    expect(strict.code).toBe(ExitCode.warnings);
  });

  it('a domain that is not verified: exit 7, without sending', async () => {
    const key = newKey();
    await startFake(key);
    const r = await mailcheck(['doctor'], { key, sender: 'noreply@pending.test' });
    expect(r.code).toBe(ExitCode.envelope);
    expect(fake!.sent).toHaveLength(0);
  });
});
