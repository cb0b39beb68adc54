import { readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/exit-codes.js';
import { ensureBuilt, password, prepare, removeWorkDirs, runCli, runViaShebang, scenarios, stackTrace, user, workDir, type Scenario } from './cli-harness.js';

/**
 * The built binary, spawned as a user runs it: its own directory and .env, a clean environment,
 * no terminal, real SMTP servers on loopback. Assertions are on what a user or a CI script sees:
 * the exit code, stdout and stderr.
 */

beforeAll(ensureBuilt, 180_000);
afterAll(removeWorkDirs);

const scenario = (name: string): Scenario => scenarios.find((s) => s.name === name)!;

/** Runs `mailcheck test` against the scenario's server and closes the server. */
async function runScenario(name: string, extraArgs: string[] = []) {
  const prepared = await prepare(scenario(name), extraArgs);
  try {
    return await runCli(prepared.args, prepared);
  } finally {
    await prepared.close();
  }
}

const noStackTrace = (text: string) => expect(text).not.toMatch(stackTrace);
// Piped output is never coloured, whatever the server or the config says.
const noEscapes = (text: string) => expect(text).not.toMatch(/\u001b/);

describe('mailcheck test', () => {
  it('--sandbox: a complete session through 235 and 250, exit 0, no credentials needed', async () => {
    const run = await runCli(['test', '--sandbox'], { cwd: workDir() });
    expect(run.code, run.stderr).toBe(ExitCode.ok);
    expect(run.stdout).toMatch(/<~ 235 /);
    expect(run.stdout).toMatch(/<~ 250 .*sandbox/);
    expect(run.stdout).toMatch(/~> AUTH PLAIN ‹base64 of username "mailcheck" and password …\(\d+ chars\)›/);
    expect(run.stdout).toMatch(/== TLS .*certificate verified/);
    expect(run.stdout.trimEnd().split('\n').at(-1)).toMatch(/accepted the test message \(exit 0\)/);
    noEscapes(run.stdout);
    expect(run.stderr).toBe('');
  });

  it('against a STARTTLS server from .env: exit 0, 235 and 250 in the transcript', async () => {
    const run = await runScenario('STARTTLS success');
    expect(run.code, run.stdout + run.stderr).toBe(ExitCode.ok);
    expect(run.stdout).toMatch(/SMTP_PORT\s+= \d+ +\(\.env line 2\)/);
    expect(run.stdout).toMatch(/<~ 235 /);
    expect(run.stdout).toMatch(/<~ 250 Queued/);
  });

  it('--json: one parseable JSON document on stdout, nothing else there', async () => {
    const run = await runScenario('STARTTLS success', ['--json']);
    expect(run.code).toBe(ExitCode.ok);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({ schemaVersion: 1, command: 'test', provider: { kind: 'smtp' }, result: { ok: true, exitCode: 0 } });
    expect(report.transcript.map((l: { text: string }) => l.text)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^235 /), expect.stringMatching(/^250 Queued/)]),
    );
    expect(report.checks.map((c: { status: string }) => c.status)).toEqual(Array(7).fill('pass'));
    expect(report.config).toContainEqual({ variable: 'SMTP_PASSWORD', value: `…(${password.length} chars)`, source: '.env line 4' });
  });

  it('--json on a failure: the exit code is in the document and in the process', async () => {
    const run = await runScenario('535 wrong password', ['--json']);
    expect(run.code).toBe(ExitCode.auth);
    const report = JSON.parse(run.stdout);
    expect(report.result).toEqual({ ok: false, exitCode: ExitCode.auth, failureClass: 'auth' });
    expect(report.diagnoses).toHaveLength(1);
    expect(report.diagnoses[0].class).toBe('auth');
  });

  it("wrong password: exit 6, the server's words, and a hint naming SMTP_USER and SMTP_PASSWORD", async () => {
    const run = await runScenario('535 wrong password');
    expect(run.code).toBe(ExitCode.auth);
    expect(run.stdout).toMatch(/the server said: 535 /);
    const hints = run.stdout.slice(run.stdout.indexOf('diagnosis:'));
    expect(hints).toContain('SMTP_USER');
    expect(hints).toContain('SMTP_PASSWORD');
    expect(run.stdout.trimEnd().split('\n').at(-1)).toMatch(/\(exit 6\)$/);
    noStackTrace(run.stdout + run.stderr);
  });

  it('SMTP_SECURE=1 against a STARTTLS server: exit 5, and the fix names SMTP_SECURE', async () => {
    const run = await runScenario('wrong version number (SMTP_SECURE=1 on STARTTLS)');
    expect(run.code).toBe(ExitCode.tls);
    const hints = run.stdout.slice(run.stdout.indexOf('diagnosis:'));
    expect(hints).toMatch(/SMTP_SECURE=0/);
  });

  it('SMTP_SECURE=0 against an implicit-TLS server: exit 5, and the fix names SMTP_SECURE=1', async () => {
    const run = await runScenario('SMTP_SECURE=0 on implicit TLS');
    expect(run.code).toBe(ExitCode.tls);
    expect(run.stdout.slice(run.stdout.indexOf('diagnosis:'))).toMatch(/SMTP_SECURE=1/);
  });

  it('SMTP_SECURE=1 with SMTP_PORT=587 is caught before the network: exit 3', async () => {
    const cwd = workDir({ SMTP_HOST: '127.0.0.1', SMTP_PORT: '587', SMTP_USER: user, SMTP_PASSWORD: 'x', SMTP_SENDER: 'app@example.com', SMTP_SECURE: '1' });
    const run = await runCli(['test', '--to', 'you@example.com'], { cwd });
    expect(run.code).toBe(ExitCode.config);
    expect(run.stdout).toMatch(/SMTP_SECURE="1" \(from \.env line 6\)/);
    expect(run.stdout).not.toContain('session with');
  });

  it('a sender rejected after DATA is reported as the sender: exit 7', async () => {
    const run = await runScenario('550 after DATA');
    expect(run.code).toBe(ExitCode.envelope);
    expect(run.stdout).toMatch(/the server said: 550 Sender address not verified/);
    expect(run.stdout.slice(run.stdout.indexOf('diagnosis:'))).toContain('SMTP_SENDER');
  });

  it('421 at MAIL FROM: exit 9 with the retry advice', async () => {
    const run = await runScenario('421 at MAIL');
    expect(run.code).toBe(ExitCode.temporary);
    expect(run.stdout).toMatch(/retry/i);
  });

  it('the password can come from --password-stdin', async () => {
    const run = await runScenario('password from stdin');
    expect(run.code, run.stdout + run.stderr).toBe(ExitCode.ok);
    expect(run.stdout).toMatch(/SMTP_PASSWORD\s+= …\(\d+ chars\) +\(--password-stdin\)/);
  });
});

