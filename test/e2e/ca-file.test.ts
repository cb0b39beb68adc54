import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/exit-codes.js';
import { localhostCert, wrongHostCert } from '../fixtures/certs.js';
import { runCli, stackTrace, type CliRun } from '../fixtures/cli.js';
import { startTestServer, type TestServer } from '../fixtures/smtp-server.js';

/**
 * `--ca-file <path>`: a PEM file of CAs trusted for the SMTP server's certificate instead of
 * Node's built-in roots. The built binary runs in a temporary directory with its own .env and an
 * explicit environment WITHOUT NODE_EXTRA_CA_CERTS, against a STARTTLS smtp-server on loopback
 * that presents a self-signed localhost certificate: only the flag can make it trusted.
 */

const user = 'mailer@example.com';
/** Characters that URL-encoding, JSON and shells all change. */
const password = 'Cf9#qL2 wT7!pZ&"';
/** Every form in which the password could leak: raw, URL-encoded, JSON-escaped, base64, AUTH PLAIN. */
const secretForms = [
  password,
  encodeURIComponent(password),
  JSON.stringify(password).slice(1, -1),
  Buffer.from(password).toString('base64'),
  Buffer.from(`\u0000${user}\u0000${password}`).toString('base64'),
];

let root: string;
/** The CA that signed the server's certificate (it is self-signed: the certificate is its own CA). */
let trustedCa: string;
/** A CA that signed nothing the server presents. */
let otherCa: string;

