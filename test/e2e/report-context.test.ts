import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/exit-codes.js';
import { expiringSoonCert, localhostCert } from '../fixtures/certs.js';
import { startTestServer, type TestServer } from '../fixtures/smtp-server.js';
import { ensureBuilt, removeWorkDirs, runCli, stackTrace, workDir } from './cli-harness.js';

/**
 * Issue 15: every report says what it read and what it saw but did not read, which versions ran,
 * and can be written as Markdown to paste into an issue; the flags users expect work the same on
 * every command (--quiet, --verbose, --sandbox, colour per no-color.org, help with examples).
 */

const own = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
const password = 'Zq8#rT5 hostile-pass';
let server: TestServer;
let caFile: string;

beforeAll(async () => {
  await ensureBuilt();
  // Every word this server says after MAIL FROM is hostile Markdown and HTML.
  server = await startTestServer({
    user: 'mailer',
    password,
    rejectMail: { code: 550, message: '<img src=x onerror=alert(1)> [click](https://evil.example) | x ![i](https://evil.example/i.png) `tick`' },
  });
  caFile = join(workDir(), 'ca.pem');
  writeFileSync(caFile, (await localhostCert()).cert);
});
afterAll(async () => {
  await server?.close();
  removeWorkDirs();
});

const smtpEnv = (port: number) => ({
  SMTP_HOST: '127.0.0.1',
  SMTP_PORT: String(port),
  SMTP_USER: 'mailer',
  SMTP_PASSWORD: `'${password}'`,
  SMTP_SENDER: '"App <app@example.com>"',
  SMTP_SECURE: '0',
});

describe('what a report read', () => {
  it('lists the files read and the .env files beside them it did not read, with the flag that reads one', async () => {
    const cwd = workDir({ SMTP_HOST: 'smtp.example.com' });
    for (const name of ['.env.local', '.env.production', '.env.test', '.env.example', '.env.bak', '.env.bak.1'])
      writeFileSync(join(cwd, name), 'SMTP_PORT=1\n');
    const human = await runCli(['doctor'], { cwd });
    expect(human.stdout).toMatch(/^files read: \.env$/m);
    expect(human.stdout).toMatch(/^not read: \.env\.local, \.env\.production, \.env\.test \(read one with --dotenv \.env\.local\)$/m);
    const json = JSON.parse((await runCli(['doctor', '--json'], { cwd })).stdout);
    // Templates and mailcheck's own backups are not configuration an app reads.
    expect(json.files).toEqual({ read: ['.env'], candidates: ['.env.local', '.env.production', '.env.test'] });
    // Reading one of them makes ./.env the one not read.
    const other = JSON.parse((await runCli(['doctor', '--json', '--dotenv', '.env.local'], { cwd })).stdout);
    expect(other.files).toEqual({ read: ['.env.local'], candidates: ['.env', '.env.production', '.env.test'] });
  });

  it('"email disabled" points at mailcheck init and mailcheck test --sandbox', async () => {
    const run = await runCli(['doctor'], { cwd: workDir() });
    expect(run.code).toBe(ExitCode.config);
    expect(run.stdout).toMatch(/fix: .*`mailcheck init`.*`mailcheck test --sandbox`/);
  });

  it('JSON carries the versions of mailcheck, Node and the OS, also when the run ends early', async () => {
    const json = JSON.parse((await runCli(['doctor', '--json'], { cwd: workDir() })).stdout);
    expect(json.versions.mailcheck).toBe(own.version);
    expect(json.versions.node).toBe(process.version);
    expect(json.versions.os).toMatch(/^\S+ \S+ \S+$/);
    const early = JSON.parse((await runCli(['doctor', '--json', '--timeout', 'soon'], { cwd: workDir() })).stdout);
    expect(early.result.exitCode).toBe(ExitCode.usage);
    expect(early.versions.node).toBe(process.version);
  });
});

