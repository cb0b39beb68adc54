import { spawn, execFileSync } from 'node:child_process';
import { lstatSync, mkdtempSync, openSync, closeSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/exit-codes.js';
import { localhostCert } from '../fixtures/certs.js';
import { binPath, collect, runCli, stackTrace, type CliRun } from '../fixtures/cli.js';
import { onCommands, startHostileServer, type HostileServer } from '../fixtures/hostile-servers.js';
import { startFakeResend } from '../fixtures/fake-resend.js';
import { startTestServer, type TestServer } from '../fixtures/smtp-server.js';

/**
 * The trust promises of issue 12, each finding reproduced as an attacker or an unlucky user met
 * it: secrets outside SMTP_PASSWORD, workflow-command injection, terminal escapes from
 * configuration text, unbounded input, files that are not regular, and the JSON contract on
 * every exit. Everything runs the built binary against servers on loopback.
 */

const password = 'correct-horse-battery';
const apiKey = 're_Abcdefgh_1234567890_ijklmnop';
let dir: string;
let caFile: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mailcheck-trust-'));
  caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, (await localhostCert()).cert);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function workDir(dotenv = ''): string {
  const cwd = mkdtempSync(join(dir, 'run-'));
  writeFileSync(join(cwd, '.env'), dotenv);
  return cwd;
}

function smtpEnv(server: { port: number }, extra: Record<string, string> = {}): Record<string, string> {
  return {
    SMTP_HOST: 'localhost',
    SMTP_PORT: String(server.port),
    SMTP_USER: 'mailer',
    SMTP_PASSWORD: password,
    SMTP_SENDER: 'app@example.com',
    SMTP_SECURE: '0',
    ...extra,
  };
}

/** Every line a GitHub runner would execute: `::cmd` at a line's start (after spaces), `##[` anywhere. */
function workflowCommands(text: string): string[] {
  return text.split('\n').filter((line) => /^\s*::/.test(line) || line.includes('##['));
}

/** mailcheck's own annotations, and nothing else, may be workflow commands. */
function foreignCommands(run: CliRun): string[] {
  return [...workflowCommands(run.stdout), ...workflowCommands(run.stderr)].filter((line) => !/^::(error|warning) title=mailcheck /.test(line));
}

const escapeCharacters = /[\x00-\x08\x0b-\x1f\x7f\x9b]/;

describe('secrets outside SMTP_PASSWORD are masked wherever they are shown', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ user: apiKey, password, rejectRcpt: { code: 550, message: '5.1.1 no such user' } });
  });
  afterAll(() => server.close());

  it('an API key put into SMTP_USER: header, lint, transcript, annotations and summary', async () => {
    const summary = join(dir, 'summary-user.md');
    writeFileSync(summary, '');
    // The leading space makes lint quote the value (smtp.user.whitespace): it must quote the mask.
    const run = await runCli(['doctor', '--ca-file', caFile], {
      cwd: workDir(),
      env: { ...smtpEnv(server, { SMTP_USER: apiKey }), GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary },
    });
    expect(run.code).toBe(ExitCode.envelope);
    expect(run.stdout).toContain('SMTP_USER     = re_…(31 chars)');
    for (const text of [run.stdout, run.stderr, readFileSync(summary, 'utf8')]) {
      expect(text).not.toContain(apiKey);
      expect(text).not.toContain(Buffer.from(apiKey).toString('base64'));
    }
  });

  it('a RESEND_API_KEY with a trailing line end is sent trimmed and scrubbed in both forms from an echoing API', async () => {
    const api = await startFakeResend({ fullAccessKeys: [], echoKey: true });
    try {
      const run = await runCli(['doctor', '--json'], {
        cwd: workDir(`RESEND_API_KEY="${apiKey}\\n"\nRESEND_SENDER_EMAIL=app@example.com\nRESEND_BASE_URL=${api.url}\n`),
        env: {},
      });
      expect(run.code).toBe(ExitCode.auth);
      const report = JSON.parse(run.stdout) as { lint: { id: string }[]; transcript: { text: string }[] };
      expect(report.lint.map((f) => f.id)).toContain('resend.key.whitespace');
      expect(api.requests.some((r) => r.authorization === `Bearer ${apiKey}`)).toBe(true);
      expect(run.stdout + run.stderr).not.toContain(apiKey);
      expect(report.transcript.map((l) => l.text).join('\n')).toContain('‹redacted›');
    } finally {
      await api.close();
    }
  });
});