beforeAll(async () => {
  if (!existsSync(fileURLToPath(new URL('../../dist/cli.js', import.meta.url)))) throw new Error('build first: npm run build (npm test does it)');
  root = mkdtempSync(join(tmpdir(), 'mailcheck-ca-file-'));
  trustedCa = join(root, 'ca.pem');
  otherCa = join(root, 'other-ca.pem');
  writeFileSync(trustedCa, (await localhostCert()).cert);
  writeFileSync(otherCa, (await wrongHostCert()).cert);
  expect((await wrongHostCert()).cert).not.toBe((await localhostCert()).cert);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
async function starttlsServer(): Promise<TestServer> {
  const server = await startTestServer({ user, password, cert: await localhostCert() });
  servers.push(server);
  return server;
}

let runCount = 0;
/**
 * Runs the binary in a fresh directory holding a .env for `port` (when given), with nothing in
 * its environment but PATH, NO_COLOR (runCli's) and HOME. Every run is checked for the password.
 */
async function mailcheck(args: string[], o: { port?: number; env?: Record<string, string> } = {}): Promise<CliRun> {
  const cwd = join(root, `run-${++runCount}`);
  mkdirSync(cwd);
  if (o.port !== undefined) {
    const vars = {
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(o.port),
      SMTP_USER: user,
      SMTP_PASSWORD: password,
      SMTP_SENDER: 'App <app@example.com>',
      SMTP_SECURE: '0',
    };
    // Single quotes: dotenv takes the value literally (the password holds # and ").
    writeFileSync(
      join(cwd, '.env'),
      Object.entries(vars)
        .map(([k, v]) => `${k}='${v}'\n`)
        .join(''),
    );
  }
  const run = await runCli(args, { cwd, env: { HOME: cwd, ...o.env } });
  for (const form of secretForms) {
    expect(run.stdout, `stdout of mailcheck ${args.join(' ')}`).not.toContain(form);
    expect(run.stderr, `stderr of mailcheck ${args.join(' ')}`).not.toContain(form);
  }
  return run;
}

const failureText = (run: CliRun) => `exit ${run.code}\n${run.stdout}\n${run.stderr}`;

describe('mailcheck test --ca-file', () => {
  it('trusts the server whose certificate the CA file signed: exit 0, certificate verified, 250', async () => {
    const server = await starttlsServer();
    const run = await mailcheck(['test', '--to', 'you@example.com', '--ca-file', trustedCa], { port: server.port });
    expect(run.code, failureText(run)).toBe(ExitCode.ok);
    expect(run.stdout).toMatch(/== TLS .*certificate verified/);
    expect(run.stdout).toMatch(/<~ 235 /);
    expect(run.stdout).toMatch(/<~ 250 Queued/);
    expect(run.stdout).toMatch(/accepted the test message \(exit 0\)/);
    expect(run.stderr).toBe('');
    expect(server.log.messages).toHaveLength(1);
  });

  it('a CA file holding a different certificate: exit 5, a certificate diagnosis, nothing sent after STARTTLS', async () => {
    const server = await starttlsServer();
    const run = await mailcheck(['test', '--to', 'you@example.com', '--ca-file', otherCa], { port: server.port });
    expect(run.code, failureText(run)).toBe(ExitCode.tls);
    expect(run.stdout).toMatch(/certificate NOT verified \(DEPTH_ZERO_SELF_SIGNED_CERT\)/);
    expect(run.stdout).toMatch(/stopped: certificate verification failed/);
    expect(run.stdout).toMatch(/diagnosis: .*certificate/);
    // The fix names the file the user gave, not only NODE_EXTRA_CA_CERTS (which --ca-file overrides).
    expect(run.stdout).toMatch(/does not chain to the CA given with --ca-file/);
    // Once the certificate failed, not one command crossed the connection: no EHLO, no AUTH.
    const afterTls = run.stdout.slice(run.stdout.indexOf('-> STARTTLS'));
    expect(afterTls).not.toMatch(/~> /);
    expect(run.stdout).not.toMatch(/[~-]> (AUTH|MAIL FROM|RCPT TO|DATA)/);
    expect(server.log.commands).toEqual(['EHLO', 'STARTTLS']);
    expect(server.log.logins).toEqual([]);
    expect(server.log.messages).toEqual([]);
  });

  it('without --ca-file and without NODE_EXTRA_CA_CERTS the same server fails verification: exit 5', async () => {
    const server = await starttlsServer();
    const run = await mailcheck(['test', '--to', 'you@example.com'], { port: server.port });
    expect(run.code, failureText(run)).toBe(ExitCode.tls);
    expect(run.stdout).toMatch(/certificate NOT verified/);
    expect(run.stdout).not.toMatch(/--ca-file/);
    expect(server.log.logins).toEqual([]);
  });

  it('replaces the trusted roots rather than adding to them: NODE_EXTRA_CA_CERTS does not rescue a wrong --ca-file', async () => {
    const server = await starttlsServer();
    const run = await mailcheck(['test', '--to', 'you@example.com', '--ca-file', otherCa], { port: server.port, env: { NODE_EXTRA_CA_CERTS: trustedCa } });
    expect(run.code, failureText(run)).toBe(ExitCode.tls);
    expect(server.log.logins).toEqual([]);
  });

  it('prints the header, then the transcript title, then the transcript, then the checks, each line once', async () => {
    const server = await starttlsServer();
    const run = await mailcheck(['test', '--to', 'you@example.com', '--ca-file', trustedCa], { port: server.port });
    expect(run.code, failureText(run)).toBe(ExitCode.ok);
    const out = run.stdout;
    const at = (text: string) => {
      const index = out.indexOf(text);
      expect(index, `${JSON.stringify(text)} in:\n${out}`).toBeGreaterThanOrEqual(0);
      return index;
    };
    const order = [
      at('mailcheck test'),
      at('provider: smtp'),
      at('SMTP_HOST'),
      at('SMTP_SECURE'),
      at(`SMTP session with 127.0.0.1:${server.port} (sending one test message)`),
      at('== connecting to'),
      at('<- 220 '),
      at('-> EHLO'),
      at('-> STARTTLS'),
      at('== TLS '),
      at('~> AUTH PLAIN'),
      at('<~ 250 Queued'),
      at('\nchecks\n'),
      at('accepted the test message (exit 0)'),
    ];
    expect(order).toEqual([...order].sort((a, b) => a - b));

    // Lines buffered before the renderer existed are replayed once, not once more on top.
    const count = (text: string) => out.split(text).length - 1;
    expect(count('== connecting to')).toBe(1);
    expect(count('<- 220 ')).toBe(2); // the greeting, then "220 Ready to start TLS"
    expect(count('-> EHLO')).toBe(1);
    expect(count('-> STARTTLS')).toBe(1);
    expect(count('SMTP session with')).toBe(1);
    // Every transcript line sits between the title and the checks.
    const transcriptLine = /^\s*\d+ ms {2}(==|->|<-|~>|<~) /;
    const lines = out.split('\n');
    const title = lines.findIndex((l) => l.startsWith('SMTP session with'));
    const checks = lines.indexOf('checks');
    const marked = lines.flatMap((l, i) => (transcriptLine.test(l) ? [i] : []));
    expect(marked.length).toBeGreaterThan(10);
    expect(marked.every((i) => i > title && i < checks)).toBe(true);
    expect(marked).toEqual(Array.from({ length: marked.length }, (_, k) => title + 1 + k));
  });
});

describe('mailcheck doctor --ca-file', () => {
  it('passes with exit 0, and --json reports the TLS check passing with a verified certificate', async () => {
    const server = await starttlsServer();
    const human = await mailcheck(['doctor', '--ca-file', trustedCa], { port: server.port });
    expect(human.code, failureText(human)).toBe(ExitCode.ok);
    expect(human.stdout).toMatch(/== TLS .*certificate verified/);

    const run = await mailcheck(['doctor', '--json', '--ca-file', trustedCa], { port: server.port });
    expect(run.code, failureText(run)).toBe(ExitCode.ok);
    const report = JSON.parse(run.stdout);
    expect(report.result).toMatchObject({ ok: true, exitCode: 0 });
    expect(report.checks.find((c: { id: string }) => c.id === 'smtp.tls')).toMatchObject({
      status: 'pass',
      detail: expect.stringMatching(/certificate verified/),
    });
    expect(report.tls).toMatchObject({ authorized: true, subject: 'CN=localhost' });
    expect(report.auth).toMatchObject({ performed: true });
    // The check starts before the report's modules load: the total still counts from the start.
    expect(report.timings.totalMs).toBeGreaterThanOrEqual(report.transcript.at(-1).at);
    // doctor never sends without --send.
    expect(server.log.messages).toEqual([]);
  });

  it('with a CA file that did not sign the certificate: exit 5, TLS failing in --json', async () => {
    const server = await starttlsServer();
    const run = await mailcheck(['doctor', '--json', '--ca-file', otherCa], { port: server.port });
    expect(run.code, failureText(run)).toBe(ExitCode.tls);
    const report = JSON.parse(run.stdout);
    expect(report.checks.find((c: { id: string }) => c.id === 'smtp.tls')).toMatchObject({ status: 'fail' });
    expect(report.result).toMatchObject({ ok: false, exitCode: ExitCode.tls, failureClass: 'tls' });
    expect(server.log.logins).toEqual([]);
  });
});

describe('mailcheck probe --ca-file', () => {
  it('reports the working STARTTLS combination as verified and recommends it', async () => {
    const server = await starttlsServer();
    const run = await mailcheck(['probe', '127.0.0.1', '--ports', String(server.port), '--ca-file', trustedCa]);
    expect(run.code, failureText(run)).toBe(ExitCode.ok);
    expect(run.stdout).toMatch(new RegExp(`${server.port} STARTTLS +TLSv1\\.\\d, certificate verified`));
    expect(run.stdout).toContain(`recommended: STARTTLS on port ${server.port} over IPv4, certificate verified`);
    const recommended = run.stdout.slice(run.stdout.indexOf('recommended:'));
    expect(recommended).toMatch(new RegExp(`^SMTP_PORT=${server.port}$`, 'm'));
    expect(recommended).toMatch(/^SMTP_SECURE=0$/m);
  });

  it('without it, the same combination is reported as NOT verified', async () => {
    const server = await starttlsServer();
    const run = await mailcheck(['probe', '127.0.0.1', '--ports', String(server.port)]);
    expect(run.stdout).toMatch(new RegExp(`${server.port} STARTTLS +TLSv1\\.\\d, certificate NOT verified \\(DEPTH_ZERO_SELF_SIGNED_CERT\\)`));
    expect(run.stdout).not.toContain('certificate verified');
    expect(run.code, failureText(run)).not.toBe(ExitCode.ok);
    expect(run.stdout).toMatch(/NODE_EXTRA_CA_CERTS=/);
  });

  it('with a CA file that did not sign the certificate, the fix names the file, not NODE_EXTRA_CA_CERTS', async () => {
    const server = await starttlsServer();
    const run = await mailcheck(['probe', '127.0.0.1', '--ports', String(server.port), '--ca-file', otherCa]);
    expect(run.code, failureText(run)).not.toBe(ExitCode.ok);
    expect(run.stdout).toMatch(/does not chain to the CA given with --ca-file/);
    expect(run.stdout).not.toMatch(/NODE_EXTRA_CA_CERTS/);
  });
});

describe('--ca-file bad input: exit 2, a message naming --ca-file, no stack trace', () => {
  const notPem = () => {
    const file = join(root, 'not-a-cert.txt');
    writeFileSync(file, 'SMTP_HOST=smtp.example.com\n-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n');
    return file;
  };
  const huge = () => {
    const file = join(root, 'huge.pem');
    writeFileSync(file, Buffer.alloc(2 * 1024 * 1024, 'A'));
    return file;
  };
  const garbledPem = () => {
    const file = join(root, 'garbled.pem');
    writeFileSync(file, '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n');
    return file;
  };
  const inputs: [string, () => string, RegExp][] = [
    ['a missing file', () => join(root, 'no-such-ca.pem'), /cannot be read \(ENOENT\)/],
    ['a file with no certificate', notPem, /holds no PEM certificate/],
    ['a directory', () => root, /is not a regular file/],
    // Reading a device would never end (or fill memory): refused before a byte is read.
    ['a device that never ends', () => '/dev/zero', /is not a regular file/],
    ['a file too large to be a CA', huge, /too large for a CA file/],
    ['a certificate block that does not parse', garbledPem, /does not parse \(number 1\)/],
  ];
  const commands: [string, string[]][] = [
    ['test', ['test', '--to', 'you@example.com']],
    ['doctor', ['doctor']],
    ['init', ['init', '--provider', 'other', '--to', 'you@example.com']],
    ['probe', ['probe', '127.0.0.1', '--ports', '2587']],
  ];
  it('test --sandbox with --ca-file: the sandbox trusts its own certificate, so the pair is refused', async () => {
    const run = await mailcheck(['test', '--sandbox', '--ca-file', trustedCa], { port: 1 });
    expect(run.code, failureText(run)).toBe(ExitCode.usage);
    expect(run.stderr).toMatch(/--ca-file does not apply to --sandbox/);
    expect(run.stdout + run.stderr).not.toMatch(stackTrace);
  });

  for (const [what, path, message] of inputs) {
    for (const [name, args] of commands) {
      it(`${name} with ${what}`, async () => {
        const server = await starttlsServer();
        const file = path();
        const run = await mailcheck([...args, '--ca-file', file], { port: server.port });
        expect(run.code, failureText(run)).toBe(ExitCode.usage);
        expect(run.stderr).toContain(`--ca-file ${JSON.stringify(file)}`);
        expect(run.stderr).toMatch(message);
        expect(run.stderr).toMatch(/-----BEGIN CERTIFICATE-----/);
        expect(run.stderr).not.toMatch(/unexpected error|bug/i);
        expect(run.stdout + run.stderr).not.toMatch(stackTrace);
        // Refused before anything ran: no report, no connection to the server.
        expect(run.stdout).toBe('');
        expect(server.log.commands).toEqual([]);
      });
    }
  }
});
