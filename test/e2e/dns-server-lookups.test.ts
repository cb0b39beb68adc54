import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/exit-codes.js';
import type { Report } from '../../src/report/model.js';
import { generateCertificate } from '../../src/sandbox/certificate.js';
import { binPath, runCli, type CliRun } from '../fixtures/cli.js';
import { startDnsServer, type TestDnsServer } from '../fixtures/dns-server.js';
import { startFakeResend, type FakeResend } from '../fixtures/fake-resend.js';
import { defaultPassword, defaultUser, startTestServer, type TestServer } from '../fixtures/smtp-server.js';
import { closedPort } from '../fixtures/unreachable.mjs';

/**
 * --dns-server covers every DNS query mailcheck makes (issue 17), not only the DNS checks: the
 * SMTP host of `test`, `doctor` and `probe`, the mismatch watch's side attempts, and the Resend
 * API host (its requests and the probe after a failed one). The host names are made up and only
 * the loopback DNS server knows them, so a run that asked anyone else could not connect at all.
 */

const smtpHost = 'smtp.fake.test';
const apiHost = 'api.fake.test';

let dns: TestDnsServer;
let starttls: TestServer;
let implicit: TestServer;
let resend: FakeResend;
let root: string;
let caFile: string;
const resendKey = 're_dnsServerTestKey_1234567890';

beforeAll(async () => {
  if (!existsSync(fileURLToPath(new URL('../../dist/cli.js', import.meta.url)))) throw new Error('build first: npm run build (npm test does it)');
  const cert = await generateCertificate({ commonName: smtpHost, dnsNames: [smtpHost] });
  [dns, starttls, implicit, resend] = await Promise.all([
    startDnsServer({ zones: { [smtpHost]: { A: ['127.0.0.1'] }, [apiHost]: { A: ['127.0.0.1'] } } }),
    startTestServer({ cert }),
    startTestServer({ cert, secure: true }),
    startFakeResend({ fullAccessKeys: [resendKey], domains: [{ name: 'example.com', status: 'verified' }] }),
  ]);
  root = mkdtempSync(join(tmpdir(), 'mailcheck-dns-server-'));
  // The certificate names the made-up host: it verifies only if the walk kept that name for TLS.
  caFile = join(root, 'ca.pem');
  writeFileSync(caFile, cert.cert);
});
afterAll(async () => {
  await Promise.all([dns.close(), starttls.close(), implicit.close(), resend.close()]);
  rmSync(root, { recursive: true, force: true });
});

let runs = 0;
function smtpEnv(port: number, secure = '0'): Record<string, string> {
  return {
    SMTP_HOST: smtpHost,
    SMTP_PORT: String(port),
    SMTP_USER: defaultUser,
    SMTP_PASSWORD: defaultPassword,
    SMTP_SENDER: 'App <app@example.com>',
    SMTP_SECURE: secure,
  };
}

async function mailcheck(args: string[], env: Record<string, string>): Promise<CliRun> {
  const cwd = join(root, `run-${++runs}`);
  mkdirSync(cwd);
  return runCli([...args, '--env-file', '/dev/null'], { cwd, env: { HOME: cwd, ...env } });
}

/** The queries the DNS server saw for `name` during `run`. */
async function queriesFor(name: string, run: () => Promise<CliRun>): Promise<{ run: CliRun; types: string[] }> {
  const before = dns.queries.length;
  const result = await run();
  return {
    run: result,
    types: dns.queries
      .slice(before)
      .filter((q) => q.name === name)
      .map((q) => q.type),
  };
}

const failureText = (run: CliRun) => `exit ${run.code}\n${run.stdout}\n${run.stderr}`;