describe('init and fix-offer diffs show what changes, and no other value', () => {
  const token = '0f5c9a2e-4b1d-4c3e-9a7f-1d2e3f4a5b6c';
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ user: token, password: token });
  });
  afterAll(() => server.close());

  it('a Postmark-style token as SMTP_USER and an unrelated DATABASE_URL never appear, even with --write off a terminal', async () => {
    const cwd = workDir('# the database\nDATABASE_URL=postgres://admin:hunter2@db.internal/app\nLOG_LEVEL=debug # \x1b]52;c;ZXZpbA==\x07 comment\n');
    const run = await runCli(
      [
        'init',
        '--provider',
        'other',
        '--host',
        'localhost',
        '--port',
        String(server.port),
        '--secure',
        '0',
        '--user',
        token,
        '--from',
        'app@example.com',
        '--to',
        'you@example.com',
        '--password-stdin',
        '--write',
        '--ca-file',
        caFile,
      ],
      { cwd, env: {}, stdin: token },
    );
    expect(run.code).toBe(ExitCode.ok);
    const shown = run.stdout + run.stderr;
    expect(shown).not.toContain(token);
    expect(shown).not.toContain('hunter2');
    expect(shown).not.toMatch(escapeCharacters);
    // The file itself keeps every other line exactly.
    const written = readFileSync(join(cwd, '.env'), 'utf8');
    expect(written).toContain('DATABASE_URL=postgres://admin:hunter2@db.internal/app\n');
    expect(written).toContain(`SMTP_USER=${token}`);
  });
});

describe('no server and no .env value can write a CI workflow command or a terminal escape', () => {
  let server: HostileServer;
  beforeAll(async () => {
    // Implicit TLS, so mailcheck logs in; the RCPT answer is a multi-line reply full of commands.
    server = await startHostileServer(
      (socket) => {
        socket.write('220 localhost ESMTP\r\n');
        onCommands(socket, (line) => {
          const verb = line.split(/[ :]/)[0]!.toUpperCase();
          if (verb === 'EHLO') socket.write('250-localhost\r\n250 AUTH PLAIN LOGIN\r\n');
          else if (verb === 'AUTH') socket.write('235 2.7.0 ok\r\n');
          else if (verb === 'MAIL') socket.write('250 ok\r\n');
          else if (verb === 'RCPT')
            socket.write(
              '550-::stop-commands::pwned\r\n550-  ::error file=evil.js,line=1::injected\r\n550-##[error]old style\r\n550 \x1b]0;title\x07\x1bc 5.1.1 no\r\n',
            );
          else if (verb === 'QUIT') socket.end('221 bye\r\n');
          else socket.write('250 ok\r\n');
        });
      },
      { tls: true },
    );
  });
  afterAll(() => server.close());

  for (const json of [false, true]) {
    it(`doctor${json ? ' --json' : ''} under GitHub Actions: only mailcheck's own annotations are commands`, async () => {
      const summary = join(dir, `summary-inject-${json}.md`);
      writeFileSync(summary, '');
      const env: Record<string, string> = { ...smtpEnv(server, { SMTP_SECURE: '1' }), GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary };
      // These two come from the .env file below.
      delete env.SMTP_SENDER;
      delete env.SMTP_USER;
      // A .env value with an embedded line end, an OSC 52 clipboard write and a terminal reset.
      const cwd = workDir(`SMTP_SENDER="App\\n::error::from the env file <app@example.com>"\nSMTP_USER="mailer\x1b]52;c;ZXZpbA==\x07\x1bc"\n`);
      const run = await runCli(['doctor', '--ca-file', caFile, ...(json ? ['--json'] : [])], { cwd, env });
      expect(run.code).toBe(ExitCode.envelope);
      expect(foreignCommands(run)).toEqual([]);
      // The annotation for the failure is still there: the server could not stop commands.
      expect(run[json ? 'stderr' : 'stdout']).toMatch(/^::error title=mailcheck doctor%3A recipient\.rejected::/m);
      for (const text of [run.stdout, run.stderr, readFileSync(summary, 'utf8')]) expect(text).not.toMatch(escapeCharacters);
      if (json) expect(() => JSON.parse(run.stdout)).not.toThrow();
    });
  }

  it('--to with escape sequences is refused before the network, and quoted safely', async () => {
    const run = await runCli(['test', '--to', 'x\x1b]52;c;ZXZpbA==\x07@example.com', '--ca-file', caFile], {
      cwd: workDir(),
      env: smtpEnv(server, { SMTP_SECURE: '1' }),
    });
    expect(run.code).toBe(ExitCode.usage);
    expect(run.stderr).toContain('is not an email address');
    expect(run.stdout + run.stderr).not.toMatch(escapeCharacters);
  });
});

