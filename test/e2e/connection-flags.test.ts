import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/exit-codes.js';
import type { Report } from '../../src/report/model.js';
import { generateCertificate } from '../../src/sandbox/certificate.js';
import { runCli, type CliRun } from '../fixtures/cli.js';
import { startDnsServer, type TestDnsServer } from '../fixtures/dns-server.js';
import { defaultPassword, defaultUser, startTestServer, type TestServer } from '../fixtures/smtp-server.js';

/**
 * -4/-6, --ehlo and --auth-method (issue 15), through the built binary against real servers on
 * loopback. One smtp-server listens on 127.0.0.1 and another on [::1] at the same port, and a
 * loopback DNS server gives `dual.mail.test` both addresses (A and AAAA) and `v4only.mail.test`
 * only the IPv4 one: which server saw the session says which family was used.
 */

const dual = 'dual.mail.test';
const v4only = 'v4only.mail.test';
const mechanisms = ['PLAIN', 'LOGIN', 'CRAM-MD5'];

let dns: TestDnsServer;
let v4: TestServer;
let v6: TestServer;
let plainOnly: TestServer;
let root: string;
let caFile: string;

beforeAll(async () => {
  const cert = await generateCertificate({ commonName: dual, dnsNames: [dual, v4only], ips: ['127.0.0.1', '::1'] });
  v4 = await startTestServer({ cert, authMethods: mechanisms });
  [v6, plainOnly, dns] = await Promise.all([
    startTestServer({ cert, host: '::1', port: v4.port, authMethods: mechanisms }),
    startTestServer({ cert, authMethods: ['PLAIN'] }),
    startDnsServer({ zones: { [dual]: { A: ['127.0.0.1'], AAAA: ['::1'] }, [v4only]: { A: ['127.0.0.1'] } } }),
  ]);
  root = mkdtempSync(join(tmpdir(), 'mailcheck-connection-flags-'));
  caFile = join(root, 'ca.pem');
  writeFileSync(caFile, cert.cert);
});
afterAll(async () => {
  await Promise.all([v4?.close(), v6?.close(), plainOnly?.close(), dns?.close()]);
  rmSync(root, { recursive: true, force: true });
});

let runs = 0;
async function mailcheck(args: string[], env: Record<string, string> = {}, stdin?: string): Promise<CliRun> {
  const cwd = join(root, `run-${++runs}`);
  mkdirSync(cwd);
  return runCli([...args, '--env-file', '/dev/null', '--ca-file', caFile, '--dns-server', dns.address], {
    cwd,
    env: {
      HOME: cwd,
      SMTP_HOST: dual,
      SMTP_PORT: String(v4.port),
      SMTP_USER: defaultUser,
      SMTP_PASSWORD: defaultPassword,
      SMTP_SENDER: 'App <app@example.com>',
      SMTP_SECURE: '0',
      ...env,
    },
    ...(stdin !== undefined ? { stdin } : {}),
  });
}

const failureText = (run: CliRun) => `exit ${run.code}\n${run.stdout}\n${run.stderr}`;
const json = (run: CliRun) => JSON.parse(run.stdout) as Report;

/** The commands each server saw during `run`. */
async function seenBy(run: () => Promise<CliRun>): Promise<{ run: CliRun; v4: string[]; v6: string[] }> {
  const [before4, before6] = [v4.log.commands.length, v6.log.commands.length];
  const result = await run();
  return { run: result, v4: v4.log.commands.slice(before4), v6: v6.log.commands.slice(before6) };
}