describe('usage and configuration errors', () => {
  it('no --to and no terminal: exit 2 with a clear message, nothing sent', async () => {
    const prepared = await prepare(scenario('STARTTLS success'));
    try {
      const run = await runCli(['test'], prepared);
      expect(run.code).toBe(ExitCode.usage);
      expect(run.stderr).toMatch(/^mailcheck: no recipient: .*needs --to/m);
      expect(run.stderr).toMatch(/--to you@example.com/);
      expect(run.stdout).not.toContain('session with');
      noStackTrace(run.stderr);
    } finally {
      await prepared.close();
    }
  });

  it('--env-file that does not exist: exit 3, naming the file', async () => {
    // `node --` keeps Node itself from reading --env-file (see the next test).
    const run = await runCli(['--env-file', 'missing.env', 'test', '--to', 'you@example.com'], { cwd: workDir(), endNodeOptions: true });
    expect(run.code, run.stderr).toBe(ExitCode.config);
    expect(run.stderr).toMatch(/^mailcheck: cannot read the env file missing\.env: no such file/m);
    noStackTrace(run.stderr);
    const after = await runCli(['test', '--env-file=missing.env', '--to', 'you@example.com'], { cwd: workDir(), endNodeOptions: true });
    expect(after.code, after.stderr).toBe(ExitCode.config);
  });

  // Node 20 scans the whole command line for its own --env-file, even after the script name
  // (nodejs/node#54232), and exits 9 before mailcheck runs when the file is missing. --dotenv is a
  // name Node leaves alone: run through the #! line, as npm's shims and npx run it.
  it('--dotenv that does not exist, run as `npx mailcheck` runs it: exit 3 naming the file and the directory', async () => {
    const cwd = workDir();
    const run = await runViaShebang(['--dotenv', 'missing.env', 'test', '--to', 'you@example.com'], { cwd });
    expect(run.code, run.stderr).toBe(ExitCode.config);
    expect(run.stderr).toContain(`mailcheck: cannot read the env file missing.env: no such file (looked in ${realpathSync(cwd)})`);
    const short = await runViaShebang(['doctor', '-e', 'missing.env'], { cwd });
    expect(short.code, short.stderr).toBe(ExitCode.config);
    expect(short.stderr).toMatch(/^mailcheck: cannot read the env file missing\.env/m);
  });

  it('--dotenv and --env-file files are read in the order given, later files win, with provenance', async () => {
    const cwd = workDir({ SMTP_HOST: 'smtp.example.com', SMTP_PORT: '587' });
    writeFileSync(join(cwd, 'base.env'), 'SMTP_HOST=127.0.0.1\nSMTP_PORT=25\n');
    writeFileSync(join(cwd, 'local.env'), '# override\nSMTP_PORT=2525\n');
    writeFileSync(join(cwd, 'last.env'), 'SMTP_HOST=localhost\n');
    const run = await runViaShebang(['--dotenv', 'base.env', '--env-file', 'local.env', 'test', '-e', 'last.env', '--to', 'you@example.com'], { cwd });
    // Half-set (no user, password, sender): stops before the network, but shows what it read.
    expect(run.code).toBe(ExitCode.config);
    expect(run.stdout).toMatch(/SMTP_HOST\s+= localhost +\(last\.env line 1\)/);
    expect(run.stdout).toMatch(/SMTP_PORT\s+= 2525 +\(local\.env line 2\)/);
    // ./.env is not read when files are named.
    expect(run.stdout).not.toContain('smtp.example.com');
    // The other way round, the base file wins: the order is the order typed, not grouped by spelling.
    const reversed = await runViaShebang(['--env-file', 'local.env', '--dotenv', 'base.env', 'test', '--to', 'you@example.com'], { cwd });
    expect(reversed.stdout).toMatch(/SMTP_PORT\s+= 25 +\(base\.env line 2\)/);
  });

  it('an unknown option: exit 2', async () => {
    const run = await runCli(['test', '--pasword', 'x'], { cwd: workDir() });
    expect(run.code).toBe(ExitCode.usage);
    expect(run.stderr).toMatch(/unknown option '--pasword'/);
    noStackTrace(run.stderr);
  });

  it('an unknown command: exit 2', async () => {
    const run = await runCli(['tset'], { cwd: workDir() });
    expect(run.code).toBe(ExitCode.usage);
  });

  it('no command: the help on stderr, exit 2, and with --json one document that says so', async () => {
    const run = await runCli(['--json'], { cwd: workDir() });
    expect(run.code).toBe(ExitCode.usage);
    expect(run.stderr).toMatch(/^Usage: mailcheck/);
    const report = JSON.parse(run.stdout);
    expect(report.error).toEqual({ message: 'no command given', hint: 'run mailcheck --help for the commands' });
    expect(report.result).toMatchObject({ exitCode: ExitCode.usage, failureClass: 'usage' });
  });

  it('a bad --timeout: exit 2 with the accepted forms', async () => {
    const run = await runCli(['test', '--sandbox', '--timeout', 'soon'], { cwd: workDir() });
    expect(run.code).toBe(ExitCode.usage);
    expect(run.stderr).toMatch(/5s or 1500ms/);
  });

  it('no provider configured: exit 3, email is disabled', async () => {
    const run = await runCli(['test', '--to', 'you@example.com'], { cwd: workDir() });
    expect(run.code).toBe(ExitCode.config);
    expect(run.stdout).toMatch(/email is disabled/);
    expect(run.stdout).not.toContain('session with');
  });

  it('a half-set SMTP block names the missing variables: exit 3', async () => {
    const run = await runCli(['test', '--to', 'you@example.com'], { cwd: workDir({ SMTP_HOST: 'smtp.example.com', SMTP_PORT: '587' }) });
    expect(run.code).toBe(ExitCode.config);
    expect(run.stdout).toMatch(/SMTP_USER, SMTP_PASSWORD, SMTP_SENDER/);
  });

  it('--help and --version: exit 0', async () => {
    const cwd = workDir();
    const help = await runCli(['--help'], { cwd });
    expect(help.code).toBe(ExitCode.ok);
    expect(help.stdout).toMatch(/Usage: mailcheck/);
    expect(help.stdout).toMatch(/Exit codes:/);
    const testHelp = await runCli(['test', '--help'], { cwd });
    expect(testHelp.code).toBe(ExitCode.ok);
    expect(testHelp.stdout).toMatch(/--sandbox/);
    const { version } = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const run = await runCli([flag], { cwd });
      expect(run.code).toBe(ExitCode.ok);
      expect(run.stdout.trim()).toBe(version);
    }
  });
});