describe('the --to address is checked in every command before the network', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ user: 'mailer', password });
  });
  afterAll(() => server.close());

  for (const to of ['notanaddress', '']) {
    it(`test --to ${JSON.stringify(to)}: exit 2, nothing sent`, async () => {
      const run = await runCli(['test', '--to', to, '--ca-file', caFile], { cwd: workDir(), env: smtpEnv(server) });
      expect(run.code).toBe(ExitCode.usage);
      expect(server.log.commands).toEqual([]);
    });
  }

  it('SMTP_HOST=. fails lint (exit 3) instead of passing without any network step', async () => {
    const run = await runCli(['doctor', '--json'], { cwd: workDir(), env: smtpEnv(server, { SMTP_HOST: '.' }) });
    expect(run.code).toBe(ExitCode.config);
    const report = JSON.parse(run.stdout) as { lint: { id: string; status: string }[] };
    expect(report.lint).toContainEqual(expect.objectContaining({ id: 'smtp.host.invalid', status: 'fail' }));
  });
});

describe('hostile HTTP answers from the Resend endpoint', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      const path = req.url ?? '';
      if (path.startsWith('/huge')) {
        // 300 MB, produced as it is read: mailcheck must stop reading long before.
        res.writeHead(200, { 'content-type': 'application/json' });
        let sent = 0;
        const chunk = Buffer.alloc(64 * 1024, 'a');
        const pump = () => {
          while (sent < 300 * 1024 * 1024) {
            sent += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        res.write('{"data":["');
        pump();
        res.on('close', () => (sent = Infinity));
      } else if (path.startsWith('/deep')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(`${'['.repeat(100_000)}${']'.repeat(100_000)}`);
      } else if (path.startsWith('/html403')) {
        res.writeHead(403, { 'content-type': 'text/html' });
        res.end('<html><body>Access denied by the corporate proxy</body></html>');
      } else if (path.startsWith('/loop')) {
        res.writeHead(302, { location: path });
        res.end();
      } else if (path.startsWith('/nostatus')) {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ name: 'validation_error', message: 'The `from` field is invalid.' }));
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const cases: { path: string; exit: number; id: string }[] = [
    { path: '/huge', exit: ExitCode.protocol, id: 'resend.bad-response' },
    { path: '/deep', exit: ExitCode.protocol, id: 'resend.bad-response' },
    { path: '/html403', exit: ExitCode.protocol, id: 'resend.bad-response' },
    { path: '/loop', exit: ExitCode.protocol, id: 'resend.bad-response' },
    { path: '/nostatus', exit: ExitCode.envelope, id: 'resend.from.invalid' },
  ];
  for (const c of cases) {
    it(`${c.path}: exit ${c.exit} (${c.id}), one JSON document, in bounded time`, async () => {
      const run = await runCli(['doctor', '--json', '--timeout', '5s'], {
        cwd: workDir(),
        env: { RESEND_API_KEY: apiKey, RESEND_SENDER_EMAIL: 'app@example.com', RESEND_BASE_URL: `${url}${c.path}` },
      });
      expect(run.stderr).not.toMatch(stackTrace);
      const report = JSON.parse(run.stdout) as { diagnoses: { id: string }[]; result: { exitCode: number } };
      expect(report.diagnoses.map((d) => d.id)).toContain(c.id);
      expect(run.code).toBe(c.exit);
      expect(report.result.exitCode).toBe(c.exit);
      expect(run.ms).toBeLessThan(8000);
    });
  }
});