describe('-4 and -6', () => {
  for (const command of ['test', 'doctor'] as const) {
    for (const family of [4, 6] as const) {
      it(`${command} -${family}: the session goes to the IPv${family} server only`, async () => {
        const args = command === 'test' ? ['test', '--to', 'you@example.com'] : ['doctor', '--no-dns'];
        const seen = await seenBy(() => mailcheck([...args, `-${family}`, '--json']));
        expect(seen.run.code, failureText(seen.run)).toBe(0);
        const [used, other] = family === 4 ? [seen.v4, seen.v6] : [seen.v6, seen.v4];
        expect(used).toContain('EHLO');
        expect(used).toContain('AUTH');
        expect(other).toEqual([]);
        // Forced to one family, doctor reports no per-family checks: the walk is that family's.
        expect(json(seen.run).checks.map((c) => c.id)).not.toContain(`smtp.ipv${family === 4 ? 6 : 4}`);
      });
    }
  }

  it('doctor -4 is a flag, not "too many arguments"', async () => {
    const run = await mailcheck(['doctor', '--no-dns', '-4']);
    expect(run.code, failureText(run)).toBe(0);
    expect(run.stderr).not.toMatch(/too many arguments/);
  });

  it('probe -6: only the IPv6 address is probed', async () => {
    const run = await mailcheck(['probe', dual, '-6', '--ports', String(v4.port), '--json']);
    expect(run.code, failureText(run)).toBe(0);
    const probe = json(run).probe!;
    expect(probe.addresses).toEqual([{ family: 6, address: '::1' }]);
    expect(probe.cells.every((c) => c.family === 6)).toBe(true);
    expect(probe.cells.find((c) => c.mode === 'starttls')?.status).toBe('works');
  });

  it('-6 for a host without an IPv6 address: a network diagnosis naming what it has (exit 4), nothing connected', async () => {
    const seen = await seenBy(() => mailcheck(['doctor', '--no-dns', '-6', '--json'], { SMTP_HOST: v4only }));
    expect(seen.run.code, failureText(seen.run)).toBe(ExitCode.network);
    const report = json(seen.run);
    expect(report.diagnoses.map((d) => d.id)).toEqual(['network.no-address-in-family']);
    expect(report.diagnoses[0]!.summary).toMatch(/v4only\.mail\.test has no IPv6 address/);
    expect(report.diagnoses[0]!.causes.join('\n')).toMatch(/only 127\.0\.0\.1/);
    expect(seen.v4).toEqual([]);
    expect(seen.v6).toEqual([]);
  });

  it('-6 with an IPv4 address in SMTP_HOST: the same diagnosis, and probe says it too', async () => {
    const doctor = await mailcheck(['doctor', '--no-dns', '-6', '--json'], { SMTP_HOST: '127.0.0.1' });
    expect(doctor.code, failureText(doctor)).toBe(ExitCode.network);
    expect(json(doctor).diagnoses.map((d) => d.id)).toEqual(['network.no-address-in-family']);
    const probe = await mailcheck(['probe', v4only, '-6', '--ports', String(v4.port), '--json']);
    expect(probe.code, failureText(probe)).toBe(ExitCode.network);
    expect(json(probe).diagnoses.map((d) => d.id)).toEqual(['network.no-address-in-family']);
  });

  it('--sandbox -6: the sandbox listens on ::1, and the session goes there (an IPv6 literal is shown in brackets)', async () => {
    const run = await runCli(['test', '--sandbox', '-6', '--json'], { cwd: root });
    expect(run.code, failureText(run)).toBe(ExitCode.ok);
    const report = json(run);
    expect(report.transcript.map((l) => l.text)).toEqual(expect.arrayContaining([expect.stringMatching(/^connecting to \[::1\]:\d+ /)]));
    const human = await runCli(['test', '--sandbox', '-6'], { cwd: root, env: { CI: '1' } });
    expect(human.stdout).toMatch(/SMTP session with \[::1\]:\d+ /);
  });

  it('-4 and -6 together: a usage error (exit 2), no stack trace', async () => {
    const run = await mailcheck(['test', '-4', '-6', '--to', 'you@example.com']);
    expect(run.code).toBe(ExitCode.usage);
    expect(run.stderr).toMatch(/-4 and -6 ask for opposite address families/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('doctor on a host with both families reports each (checks smtp.ipv4 and smtp.ipv6)', () => {
  it('both work: two passing checks, each naming its address', async () => {
    const run = await mailcheck(['doctor', '--no-dns', '--json']);
    expect(run.code, failureText(run)).toBe(0);
    const checks = json(run).checks;
    expect(checks.find((c) => c.id === 'smtp.ipv4')).toMatchObject({ status: 'pass', records: ['A 127.0.0.1'] });
    expect(checks.find((c) => c.id === 'smtp.ipv6')).toMatchObject({ status: 'pass', records: ['AAAA ::1'] });
    expect(checks.find((c) => c.id === 'smtp.ipv6')?.detail).toMatch(/greeting, EHLO and STARTTLS over ::1 \(TLSv1\.[23]\)/);
  });

  it("IPv6 refused: a warning with the reason, and the exit code is still the walk's (0; 11 with --strict)", async () => {
    // plainOnly listens on 127.0.0.1 only: its port on ::1 refuses.
    const env = { SMTP_PORT: String(plainOnly.port) };
    const run = await mailcheck(['doctor', '--no-dns', '--json'], env);
    expect(run.code, failureText(run)).toBe(0);
    const ipv6 = json(run).checks.find((c) => c.id === 'smtp.ipv6');
    expect(ipv6).toMatchObject({ status: 'warn', records: ['AAAA ::1'] });
    expect(ipv6?.detail).toMatch(/::1: connection refused/);
    expect(json(run).checks.find((c) => c.id === 'smtp.ipv4')?.status).toBe('pass');
    const strict = await mailcheck(['doctor', '--no-dns', '--strict'], env);
    expect(strict.code, failureText(strict)).toBe(ExitCode.warnings);
    expect(strict.stdout).toMatch(/SMTP over IPv6/);
  });

  it('a host with one family only: no per-family checks', async () => {
    const run = await mailcheck(['doctor', '--no-dns', '--json'], { SMTP_HOST: v4only });
    expect(run.code, failureText(run)).toBe(0);
    expect(
      json(run)
        .checks.map((c) => c.id)
        .filter((id) => /^smtp\.ipv/.test(id)),
    ).toEqual([]);
  });
});

describe('--ehlo', () => {
  it('the name is what the server receives in EHLO, and what the transcript shows', async () => {
    const seen = await seenBy(() => mailcheck(['test', '--to', 'you@example.com', '-4', '--ehlo', 'app.example.com', '--json']));
    expect(seen.run.code, failureText(seen.run)).toBe(0);
    const transcript = json(seen.run)
      .transcript.filter((l) => l.dir === 'client')
      .map((l) => l.text);
    expect(transcript.filter((t) => t.startsWith('EHLO'))).toEqual(['EHLO app.example.com', 'EHLO app.example.com']);
  });

  it('an address literal is accepted too', async () => {
    const run = await mailcheck(['doctor', '--no-dns', '-4', '--ehlo', '[192.0.2.7]', '--json']);
    expect(run.code, failureText(run)).toBe(0);
    expect(json(run).transcript.some((l) => l.text === 'EHLO [192.0.2.7]')).toBe(true);
  });

  for (const bad of ['bad name', 'evil.example\r\nMAIL FROM:<x@y>', '-leading.example', '[300.1.1.1]', '1.2.3.4', 'a'.repeat(64), '']) {
    it(`${JSON.stringify(bad.slice(0, 30))}: a usage error (exit 2) before any connection, no stack trace`, async () => {
      const seen = await seenBy(() => mailcheck(['doctor', '--no-dns', '--ehlo', bad, '--json']));
      expect(seen.run.code, failureText(seen.run)).toBe(ExitCode.usage);
      const report = json(seen.run);
      expect(report.error?.message).toMatch(/^--ehlo .* is not a host name or an address literal$/);
      expect(report.error?.message).not.toMatch(/[\r\n]/);
      expect(seen.run.stderr).not.toMatch(/\n\s+at /);
      expect([...seen.v4, ...seen.v6]).toEqual([]);
    });
  }

  it('probe accepts it too', async () => {
    const before = v4.log.commands.length;
    const run = await mailcheck(['probe', '127.0.0.1', '--ports', String(v4.port), '--ehlo', 'probe.example.com']);
    expect(run.code, failureText(run)).toBe(0);
    expect(v4.log.commands.slice(before)).toContain('EHLO');
  });
});

describe('--auth-method', () => {
  for (const method of ['PLAIN', 'LOGIN', 'CRAM-MD5'] as const) {
    it(`${method}: logs in with it, and the transcript never shows the password in any form`, async () => {
      const before = v4.log.logins.length;
      const run = await mailcheck(['test', '--to', 'you@example.com', '-4', '--auth-method', method.toLowerCase(), '--json']);
      expect(run.code, failureText(run)).toBe(0);
      expect(v4.log.logins.slice(before).map((l) => l.method)).toEqual([method]);
      const report = json(run);
      expect(report.auth).toMatchObject({ performed: true });
      const everything = `${run.stdout}\n${run.stderr}`;
      for (const form of [defaultPassword, Buffer.from(defaultPassword).toString('base64'), Buffer.from(defaultUser).toString('base64')]) {
        expect(everything).not.toContain(form);
      }
      const authLines = report.transcript.filter((l) => l.dir === 'client' && !/^(EHLO|STARTTLS|MAIL|RCPT|DATA|QUIT)/.test(l.text)).map((l) => l.text);
      expect(authLines[0]).toBe(method === 'PLAIN' ? `AUTH PLAIN ‹base64 of username "user" and password …(21 chars)›` : `AUTH ${method}`);
      if (method === 'CRAM-MD5') {
        expect(authLines[1]).toBe('‹base64 of username "user" and the HMAC-MD5 of the challenge keyed with password …(21 chars)›');
      }
    });
  }

  it('a mechanism the server does not offer: no AUTH sent, a diagnosis naming what it offers (exit 6)', async () => {
    const before = plainOnly.log.commands.length;
    const run = await mailcheck(['doctor', '--no-dns', '-4', '--auth-method', 'CRAM-MD5', '--json'], { SMTP_PORT: String(plainOnly.port) });
    expect(run.code, failureText(run)).toBe(ExitCode.auth);
    const [diagnosis] = json(run).diagnoses;
    expect(diagnosis?.id).toBe('auth.method-not-offered');
    expect(diagnosis?.summary).toMatch(/does not offer AUTH CRAM-MD5 \(it offers AUTH PLAIN\)/);
    expect(diagnosis?.fixes.join('\n')).toMatch(/--auth-method PLAIN/);
    expect(plainOnly.log.commands.slice(before)).not.toContain('AUTH');
  });

  it('probe --auth --auth-method: the login uses it; a mechanism not offered is skipped, with why', async () => {
    const before = v4.log.logins.length;
    const run = await mailcheck(['probe', '127.0.0.1', '--ports', `${v4.port},${plainOnly.port}`, '--auth', '--auth-method', 'LOGIN', '--json']);
    expect(run.code, failureText(run)).toBe(0);
    expect(new Set(v4.log.logins.slice(before).map((l) => l.method))).toEqual(new Set(['LOGIN']));
    const skipped = json(run).probe!.cells.find((c) => c.port === plainOnly.port && c.mode === 'starttls')?.login;
    expect(skipped).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/--auth-method LOGIN, and the server offers only PLAIN/) });
  });

  it('an unknown mechanism, XOAUTH2 without a token, or --auth-method on probe without --auth: clear errors, no stack trace', async () => {
    const unknown = await mailcheck(['test', '--to', 'you@example.com', '--auth-method', 'NTLM']);
    expect(unknown.code).toBe(ExitCode.usage);
    expect(unknown.stderr).toMatch(/--auth-method "NTLM" is not a mechanism mailcheck can log in with/);
    const noToken = await mailcheck(['doctor', '--no-dns', '--auth-method', 'XOAUTH2']);
    expect(noToken.code).toBe(ExitCode.config);
    expect(noToken.stderr).toMatch(/XOAUTH2 logs in with an OAuth 2\.0 token, but SMTP_OAUTH2_TOKEN is not set/);
    const probe = await mailcheck(['probe', '127.0.0.1', '--ports', String(v4.port), '--auth-method', 'PLAIN']);
    expect(probe.code).toBe(ExitCode.usage);
    expect(probe.stderr).toMatch(/--auth-method chooses how --auth logs in/);
    for (const run of [unknown, noToken, probe]) expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('help', () => {
  for (const command of ['test', 'doctor', 'init', 'probe']) {
    it(`${command} --help lists -4, -6, --ehlo and --auth-method`, async () => {
      const run = await mailcheck([command, '--help']);
      expect(run.code).toBe(0);
      for (const flag of ['-4, --ipv4', '-6, --ipv6', '--ehlo <name>', '--auth-method <mechanism>']) expect(run.stdout).toContain(flag);
    });
  }
});