describe('--dns-server resolves the SMTP host', () => {
  it('test: the whole walk to a name only the DNS server knows, the certificate checked against that name', async () => {
    const { run, types } = await queriesFor(smtpHost, () =>
      mailcheck(['test', '--to', 'you@example.com', '--ca-file', caFile, '--dns-server', dns.address], smtpEnv(starttls.port)),
    );
    expect(run.code, failureText(run)).toBe(ExitCode.ok);
    expect(types).toContain('A');
    expect(starttls.log.messages.length).toBeGreaterThan(0);
  });

  it('doctor --no-dns: the walk asks the DNS server too (--no-dns turns off the DNS checks, not the lookup)', async () => {
    const { run, types } = await queriesFor(smtpHost, () =>
      mailcheck(['doctor', '--no-dns', '--json', '--ca-file', caFile, '--dns-server', dns.address], smtpEnv(starttls.port)),
    );
    expect(run.code, failureText(run)).toBe(ExitCode.ok);
    expect(types).toContain('A');
    const report = JSON.parse(run.stdout) as Report;
    expect(report.checks.find((c) => c.id === 'smtp.tls')?.status).toBe('pass');
  });

  it('probe: the host is resolved through the DNS server and its port found', async () => {
    const { run, types } = await queriesFor(smtpHost, () =>
      mailcheck(['probe', smtpHost, '--ports', String(starttls.port), '--json', '--ca-file', caFile, '--dns-server', dns.address], {}),
    );
    expect(run.code, failureText(run)).toBe(ExitCode.ok);
    expect(types).toContain('A');
    const report = JSON.parse(run.stdout) as Report;
    expect(report.probe?.addresses).toEqual([{ family: 4, address: '127.0.0.1' }]);
    expect(report.probe?.recommendation).toBeDefined();
  });

  it('the mismatch watch: its implicit-TLS side attempt resolves through the DNS server as well', async () => {
    // SMTP_SECURE=0 on an implicit-TLS port: the walk waits for a greeting, the watch tries TLS beside it.
    const { run, types } = await queriesFor(smtpHost, () =>
      mailcheck(['doctor', '--no-dns', '--json', '--ca-file', caFile, '--dns-server', dns.address], smtpEnv(implicit.port)),
    );
    const report = JSON.parse(run.stdout) as Report;
    expect(
      report.diagnoses.map((d) => d.id),
      failureText(run),
    ).toContain('tls.plaintext-on-implicit-port');
    // One lookup for the walk, one for the side attempt.
    expect(types.filter((t) => t === 'A').length).toBeGreaterThanOrEqual(2);
  });

  it('a name the DNS server does not know fails at the DNS step, without asking anyone else', async () => {
    const { run, types } = await queriesFor('nowhere.fake.test', () =>
      mailcheck(['doctor', '--no-dns', '--json', '--dns-server', dns.address], { ...smtpEnv(starttls.port), SMTP_HOST: 'nowhere.fake.test' }),
    );
    expect(run.code).toBe(ExitCode.network);
    expect(types).toContain('A');
    const report = JSON.parse(run.stdout) as Report;
    expect(report.diagnoses.map((d) => d.id)).toContain('network.dns');
  });
});

describe('--dns-server resolves the Resend API host', () => {
  const resendEnv = (port: number) => ({
    RESEND_API_KEY: resendKey,
    RESEND_SENDER_EMAIL: 'App <noreply@example.com>',
    RESEND_BASE_URL: `http://${apiHost}:${port}`,
  });

  it('doctor: the API requests go to the address the DNS server gave', async () => {
    const requestsBefore = resend.requests.length;
    const { run, types } = await queriesFor(apiHost, () => mailcheck(['doctor', '--no-dns', '--dns-server', dns.address], resendEnv(resend.port)));
    expect(run.code, failureText(run)).toBe(ExitCode.ok);
    expect(types).toContain('A');
    expect(resend.requests.length).toBeGreaterThan(requestsBefore);
  });

  it('the network probe after a failed request resolves through it too', async () => {
    const port = await closedPort();
    const { run, types } = await queriesFor(apiHost, () => mailcheck(['doctor', '--no-dns', '--dns-server', dns.address], resendEnv(port)));
    expect(run.code).toBe(ExitCode.network);
    expect(run.stdout).toContain(`DNS ${apiHost} -> 127.0.0.1`);
    expect(run.stdout).toMatch(/ECONNREFUSED/);
    // The request's own lookup, then the probe's.
    expect(types.filter((t) => t === 'A').length).toBeGreaterThanOrEqual(2);
  });
});

/**
 * Without --dns-server the name must not resolve: it exists only on the loopback DNS server. The
 * system's resolver is not on loopback, and tests never send it a packet, so this runs in a
 * network namespace of its own (unshare -n: loopback only, nothing can leave), where asking the
 * system's resolver fails on the spot. It needs root on Linux; elsewhere it is skipped.
 */
const isolated = process.platform === 'linux' && spawnSync('unshare', ['-n', 'true']).status === 0;
describe.skipIf(!isolated)('without --dns-server (in a network namespace without a route out)', () => {
  it('the made-up SMTP host does not resolve: the DNS server knew it, nobody else does', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'mailcheck-no-dns-server-'));
    try {
      const script = `ip link set lo up 2>/dev/null; exec "${process.execPath}" "${binPath}" doctor --no-dns --json --env-file /dev/null`;
      const run = spawnSync('unshare', ['-n', 'sh', '-c', script], {
        cwd,
        env: { PATH: process.env.PATH, HOME: cwd, ...smtpEnv(starttls.port) },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(ExitCode.network);
      const report = JSON.parse(run.stdout) as Report;
      expect(report.checks.find((c) => c.id === 'smtp.connect')?.status).toBe('fail');
      expect(report.diagnoses.map((d) => d.id)).toContain('network.dns');
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