describe('bounded input and broken output', () => {
  it.each(['/dev/zero', '/dev/urandom'])('--env-file %s: exit 3 at once, with a JSON document', async (path) => {
    const run = await runCli(['doctor', '--json', '--env-file', path], { cwd: workDir(), env: {}, endNodeOptions: true });
    expect(run.code).toBe(ExitCode.config);
    expect(JSON.parse(run.stdout)).toMatchObject({
      schemaVersion: 1,
      result: { exitCode: ExitCode.config, failureClass: 'config' },
      error: { message: expect.stringContaining('not a regular file') },
    });
  });

  it('probe --ports with more ports than a probe tries (each costs six sockets): exit 2, nothing opened', async () => {
    const ports = Array.from({ length: 40 }, (_, i) => 20000 + i).join(',');
    const run = await runCli(['probe', '127.0.0.1', '--ports', ports, '--json'], { cwd: workDir(), env: {} });
    expect(run.code).toBe(ExitCode.usage);
    expect(JSON.parse(run.stdout)).toMatchObject({
      command: 'probe',
      result: { exitCode: ExitCode.usage },
      error: { message: expect.stringContaining('at most 32') },
    });
  });

  it('--env-file /dev/null still means "no file": read as empty', async () => {
    const run = await runCli(['doctor', '--json', '--env-file', '/dev/null'], { cwd: workDir(), env: {}, endNodeOptions: true });
    expect(run.code).toBe(ExitCode.config);
    expect(JSON.parse(run.stdout)).toMatchObject({ provider: { kind: 'none' }, lint: [expect.objectContaining({ id: 'provider.none' })] });
  });

  it('--report onto a FIFO nobody reads: the verdict stands and the run ends', async () => {
    const cwd = workDir();
    const fifo = join(cwd, 'report.fifo');
    execFileSync('mkfifo', [fifo]);
    const run = await runCli(['doctor', '--report', fifo], { cwd, env: {} });
    expect(run.code).toBe(ExitCode.config);
    expect(run.stderr).toContain('could not write the report');
  });

  it('a line end in a flag value cannot forge a line of output', async () => {
    const cwd = workDir();
    const run = await runCli(['doctor', '--dotenv', 'evil\nforged line'], { cwd, env: {} });
    expect(run.code).toBe(ExitCode.config);
    expect((run.stdout + run.stderr).split('\n').some((line) => line.startsWith('forged line'))).toBe(false);
  });

  it('--env-file on a FIFO nobody writes to does not block', async () => {
    const fifo = join(workDir(), 'fifo.env');
    execFileSync('mkfifo', [fifo]);
    const run = await runCli(['doctor', '--env-file', fifo], { cwd: dir, env: {}, endNodeOptions: true });
    expect(run.code).toBe(ExitCode.config);
    expect(run.stderr).toContain('not a regular file');
  });

  it('doctor > /dev/full ends with the verdict as exit code and no stack trace', async () => {
    const full = openSync('/dev/full', 'w');
    try {
      const child = spawn(process.execPath, [binPath, 'doctor'], { cwd: workDir(), env: { PATH: process.env.PATH }, stdio: ['ignore', full, 'pipe'] });
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      // Nothing configured: email disabled is a configuration failure.
      expect(code).toBe(ExitCode.config);
      expect(stderr).not.toMatch(stackTrace);
    } finally {
      closeSync(full);
    }
  });

  it('doctor | head -1 keeps the failing verdict as the exit code', async () => {
    const server = await startTestServer({ user: 'mailer', password, rejectRcpt: { code: 550, message: '5.1.1 no such user' } });
    try {
      const child = spawn(process.execPath, [binPath, 'doctor', '--ca-file', caFile], {
        cwd: workDir(),
        env: { PATH: process.env.PATH, ...smtpEnv(server) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      // The reader takes the first chunk and leaves, as `head -1` does.
      child.stdout!.once('data', () => child.stdout!.destroy());
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(code).toBe(ExitCode.envelope);
    } finally {
      await server.close();
    }
  });
});

describe('init writes only regular files, and says where a symlink led', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ user: 'mailer', password });
  });
  afterAll(() => server.close());

  const initArgs = (port: number, envFile: string) => [
    'init',
    '--provider',
    'other',
    '--host',
    'localhost',
    '--port',
    String(port),
    '--secure',
    '0',
    '--user',
    'mailer',
    '--from',
    'app@example.com',
    '--to',
    'you@example.com',
    '--password-stdin',
    '--write',
    '--ca-file',
    caFile,
    '--env-file',
    envFile,
  ];

  it('onto a FIFO: refused with exit 3, and the FIFO stays a FIFO', async () => {
    const cwd = workDir();
    const fifo = join(cwd, 'fifo.env');
    execFileSync('mkfifo', [fifo]);
    const run = await runCli(initArgs(server.port, fifo), { cwd, env: {}, stdin: password, endNodeOptions: true });
    expect(run.code).toBe(ExitCode.config);
    expect(run.stderr).toMatch(/not a regular file/);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });

  it('through a symlink: the target is written and backed up beside it, and the output names both', async () => {
    const cwd = workDir();
    const target = join(cwd, 'shared.env');
    writeFileSync(target, 'SMTP_HOST=old.example.com\n');
    const link = join(cwd, 'app.env');
    symlinkSync(target, link);
    const run = await runCli(initArgs(server.port, link), { cwd, env: {}, stdin: password, endNodeOptions: true });
    expect(run.code).toBe(ExitCode.ok);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(target);
    expect(readFileSync(target, 'utf8')).toContain('SMTP_HOST=localhost');
    expect(run.stderr).toContain(`Wrote ${target} (${link} is a symlink to it, and stays one)`);
    const backup = /the previous version is in (\S+?)\)/.exec(run.stderr)?.[1];
    expect(backup).toBe(`${target}.bak`);
    expect(existsSync(backup!)).toBe(true);
    expect(statSync(backup!).isFile()).toBe(true);
  });
});