describe('--report <path>: Markdown for an issue', () => {
  it('holds versions, provider, masked config with provenance, checks, diagnoses and transcript, all inert', async () => {
    const cwd = workDir(smtpEnv(server.port));
    const run = await runCli(['doctor', '--ca-file', caFile, '--report', 'report.md'], { cwd });
    expect(run.code).toBe(ExitCode.envelope);
    expect(run.stderr).toContain('report written to report.md');
    const md = readFileSync(join(cwd, 'report.md'), 'utf8');
    expect(md).toMatch(/^## mailcheck doctor: sender or recipient rejected/);
    expect(md).toContain(`- mailcheck ${own.version}, Node ${process.version}, `);
    expect(md).toContain('- provider: **smtp**');
    expect(md).toContain('- files read: .env');
    // The same mask as the header, and provenance per value.
    const header = /SMTP_PASSWORD = (.+?) {2}\(/.exec(run.stdout)![1]!;
    expect(md).toContain(`| SMTP\\_PASSWORD | ${header} | .env line 4 |`);
    // @ is escaped so that no text in a report can mention (and notify) a GitHub user.
    expect(md).toContain('| SMTP\\_SENDER | App &lt;app\\@example.com&gt; | .env line 5 |');
    expect(md).toMatch(/\| ❌ \| sender accepted \(MAIL FROM\) \| smtp\.sender \|/);
    expect(md).toMatch(/^### Diagnosis `[a-z0-9.-]+`: \S.+$/m);
    expect(md).toMatch(/\| \d+ \| \\~&gt; \| MAIL FROM:&lt;app\\@example\.com&gt; \|/);
    // The server's words arrive, but cannot become HTML, an image or a link, nor break the table.
    // Bare URLs are broken too (https\://): GitHub would turn them into links.
    expect(md).toContain('&lt;img src=x onerror=alert(1)&gt; \\[click\\](https\\://evil.example) \\| x \\!\\[i\\](https\\://evil.example/i.png) \\`tick\\`');
    expect(md).not.toMatch(/<img|(?<!\\)\]\(https|(?<!\\)!\\?\[/);
    for (const line of md.split('\n').filter((l) => l.startsWith('| '))) expect(line.split(/(?<!\\)\|/).length, line).toBeLessThanOrEqual(7);
    expect(md).not.toContain(password);
    expect(md).not.toContain(Buffer.from(`\0mailer\0${password}`).toString('base64'));
  });

  it('a run that ends before it reads the configuration writes one too: a usage error, a missing env file', async () => {
    const cwd = workDir();
    const usage = await runCli(['doctor', '--bogus', '--report', 'usage.md'], { cwd });
    expect(usage.code).toBe(ExitCode.usage);
    expect(usage.stderr).toContain('report written to usage.md');
    const early = readFileSync(join(cwd, 'usage.md'), 'utf8');
    expect(early).toMatch(/^## mailcheck doctor: bad command line .*\(exit 2\)$/m);
    expect(early).toContain('- provider: **unknown** (the run ended before the configuration was read)');
    expect(early).toContain("- ended early: unknown option '--bogus'");
    // --report=<path> too, and --json still prints its one document beside the file.
    const config = await runCli(['doctor', '--json', '--dotenv', 'missing.env', '--report=config.md'], { cwd });
    expect(config.code).toBe(ExitCode.config);
    expect(JSON.parse(config.stdout).result.exitCode).toBe(ExitCode.config);
    const missing = readFileSync(join(cwd, 'config.md'), 'utf8');
    expect(missing).toMatch(/^## mailcheck doctor: configuration problem/);
    expect(missing).toMatch(/^- ended early: cannot read the env file missing\.env: no such file .*\(check the --dotenv path/m);
  });

  it('a path that cannot be written is said on stderr and does not change the verdict', async () => {
    const run = await runCli(['test', '--sandbox', '--report', '/nonexistent-dir/r.md'], { cwd: workDir() });
    expect(run.code).toBe(ExitCode.ok);
    expect(run.stderr).toMatch(/could not write the report to \/nonexistent-dir\/r\.md \(ENOENT\)/);
    expect(run.stderr).not.toMatch(stackTrace);
  });
});

describe('flags that work the same on every command', () => {
  it('--sandbox on test, doctor and probe: a complete, passing run without credentials', async () => {
    for (const command of ['test', 'doctor', 'probe']) {
      const run = await runCli([command, '--sandbox', '--json'], { cwd: workDir() });
      expect(run.code, `${command}: ${run.stderr}`).toBe(ExitCode.ok);
      const json = JSON.parse(run.stdout);
      expect(json.command).toBe(command);
      expect(json.checks.filter((c: { status: string }) => c.status === 'pass').length).toBeGreaterThan(1);
    }
  });

  it('--quiet prints only the verdict line; --verbose adds the passing rules and the time per stage', async () => {
    const quiet = await runCli(['test', '--sandbox', '--quiet'], { cwd: workDir() });
    expect(quiet.code).toBe(ExitCode.ok);
    expect(quiet.stdout).toBe('✔ the server accepted the test message (exit 0)\n');
    const failing = await runCli(['doctor', '-q'], { cwd: workDir() });
    expect(failing.stdout).toBe('✖ configuration problem: missing, invalid or contradictory variables, or email disabled (exit 3)\n');
    const verbose = await runCli(['doctor', '--sandbox', '--verbose'], { cwd: workDir() });
    expect(verbose.stdout).toMatch(/^ {2}✔ /m);
    expect(verbose.stdout).toMatch(/^time per stage\n {2}connect \d+ ms, .*greeting \d+ ms.* \(total \d+ ms\)$/m);
    const both = await runCli(['doctor', '--quiet', '--verbose'], { cwd: workDir() });
    expect(both.code).toBe(ExitCode.usage);
  });

  it('colour per no-color.org: an empty NO_COLOR is unset, FORCE_COLOR forces it on when piped, --no-color wins', async () => {
    const sgr = /\x1b\[\d+m/;
    const forced = await runCli(['doctor'], { cwd: workDir(), env: { FORCE_COLOR: '1', NO_COLOR: '1' } });
    expect(forced.stdout).toMatch(sgr);
    const piped = await runCli(['doctor'], { cwd: workDir(), env: { NO_COLOR: '' } });
    expect(piped.stdout).not.toMatch(sgr);
    const flag = await runCli(['doctor', '--no-color'], { cwd: workDir(), env: { FORCE_COLOR: '1' } });
    expect(flag.stdout).not.toMatch(sgr);
  });

  it("every command's --help lists the global options and two or three examples", async () => {
    for (const command of ['test', 'doctor', 'init', 'dns', 'probe']) {
      const run = await runCli([command, '--help'], { cwd: workDir() });
      expect(run.code).toBe(ExitCode.ok);
      const [, globals] = run.stdout.split('Global Options:');
      expect(globals, command).toMatch(/-e, --dotenv <path>/);
      expect(globals).toMatch(/--quiet/);
      expect(globals).toMatch(/--report <path>/);
      const examples = run.stdout.split('Examples:')[1]!.trimEnd().split('\n').filter(Boolean);
      expect(examples.length, command).toBeGreaterThanOrEqual(2);
      expect(examples.length).toBeLessThanOrEqual(3);
      for (const line of examples) expect(line).toMatch(new RegExp(`^ {2}\\$ mailcheck ${command}\\b|^ {2}\\$ printf .*\\| mailcheck ${command}\\b`));
    }
  });

  it('human output is not wrapped when stdout is not a terminal', async () => {
    const run = await runCli(['doctor'], { cwd: workDir() });
    const long = run.stdout.split('\n').find((l) => l.includes('`mailcheck test --sandbox`'))!;
    expect(long.length).toBeGreaterThan(120);
  });
});

describe('certificate expiry', () => {
  it('a certificate that verifies but expires within 14 days is a warning (exit 0; 11 with --strict)', async () => {
    const cert = await expiringSoonCert();
    const soon = await startTestServer({ user: 'mailer', password, cert });
    try {
      const cwd = workDir(smtpEnv(soon.port));
      writeFileSync(join(cwd, 'soon.pem'), cert.cert);
      const run = await runCli(['doctor', '--json', '--ca-file', 'soon.pem'], { cwd });
      expect(run.code, run.stderr).toBe(ExitCode.ok);
      const json = JSON.parse(run.stdout);
      const ids = json.checks.map((c: { id: string }) => c.id);
      expect(ids.indexOf('smtp.tls.expiry')).toBe(ids.indexOf('smtp.tls') + 1);
      const expiry = json.checks.find((c: { id: string }) => c.id === 'smtp.tls.expiry');
      expect(expiry.status).toBe('warn');
      expect(expiry.detail).toMatch(/expires in [45] days/);
      const strict = await runCli(['doctor', '--strict', '--ca-file', 'soon.pem'], { cwd });
      expect(strict.code).toBe(ExitCode.warnings);
      // A certificate with months left has nothing to warn about (its date is in the TLS check).
      const fine = JSON.parse((await runCli(['doctor', '--json', '--ca-file', caFile], { cwd: workDir(smtpEnv(server.port)) })).stdout);
      expect(fine.checks.map((c: { id: string }) => c.id)).not.toContain('smtp.tls.expiry');
      expect(fine.checks.find((c: { id: string }) => c.id === 'smtp.tls').detail).toMatch(/expires \d{4}-\d\d-\d\d/);
    } finally {
      await soon.close();
    }
  });
});
