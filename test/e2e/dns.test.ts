import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/exit-codes.js';
import type { Report } from '../../src/report/model.js';
import { startFakeResend, type FakeResend } from '../fixtures/fake-resend.js';
import { runCli, type CliRun } from '../fixtures/cli.js';
import { startDnsServer, type TestDnsServer } from '../fixtures/dns-server.js';
import { zones } from '../fixtures/dns-zones.js';

/**
 * `mailcheck dns` and doctor's DNS checks, end to end: the built binary against a real DNS server
 * on loopback (test/fixtures/dns-server.ts, UDP and TCP), which --dns-server makes the only one asked.
 */

let server: TestDnsServer;
const dirs: string[] = [];
beforeAll(async () => {
  server = await startDnsServer(zones);
});
afterAll(async () => {
  await server.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function dir(dotenv = ''): string {
  const cwd = mkdtempSync(join(tmpdir(), 'mailcheck-dns-'));
  dirs.push(cwd);
  if (dotenv) writeFileSync(join(cwd, '.env'), dotenv);
  return cwd;
}

function dns(args: string[], o: { env?: Record<string, string>; cwd?: string } = {}): Promise<CliRun> {
  return runCli(['dns', ...args, '--dns-server', server.address, '--timeout', '2s'], { cwd: o.cwd ?? dir(), ...(o.env ? { env: o.env } : {}) });
}

async function json(
  args: string[],
  o: { env?: Record<string, string>; cwd?: string } = {},
): Promise<{ run: CliRun; report: Report; status: Record<string, string> }> {
  const run = await dns([...args, '--json'], o);
  const report = JSON.parse(run.stdout) as Report;
  expect(report.result.exitCode).toBe(run.code);
  return { run, report, status: Object.fromEntries(report.checks.map((c) => [c.id, c.status])) };
}

const resend = ['--provider', 'resend'];

describe('mailcheck dns against a DNS server on loopback', () => {
  // One row per check: the domain that breaks it, what the check says, and the exit code.
  const cases: { domain: string; args?: string[]; check: string; status: string; diagnosis?: string; exit: number }[] = [
    { domain: 'good.test', check: 'dns.dmarc.alignment', status: 'pass', exit: ExitCode.ok },
    { domain: 'split.test', check: 'dns.spf.provider', status: 'pass', exit: ExitCode.ok },
    { domain: 'two-spf.test', check: 'dns.spf', status: 'fail', diagnosis: 'dns.spf.multiple', exit: ExitCode.deliverability },
    { domain: 'syntax.test', check: 'dns.spf', status: 'fail', diagnosis: 'dns.spf.syntax', exit: ExitCode.deliverability },
    { domain: 'plus-all.test', check: 'dns.spf', status: 'warn', exit: ExitCode.ok },
    { domain: 'hard-fail.test', check: 'dns.spf.provider', status: 'fail', diagnosis: 'dns.spf.provider-missing', exit: ExitCode.deliverability },
    { domain: 'soft-fail.test', check: 'dns.spf.provider', status: 'warn', exit: ExitCode.ok },
    { domain: 'no-spf.test', check: 'dns.spf', status: 'warn', exit: ExitCode.ok },
    { domain: 'lookups.test', check: 'dns.spf.lookups', status: 'fail', diagnosis: 'dns.spf.too-many-lookups', exit: ExitCode.deliverability },
    { domain: 'void.test', check: 'dns.spf.lookups', status: 'fail', diagnosis: 'dns.spf.void-lookups', exit: ExitCode.deliverability },
    { domain: 'include-missing.test', check: 'dns.spf.lookups', status: 'fail', diagnosis: 'dns.spf.include-broken', exit: ExitCode.deliverability },
    { domain: 'revoked.test', check: 'dns.dkim', status: 'fail', diagnosis: 'dns.dkim.revoked', exit: ExitCode.deliverability },
    { domain: 'bad-key.test', check: 'dns.dkim', status: 'fail', diagnosis: 'dns.dkim.bad-key', exit: ExitCode.deliverability },
    { domain: 'no-dkim.test', check: 'dns.dkim', status: 'warn', exit: ExitCode.ok },
    { domain: 'strict.test', check: 'dns.dmarc.alignment', status: 'fail', diagnosis: 'dns.dmarc.unaligned', exit: ExitCode.deliverability },
    { domain: 'relaxed.test', check: 'dns.dmarc.alignment', status: 'pass', exit: ExitCode.ok },
    { domain: 'no-dmarc.test', check: 'dns.dmarc', status: 'warn', exit: ExitCode.ok },
    { domain: 'bad-dmarc.test', check: 'dns.dmarc', status: 'warn', exit: ExitCode.ok },
    { domain: 'mail.parent.test', check: 'dns.dmarc', status: 'pass', exit: ExitCode.ok },
    { domain: 'mail.parent.test', check: 'dns.dmarc.alignment', status: 'pass', exit: ExitCode.ok },
    { domain: 'nodkim.parent.test', check: 'dns.dmarc.alignment', status: 'fail', diagnosis: 'dns.dmarc.unaligned', exit: ExitCode.deliverability },
    { domain: 'two.parent.test', check: 'dns.dmarc', status: 'warn', exit: ExitCode.ok },
    { domain: 'mail.orphan.test', check: 'dns.dmarc', status: 'warn', exit: ExitCode.ok },
    { domain: 'shop.org.psdn.test', check: 'dns.dmarc', status: 'pass', exit: ExitCode.ok },
    { domain: 'www.brand.psd.test', check: 'dns.dmarc', status: 'warn', exit: ExitCode.ok },
    { domain: 'mail.brand2.psd.test', check: 'dns.dmarc', status: 'pass', exit: ExitCode.ok },
    { domain: 'mail.flaky.test', check: 'dns.dmarc', status: 'fail', diagnosis: 'dns.lookup.servfail', exit: ExitCode.network },
    { domain: 'x.y.half.test', check: 'dns.dmarc', status: 'fail', diagnosis: 'dns.lookup.servfail', exit: ExitCode.network },
    { domain: 'mail.wrong-sp.test', check: 'dns.dmarc', status: 'warn', exit: ExitCode.ok },
    { domain: 'no-mx.test', check: 'dns.mx', status: 'warn', exit: ExitCode.ok },
    { domain: 'no-mx.test', check: 'dns.mx.envelope', status: 'warn', exit: ExitCode.ok },
    { domain: 'nx.test', check: 'dns.mx', status: 'fail', diagnosis: 'dns.domain.nxdomain', exit: ExitCode.deliverability },
    { domain: 'servfail.test', check: 'dns.spf', status: 'fail', diagnosis: 'dns.lookup.servfail', exit: ExitCode.network },
    { domain: 'sendgrid-good.test', args: ['--provider', 'sendgrid'], check: 'dns.dkim', status: 'pass', exit: ExitCode.ok },
    {
      domain: 'dangling.test',
      args: ['--provider', 'sendgrid'],
      check: 'dns.dkim',
      status: 'fail',
      diagnosis: 'dns.dkim.dangling-cname',
      exit: ExitCode.deliverability,
    },
    { domain: 'custom.test', args: ['--provider', 'gmail', '--dkim-selector', 'google'], check: 'dns.dmarc.alignment', status: 'pass', exit: ExitCode.ok },
    { domain: 'custom.test', args: ['--provider', 'gmail'], check: 'dns.dkim', status: 'skip', exit: ExitCode.ok },
    { domain: 'good.test', args: [], check: 'dns.spf.provider', status: 'skip', exit: ExitCode.ok },
  ];
  it.each(cases)('$domain $args: $check is $status (exit $exit)', async (c) => {
    const { report, status } = await json([c.domain, ...(c.args ?? resend)]);
    expect(status[c.check]).toBe(c.status);
    if (c.diagnosis) expect(report.diagnoses.map((d) => d.id)).toContain(c.diagnosis);
    expect(report.result.exitCode).toBe(c.exit);
  });

  it('shows the records it read, and for a warning the record to publish', async () => {
    const { report } = await json(['no-dmarc.test', ...resend]);
    const spf = report.checks.find((c) => c.id === 'dns.spf')!;
    expect(spf.records).toEqual(['TXT send.no-dmarc.test "v=spf1 include:amazonses.com ~all"']);
    const dmarc = report.checks.find((c) => c.id === 'dns.dmarc')!;
    expect(dmarc.fix).toBe('publish TXT _dmarc.no-dmarc.test "v=DMARC1; p=none; rua=mailto:dmarc-reports@no-dmarc.test"');
  });

  describe('DMARC of a subdomain without a record of its own: the tree walk of RFC 9989', () => {
    const dmarcRow = async (domain: string) => (await json([domain, ...resend])).report.checks.find((c) => c.id === 'dns.dmarc')!;

    it("applies the parent's sp= and shows the record it came from", async () => {
      const row = await dmarcRow('mail.parent.test');
      expect(row.detail).toBe(
        "no DMARC record at _dmarc.mail.parent.test, so receivers apply parent.test's (the organizational domain): sp=reject, aspf=s, adkim=r",
      );
      expect(row.records).toEqual(['TXT _dmarc.parent.test "v=DMARC1; p=none; sp=reject; aspf=s"']);
      expect(row.fix).toBeUndefined();
    });

    it('judges alignment under the inherited policy, and fixes it with a record of the subdomain its own', async () => {
      const { report } = await json(['nodkim.parent.test', ...resend]);
      expect(report.checks.find((c) => c.id === 'dns.dmarc.alignment')!.detail).toMatch(/^nothing aligns under sp=reject: /);
      const diagnosis = report.diagnoses.find((d) => d.id === 'dns.dmarc.unaligned')!;
      expect(diagnosis.summary).toMatch(/^DMARC at _dmarc\.parent\.test says sp=reject, /);
      expect(diagnosis.fixes).toContain(
        'until then, give nodkim.parent.test a relaxed policy of its own: TXT _dmarc.nodkim.parent.test "v=DMARC1; p=none; rua=mailto:dmarc-reports@nodkim.parent.test"',
      );
      expect(diagnosis.fixes).toContain('drop aspf=s from the DMARC record at _dmarc.parent.test (relaxed alignment accepts the subdomain)');
    });

    it('discards several records of the domain its own, says so, and falls back to the parent', async () => {
      const row = await dmarcRow('two.parent.test');
      expect(row.detail).toMatch(
        /^2 DMARC records at _dmarc\.two\.parent\.test, which receivers discard .*, so receivers apply parent\.test's \(the organizational domain\): sp=reject/,
      );
      expect(row.records).toHaveLength(3);
      expect(row.fix).toMatch(/^keep one: publish TXT _dmarc\.two\.parent\.test /);
    });

    it('says that no parent has one either, and where to publish', async () => {
      const row = await dmarcRow('mail.orphan.test');
      expect(row.detail).toMatch(/^no DMARC record at _dmarc\.mail\.orphan\.test, nor at a parent domain: /);
      expect(row.fix).toBe('publish TXT _dmarc.mail.orphan.test "v=DMARC1; p=none; rua=mailto:dmarc-reports@mail.orphan.test"');
    });

    it('stops at psd=n, the organizational domain, rather than at the record highest up', async () => {
      expect((await dmarcRow('shop.org.psdn.test')).detail).toMatch(/receivers apply org\.psdn\.test's \(the organizational domain\): p=quarantine,/);
    });

    it("below psd=y, applies the organizational domain's record, else the public suffix's", async () => {
      expect((await dmarcRow('mail.brand2.psd.test')).detail).toMatch(/receivers apply brand2\.psd\.test's \(the organizational domain\): p=none,/);
      const suffix = await dmarcRow('www.brand.psd.test');
      expect(suffix.detail).toMatch(
        /receivers apply psd\.test's \(the public suffix\): p=reject, .*; publish one for www\.brand\.psd\.test to set your own policy/,
      );
      expect(suffix.fix).toBe('publish TXT _dmarc.www.brand.psd.test "v=DMARC1; p=none; rua=mailto:dmarc-reports@www.brand.psd.test"');
    });

    it('asks at most 8 names however many labels the domain has', async () => {
      const before = server.queries.length;
      expect((await dmarcRow('a.b.c.d.e.f.g.h.i.deep.test')).detail).toMatch(/receivers apply deep\.test's \(the organizational domain\): p=quarantine,/);
      const asked = server.queries.slice(before).filter((q) => q.name.startsWith('_dmarc.'));
      expect(asked.map((q) => q.name)).toEqual([
        '_dmarc.a.b.c.d.e.f.g.h.i.deep.test',
        ...['e.f.g.h.i.deep.test', 'f.g.h.i.deep.test', 'g.h.i.deep.test', 'h.i.deep.test', 'i.deep.test', 'deep.test', 'test'].map((n) => `_dmarc.${n}`),
      ]);
    });

    it('asks no parent when the domain has a record of its own, even one receivers ignore', async () => {
      for (const domain of ['good.test', 'bad-dmarc.test']) {
        const before = server.queries.length;
        await json([domain, ...resend]);
        const asked = server.queries.slice(before).filter((q) => q.name.startsWith('_dmarc.'));
        expect(asked.map((q) => q.name)).toEqual([`_dmarc.${domain}`]);
      }
    });

    it("a parent's wrong sp= makes its record p=none for the subdomain (it has a rua= address)", async () => {
      expect((await dmarcRow('mail.wrong-sp.test')).detail).toMatch(
        /receivers apply wrong-sp\.test's \(the organizational domain\): p=none, aspf=r, adkim=r; sp=bogus is not none, quarantine or reject: with a rua= address receivers treat the record as p=none/,
      );
    });
  });

  it('joins TXT strings without a separator (RFC 7208 §3.3)', async () => {
    const { report } = await json(['split.test', ...resend]);
    expect(report.checks.find((c) => c.id === 'dns.spf')!.records).toEqual(['TXT send.split.test "v=spf1 include:amazonses.com ~all"']);
  });

  it('reads an answer too large for UDP over TCP (the TC bit)', async () => {
    const { status } = await json(['tcp.test', ...resend]);
    expect(status['dns.spf']).toBe('pass');
    const asked = server.queries.filter((q) => q.name === 'send.tcp.test' && q.type === 'TXT').map((q) => q.transport);
    expect(asked).toContain('udp');
    expect(asked).toContain('tcp');
  });

  it('takes an IDN as typed or as punycode, and asks DNS for the punycode', async () => {
    for (const domain of ['bücher.test', 'xn--bcher-kva.test']) {
      const { run } = await json([domain, ...resend]);
      expect(run.code).toBe(ExitCode.ok);
    }
    expect(server.queries.some((q) => q.name === '_dmarc.xn--bcher-kva.test')).toBe(true);
  });

  it('bounds every query by --timeout: a server that never answers is a timeout, not a hang', async () => {
    const started = performance.now();
    const run = await runCli(['dns', 'silent.test', ...resend, '--dns-server', server.address, '--timeout', '300ms', '--json'], { cwd: dir() });
    const report = JSON.parse(run.stdout) as Report;
    expect(run.code).toBe(ExitCode.network);
    expect(report.diagnoses.map((d) => d.id)).toEqual(['dns.lookup.timeout']);
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('tells NXDOMAIN, NODATA and SERVFAIL apart', async () => {
    const nx = await json(['nx.test', ...resend]);
    expect(nx.report.checks.find((c) => c.id === 'dns.mx')!.detail).toContain('NXDOMAIN');
    const nodata = await json(['no-mx.test', ...resend]);
    expect(nodata.report.checks.find((c) => c.id === 'dns.mx')!.detail).toContain('no MX record');
    const servfail = await json(['servfail.test', ...resend]);
    expect(servfail.report.checks.find((c) => c.id === 'dns.mx')!.detail).toContain('SERVFAIL');
  });

  it('--strict turns warnings into exit 11', async () => {
    const { run } = await json(['no-dmarc.test', ...resend, '--strict']);
    expect(run.code).toBe(ExitCode.warnings);
  });

  it('takes the domain and the provider from the configuration when no domain is given', async () => {
    const cwd = dir('RESEND_API_KEY=re_1234567890abcdefghijklmnopqrstuv\nRESEND_SENDER_EMAIL="App <noreply@good.test>"\n');
    const { report, status } = await json([], { cwd });
    expect(report.command).toBe('dns');
    expect(status['dns.dkim']).toBe('pass');
    expect(status['dns.mx.envelope']).toBe('pass');
  });

  it('needs no configuration at all with a domain argument, and explains a missing one', async () => {
    const none = await dns([]);
    expect(none.code).toBe(ExitCode.config);
    expect(none.stderr).toContain('no domain to check');
    const bad = await dns(['not a domain']);
    expect(bad.code).toBe(ExitCode.usage);
    const server = await runCli(['dns', 'good.test', '--dns-server', 'localhost:53'], { cwd: dir() });
    expect(server.code).toBe(ExitCode.usage);
  });

  it('prints a human report: records, fixes, diagnoses and the verdict last', async () => {
    const run = await dns(['strict.test', ...resend]);
    expect(run.code).toBe(ExitCode.deliverability);
    expect(run.stdout).toContain('TXT _dmarc.strict.test "v=DMARC1; p=reject; aspf=s"');
    expect(run.stdout).toContain('fix: publish TXT resend._domainkey.strict.test');
    expect(run.stdout).toContain('diagnosis: DMARC at _dmarc.strict.test says p=reject');
    expect(run.stdout.trim().split('\n').at(-1)).toContain('receivers will reject or junk the mail');
  });

  it('annotates GitHub Actions runs: errors for failures, warnings with the fix', async () => {
    const run = await dns(['strict.test', ...resend], { env: { GITHUB_ACTIONS: 'true' } });
    expect(run.stdout).toMatch(/^::error title=mailcheck dns%3A dns\.dmarc\.unaligned::/m);
    expect(run.stdout).toMatch(/^::warning title=mailcheck dns%3A dns\.dkim::DKIM key.*%0Afix: publish TXT resend\._domainkey\.strict\.test/m);
  });

  it('cannot be made to inject escape sequences or workflow commands by a TXT record', async () => {
    // The records were read (not a timeout that proves nothing), and are shown with their controls made visible.
    const { report } = await json(['evil.test', ...resend]);
    expect(report.checks.find((c) => c.id === 'dns.spf')!.records![0]).toContain('\\x1B]0;pwned\\x07');
    expect(report.checks.find((c) => c.id === 'dns.dmarc')!.records![0]).toContain('\\x0A::error::dmarc');
    for (const extra of [[], ['--json']]) {
      const run = await dns(['evil.test', ...resend, ...extra], { env: { GITHUB_ACTIONS: 'true' } });
      for (const text of [run.stdout, run.stderr]) {
        expect(text).not.toContain('\u001b');
        expect(text).not.toContain('\u0007');
        expect(text).not.toMatch(/^\s*::error title=pwned/m);
        expect(text).not.toMatch(/^\s*::(warning|error)::(x|dmarc|injected)/m);
      }
    }
  });
});

describe('doctor runs the DNS checks after its session', () => {
  let fake: FakeResend;
  const key = 're_1234567890abcdefghijklmnopqrstuv';
  beforeAll(async () => {
    fake = await startFakeResend({
      fullAccessKeys: [key],
      domains: [
        { name: 'good.test', status: 'pending' },
        { name: 'no-dkim.test', status: 'verified' },
      ],
    });
  });
  afterAll(() => fake.close());

  const doctor = (sender: string, args: string[] = []) =>
    runCli(['doctor', '--json', '--dns-server', server.address, '--timeout', '2s', ...args], {
      cwd: dir(`RESEND_API_KEY=${key}\nRESEND_SENDER_EMAIL=noreply@${sender}\n`),
      env: { RESEND_BASE_URL: fake.url },
    });

  it("compares Resend's domain status with DNS: pending while the records are published", async () => {
    const run = await doctor('good.test');
    const report = JSON.parse(run.stdout) as Report;
    const check = report.checks.find((c) => c.id === 'dns.resend')!;
    expect(check.status).toBe('warn');
    expect(check.detail).toContain('Resend says pending while the records are already published: wait for its next check');
  });

  it('says why when Resend says verified and DNS lacks a record', async () => {
    const report = JSON.parse((await doctor('no-dkim.test')).stdout) as Report;
    expect(report.checks.find((c) => c.id === 'dns.resend')!.detail).toContain('Resend says verified, but DNS lacks DKIM');
  });

  it('--no-dns turns them off', async () => {
    const report = JSON.parse((await doctor('good.test', ['--no-dns'])).stdout) as Report;
    expect(report.checks.some((c) => c.id.startsWith('dns.'))).toBe(false);
  });
});