describe('--json prints exactly one document on every exit', () => {
  it('a usage error (exit 2)', async () => {
    const run = await runCli(['doctor', '--json', '--bogus'], { cwd: workDir(), env: {} });
    expect(run.code).toBe(ExitCode.usage);
    expect(JSON.parse(run.stdout)).toMatchObject({
      schemaVersion: 1,
      command: 'doctor',
      provider: { kind: 'unknown' },
      result: { ok: false, exitCode: 2, failureClass: 'usage' },
    });
  });

  it('a configuration error raised before the report (a bad RESEND_BASE_URL, exit 3)', async () => {
    const run = await runCli(['doctor', '--json'], {
      cwd: workDir(),
      env: { RESEND_API_KEY: apiKey, RESEND_SENDER_EMAIL: 'app@example.com', RESEND_BASE_URL: 'ftp://x' },
    });
    expect(run.code).toBe(ExitCode.config);
    expect(JSON.parse(run.stdout)).toMatchObject({
      result: { exitCode: 3, failureClass: 'config' },
      error: { message: expect.stringContaining('RESEND_BASE_URL') },
    });
  });

  it('Ctrl-C during a silent server (exit 130)', async () => {
    const silent = await startHostileServer(() => {});
    try {
      const child = spawn(process.execPath, [binPath, 'doctor', '--json', '--timeout', '20s'], {
        cwd: workDir(),
        env: { PATH: process.env.PATH, ...smtpEnv(silent) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      setTimeout(() => child.kill('SIGINT'), 700);
      const run = await collect(child);
      expect(run.code).toBe(ExitCode.interrupted);
      expect(JSON.parse(run.stdout)).toMatchObject({ schemaVersion: 1, result: { exitCode: 130, failureClass: 'interrupted' } });
    } finally {
      await silent.close();
    }
  });
});
