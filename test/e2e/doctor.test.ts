import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/exit-codes.js';
import { localhostCert } from '../fixtures/certs.js';
import { withoutRealDns } from '../fixtures/cli.js';
import { defaultUser, startTestServer, type TestServer, type TestServerOptions } from '../fixtures/smtp-server.js';

/**
 * `mailcheck doctor` as a user runs it: the built binary, a temporary working directory with its
 * own .env, an explicit clean environment, and a real SMTP server on loopback. The server's
 * certificate is trusted the way a user would trust a private CA: NODE_EXTRA_CA_CERTS.
 */

const bin = fileURLToPath(new URL('../../bin/mailcheck.cjs', import.meta.url));
const password = 'Kx4-e2e-doctor-Pw';
/** The password as printed, as base64 (alone and inside AUTH PLAIN): none may appear anywhere. */
const secretForms = (secret: string) => [
  secret,
  Buffer.from(secret).toString('base64').slice(0, 12),
  Buffer.from(`\u0000${defaultUser}\u0000${secret}`).toString('base64'),
];

let root: string;
let caFile: string;
beforeAll(async () => {
  if (!existsSync(fileURLToPath(new URL('../../dist/cli.js', import.meta.url)))) throw new Error('build first: npm run build (npm test does it)');
  root = mkdtempSync(join(tmpdir(), 'mailcheck-doctor-e2e-'));
  caFile = join(root, 'ca.pem');
  writeFileSync(caFile, (await localhostCert()).cert);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
async function server(options: TestServerOptions = {}): Promise<TestServer> {
  const s = await startTestServer({ password, ...options });
  servers.push(s);
  return s;
}

type Vars = Record<string, string | undefined>;
const dotenvFor = (port: number, over: Vars = {}): Vars => ({
  SMTP_HOST: '127.0.0.1',
  SMTP_PORT: String(port),
  SMTP_USER: defaultUser,
  SMTP_PASSWORD: password,
  SMTP_SENDER: 'Example App <app@example.com>',
  SMTP_SECURE: '0',
  ...over,
});

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  cwd: string;
  /** The GitHub step summary written during the run, if one was asked for. */
  summary?: string;
}

let runCount = 0;
/** Spawns the binary in a fresh directory holding `.env`; checks every run's output for the password. */
async function mailcheck(args: string[], o: { dotenv?: Vars; env?: Record<string, string>; stdin?: string; summary?: boolean } = {}): Promise<CliRun> {
  const cwd = join(root, `run-${++runCount}`);
  mkdirSync(cwd);
  if (o.dotenv) {
    const lines = Object.entries(o.dotenv)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`);
    writeFileSync(join(cwd, '.env'), `${lines.join('\n')}\n`);
  }
  const summaryFile = join(cwd, 'step-summary.md');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: cwd,
    NODE_EXTRA_CA_CERTS: caFile,
    ...(o.summary ? { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summaryFile } : {}),
    ...o.env,
  };
  const child = spawn(process.execPath, [bin, ...withoutRealDns(args)], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.end(o.stdin ?? '');
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const code = await new Promise<number | null>((done) => child.on('close', (c) => done(c)));
  clearTimeout(killer);
  const run: CliRun = { code, stdout, stderr, cwd };
  if (o.summary && existsSync(summaryFile)) run.summary = readFileSync(summaryFile, 'utf8');
  // Whichever password this run used (the right one, a wrong one, one from stdin).
  const secrets = [password, o.dotenv?.SMTP_PASSWORD, o.stdin?.trim()].filter((p): p is string => p !== undefined && p.length >= 8);
  for (const text of [stdout, stderr, run.summary ?? '']) {
    for (const form of secrets.flatMap(secretForms)) expect(text, 'the password, in any form, never appears in any output').not.toContain(form);
  }
  return run;
}

/** Terminal control: escape sequences, carriage returns (spinner redraws), braille spinner frames. */
function expectPlain(text: string): void {
  expect(text).not.toMatch(/\x1b/);
  expect(text).not.toMatch(/\r/);
  expect(text).not.toMatch(/[\u2800-\u28ff]/);
}

// --- the documented JSON shape (README, "JSON output") ----------------------------------------

type Shape =
  | 'string'
  | 'number'
  | 'boolean'
  | { enum: readonly (string | number)[] }
  | { array: Shape }
  /** Keys ending in `?` are optional; any key not listed is an error (undocumented). */
  | { object: Record<string, Shape> };

const failureClasses = [
  'internal',
  'usage',
  'config',
  'network',
  'tls',
  'auth',
  'envelope',
  'message',
  'temporary',
  'protocol',
  'warnings',
  'interrupted',
] as const;

const reportShape: Shape = {
  object: {
    schemaVersion: { enum: [1] },
    command: { enum: ['doctor'] },
    versions: { object: { mailcheck: 'string', node: 'string', os: 'string' } },
    provider: { object: { kind: { enum: ['smtp', 'resend', 'none'] }, reason: 'string' } },
    config: { array: { object: { variable: 'string', value: 'string', source: 'string' } } },
    files: { object: { read: { array: 'string' }, candidates: { array: 'string' } } },
    lint: {
      array: {
        object: {
          id: 'string',
          status: { enum: ['pass', 'warn', 'fail'] },
          'variable?': 'string',
          'source?': {
            object: { kind: { enum: ['file', 'env', 'flag', 'stdin', 'sandbox', 'default'] }, 'path?': 'string', 'line?': 'number', 'flag?': 'string' },
          },
          message: 'string',
          'fix?': 'string',
        },
      },
    },
    checks: { array: { object: { id: 'string', status: { enum: ['pass', 'warn', 'fail', 'skip'] }, title: 'string', 'detail?': 'string', 'ms?': 'number' } } },
    transcript: { array: { object: { at: 'number', dir: { enum: ['client', 'server', 'info'] }, text: 'string', encrypted: 'boolean' } } },
    'tls?': {
      object: {
        protocol: 'string',
        cipher: 'string',
        authorized: 'boolean',
        'authorizationError?': 'string',
        'subject?': 'string',
        'issuer?': 'string',
        'validTo?': 'string',
        'altNames?': 'string',
        'fingerprint256?': 'string',
      },
    },
    'auth?': { object: { advertised: 'boolean', performed: 'boolean', mechanisms: { array: 'string' } } },
    diagnoses: {
      array: {
        object: {
          id: 'string',
          class: { enum: failureClasses },
          summary: 'string',
          causes: { array: 'string' },
          fixes: { array: 'string' },
          'serverSaid?': 'string',
        },
      },
    },
    timings: { object: { totalMs: 'number', stages: { array: { object: { stage: 'string', ms: 'number' } } } } },
    'message?': { object: { 'id?': 'string', 'serverReply?': 'string' } },
    result: { object: { ok: 'boolean', exitCode: 'number', 'failureClass?': { enum: failureClasses } } },
  },
};

/** Every mismatch between a value and a shape, as "path: problem". */
function shapeErrors(value: unknown, shape: Shape, path = '$'): string[] {
  if (shape === 'string' || shape === 'number' || shape === 'boolean') {
    return typeof value === shape ? [] : [`${path}: expected ${shape}, got ${JSON.stringify(value)}`];
  }
  if ('enum' in shape) return shape.enum.includes(value as string) ? [] : [`${path}: ${JSON.stringify(value)} is not one of ${shape.enum.join('|')}`];
  if ('array' in shape) {
    if (!Array.isArray(value)) return [`${path}: expected an array`];
    return value.flatMap((item, i) => shapeErrors(item, shape.array, `${path}[${i}]`));
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${path}: expected an object`];
  const record = value as Record<string, unknown>;
  const errors: string[] = [];
  const known = new Set<string>();
  for (const [rawKey, sub] of Object.entries(shape.object)) {
    const optional = rawKey.endsWith('?');
    const key = optional ? rawKey.slice(0, -1) : rawKey;
    known.add(key);
    if (!(key in record)) {
      if (!optional) errors.push(`${path}.${key}: missing`);
      continue;
    }
    errors.push(...shapeErrors(record[key], sub, `${path}.${key}`));
  }
  for (const key of Object.keys(record)) if (!known.has(key)) errors.push(`${path}.${key}: not documented`);
  return errors;
}

/** stdout must be exactly one JSON document matching the documented shape. */
function parseReport(run: CliRun): Record<string, any> {
  const doc = JSON.parse(run.stdout);
  expect(shapeErrors(doc, reportShape)).toEqual([]);
  expect(doc.result.exitCode).toBe(run.code);
  return doc;
}

describe('mailcheck doctor (built binary)', () => {
  it('--json against a correct configuration: exit 0, one valid document, the server received no message', async () => {
    const s = await server();
    const run = await mailcheck(['doctor', '--json'], { dotenv: dotenvFor(s.port) });
    expect(run.code).toBe(0);
    const doc = parseReport(run);
    expect(doc.provider.kind).toBe('smtp');
    expect(doc.result).toEqual({ ok: true, exitCode: 0 });
    expect(doc.auth).toEqual({ advertised: true, performed: true, mechanisms: ['PLAIN', 'LOGIN'] });
    expect(doc.tls.authorized).toBe(true);
    expect(doc.checks.find((c: { id: string }) => c.id === 'smtp.message').status).toBe('skip');
    expect(doc.config.find((e: { variable: string }) => e.variable === 'SMTP_PASSWORD')).toEqual({
      variable: 'SMTP_PASSWORD',
      value: `…(${password.length} chars)`,
      source: '.env line 4',
    });
    expect(doc.lint.find((f: { id: string }) => f.id === 'smtp.port-secure').status).toBe('pass');
    expect(doc.transcript.some((l: { text: string }) => l.text === 'RCPT TO:<app@example.com>')).toBe(true);
    expect(doc.message).toBeUndefined();
    expect(s.log.commands).toContain('RCPT');
    expect(s.log.commands).not.toContain('DATA');
    expect(s.log.messages).toHaveLength(0);
    expectPlain(run.stdout);
    expect(run.stderr).toBe('');
  });

  it.each([
    ['piped, no CI', {}],
    ['CI=true', { CI: 'true' }],
  ])('human output when %s: plain text, no escape codes, no spinner frames', async (_name, env) => {
    const s = await server();
    const run = await mailcheck(['doctor'], { dotenv: dotenvFor(s.port), env });
    expect(run.code).toBe(0);
    expectPlain(run.stdout);
    expectPlain(run.stderr);
    expect(run.stdout).toMatch(/stopping before DATA: nothing is sent/);
    expect(run.stdout).toMatch(/~> MAIL FROM:<app@example\.com>/);
    expect(run.stdout).toMatch(/all checks passed \(exit 0\)\n$/);
    expect(s.log.commands).not.toContain('DATA');
  });

  it('--send sends exactly one message, to the sender unless --to says otherwise', async () => {
    const s = await server();
    const run = await mailcheck(['doctor', '--send', '--to', 'qa@example.org', '--json'], { dotenv: dotenvFor(s.port) });
    expect(run.code).toBe(0);
    const doc = parseReport(run);
    expect(doc.message.id).toMatch(/^<mailcheck\./);
    expect(doc.message.serverReply).toMatch(/^250/);
    expect(s.log.commands.filter((c) => c === 'DATA')).toHaveLength(1);
    expect(s.log.messages).toHaveLength(1);
    expect(s.log.messages[0]!.toString()).toMatch(/^To: qa@example\.org/m);
  });

  it('--password-stdin supplies the password without it being in .env', async () => {
    const s = await server();
    const run = await mailcheck(['doctor', '--password-stdin', '--json'], {
      dotenv: dotenvFor(s.port, { SMTP_PASSWORD: 'placeholder' }),
      stdin: `${password}\n`,
    });
    expect(run.code).toBe(0);
    expect(parseReport(run).config.find((e: { variable: string }) => e.variable === 'SMTP_PASSWORD').source).toBe('--password-stdin');
  });

  // Each misconfiguration: its rule fails, exit 3, and the server never sees a connection.
  it.each([
    ['port not a number', { SMTP_PORT: '58x' }, 'smtp.port.not-number'],
    ['port out of range', { SMTP_PORT: '99999' }, 'smtp.port.range'],
    ['SMTP_SECURE=true', { SMTP_SECURE: 'true' }, 'smtp.secure.invalid'],
    ['STARTTLS on port 465', { SMTP_PORT: '465', SMTP_SECURE: '0' }, 'smtp.port-secure.mismatch'],
    ['implicit TLS on port 587', { SMTP_PORT: '587', SMTP_SECURE: '1' }, 'smtp.port-secure.mismatch'],
    ['host with a scheme', { SMTP_HOST: 'smtps://127.0.0.1' }, 'smtp.host.scheme'],
    ['host with a port', { SMTP_HOST: '127.0.0.1:2525' }, 'smtp.host.port'],
    ['host with spaces', { SMTP_HOST: 'smtp. example.com' }, 'smtp.host.spaces'],
    ['Resend relay with an email username', { SMTP_HOST: 'smtp.resend.com', SMTP_USER: 'me@example.com', SMTP_PASSWORD: 're_abcdefghijkl' }, 'resend.user'],
    ['Resend relay with a non-key password', { SMTP_HOST: 'smtp.resend.com', SMTP_USER: 'resend' }, 'resend.password'],
    ['Resend relay on port 25', { SMTP_HOST: 'smtp.resend.com', SMTP_USER: 'resend', SMTP_PASSWORD: 're_abcdefghijkl', SMTP_PORT: '25' }, 'resend.port'],
    ['SendGrid with a username other than apikey', { SMTP_HOST: 'smtp.sendgrid.net', SMTP_USER: 'me' }, 'sendgrid.user'],
    ['sender with a bad address', { SMTP_SENDER: 'App <app@>' }, 'smtp.sender.syntax'],
    ['sender that is not an address', { SMTP_SENDER: 'Example App' }, 'smtp.sender.not-address'],
    ['half-set SMTP block', { SMTP_USER: undefined, SMTP_PASSWORD: undefined }, 'provider.smtp-half-set'],
  ] as [string, Vars, string][])('%s -> %s, exit 3, no connection', async (_name, over, ruleId) => {
    const s = await server();
    const run = await mailcheck(['doctor', '--json'], { dotenv: dotenvFor(s.port, over) });
    expect(run.code).toBe(ExitCode.config);
    const doc = parseReport(run);
    expect(doc.lint.find((f: { id: string }) => f.id === ruleId)?.status).toBe('fail');
    expect(doc.result).toEqual({ ok: false, exitCode: ExitCode.config, failureClass: 'config' });
    expect(doc.checks).toEqual([]);
    expect(doc.transcript).toEqual([]);
    expect(s.log.commands).toEqual([]);
  });

  it('no configuration at all: email disabled, exit 3', async () => {
    const run = await mailcheck(['doctor', '--json']);
    expect(run.code).toBe(ExitCode.config);
    const doc = parseReport(run);
    expect(doc.provider.kind).toBe('none');
    expect(doc.lint.map((f: { id: string }) => f.id)).toEqual(['provider.none']);
  });

  // Each failure class the network can produce, with the documented exit code.
  it.each([
    { name: 'wrong password', serverOptions: {}, over: { SMTP_PASSWORD: 'not-the-password' }, args: [], exitCode: ExitCode.auth, failureClass: 'auth' },
    {
      name: 'server refuses STARTTLS',
      serverOptions: { noStartTls: true, extra: { disabledCommands: ['STARTTLS'] } },
      over: {},
      args: [],
      exitCode: ExitCode.tls,
      failureClass: 'tls',
    },
    {
      name: 'recipient rejected',
      serverOptions: { rejectRcpt: { code: 550, message: 'No such user here' } },
      over: {},
      args: [],
      exitCode: ExitCode.envelope,
      failureClass: 'envelope',
    },
    {
      name: 'sender rejected',
      serverOptions: { rejectMail: { code: 550, message: 'Sender address not verified' } },
      over: {},
      args: [],
      exitCode: ExitCode.envelope,
      failureClass: 'envelope',
    },
    {
      name: 'temporary refusal',
      serverOptions: { rejectConnect: { code: 421, message: 'Too many connections, try later' } },
      over: {},
      args: [],
      exitCode: ExitCode.temporary,
      failureClass: 'temporary',
    },
    {
      name: 'message rejected after DATA (--send)',
      serverOptions: { rejectData: { code: 554, message: 'Rejected as spam' } },
      over: {},
      args: ['--send'],
      exitCode: ExitCode.message,
      failureClass: 'message',
    },
  ] as { name: string; serverOptions: TestServerOptions; over: Vars; args: string[]; exitCode: number; failureClass: string }[])(
    '$name -> exit $exitCode',
    async ({ serverOptions, over, args, exitCode, failureClass }) => {
      const s = await server(serverOptions);
      const run = await mailcheck(['doctor', '--json', ...args], { dotenv: dotenvFor(s.port, over) });
      expect(run.code).toBe(exitCode);
      const doc = parseReport(run);
      expect(doc.result).toEqual({ ok: false, exitCode, failureClass });
      expect(doc.diagnoses).toHaveLength(1);
      expect(doc.diagnoses[0].class).toBe(failureClass);
      expect(doc.diagnoses[0].fixes.length).toBeGreaterThan(0);
      if (!args.includes('--send')) expect(s.log.commands).not.toContain('DATA');
    },
  );

  it('connection refused -> exit 4', async () => {
    const s = await startTestServer();
    await s.close();
    const run = await mailcheck(['doctor', '--json'], { dotenv: dotenvFor(s.port) });
    expect(run.code).toBe(ExitCode.network);
    expect(parseReport(run).result.failureClass).toBe('network');
  });

  it.each([
    [['doctor', '--bogus'], /unknown option/],
    [['doctor', '--to', 'not-an-address'], /--to "not-an-address" is not an email address/],
    [['doctor', '--timeout', 'soon'], /--timeout/],
  ])('bad command line %j -> exit 2 with a message, no stack trace', async (args, message) => {
    const run = await mailcheck(args, { dotenv: dotenvFor(1) });
    expect(run.code).toBe(ExitCode.usage);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('warnings pass by default and fail with --strict (exit 11): a server without AUTH never checks the password', async () => {
    const s = await server({ noAuth: true });
    const dotenv = dotenvFor(s.port, { SMTP_PASSWORD: 'wrong-but-unchecked' });
    const lenient = await mailcheck(['doctor', '--json'], { dotenv });
    expect(lenient.code).toBe(0);
    const doc = parseReport(lenient);
    expect(doc.auth).toEqual({ advertised: false, performed: false, mechanisms: [] });
    expect(doc.checks.find((c: { id: string }) => c.id === 'smtp.auth')).toMatchObject({ status: 'warn', detail: expect.stringMatching(/not checked/) });

    const strict = await mailcheck(['doctor', '--json', '--strict'], { dotenv });
    expect(strict.code).toBe(ExitCode.warnings);
    expect(parseReport(strict).result).toEqual({ ok: false, exitCode: ExitCode.warnings, failureClass: 'warnings' });
    expect(s.log.logins).toEqual([]);
    expect(s.log.commands).not.toContain('DATA');
  });

  it('a lint warning alone (SMTP_SECURE unset) is exit 0, and 11 with --strict', async () => {
    const s = await server();
    const dotenv = dotenvFor(s.port, { SMTP_SECURE: undefined });
    expect((await mailcheck(['doctor'], { dotenv })).code).toBe(0);
    expect((await mailcheck(['doctor', '--strict'], { dotenv })).code).toBe(ExitCode.warnings);
  });

  describe('under GitHub Actions', () => {
    it('a failure: an escaped ::error annotation on stdout and a Markdown summary', async () => {
      const s = await server();
      const run = await mailcheck(['doctor'], { dotenv: dotenvFor(s.port, { SMTP_PASSWORD: 'not-the-password' }), summary: true });
      expect(run.code).toBe(ExitCode.auth);
      const commands = run.stdout.split('\n').filter((l) => l.startsWith('::'));
      expect(commands).toHaveLength(1);
      // Multi-line text travels as %0A inside one line; `:` in the title is encoded.
      expect(commands[0]).toMatch(/^::error title=mailcheck doctor%3A auth\.[\w.-]+::[^\n]+%0Afix: /);
      expectPlain(run.stdout);
      expect(run.summary).toMatch(/^## ❌ mailcheck doctor: authentication: login rejected/);
      expect(run.summary).toMatch(/\| ❌ \| authentication \|/);
      expect(run.summary).toMatch(/### Diagnosis: /);
      expect(run.summary).toMatch(/What to do:/);
    });

    it('a lint failure points the annotation at the .env line, with % in values escaped', async () => {
      const run = await mailcheck(['doctor'], { dotenv: dotenvFor(2525, { SMTP_PORT: '5%87', SMTP_SECURE: 'true' }), summary: true });
      expect(run.code).toBe(ExitCode.config);
      expect(run.stdout).toMatch(/^::error title=mailcheck doctor%3A smtp\.secure\.invalid,file=\.env,line=6::SMTP_SECURE="true" \(from \.env line 6\)/m);
      expect(run.stdout).toMatch(/^::error title=mailcheck doctor%3A smtp\.port\.not-number,file=\.env,line=2::SMTP_PORT="5%2587" \(from \.env line 2\)/m);
      expect(run.summary).toMatch(/### Configuration/);
      expect(run.summary).toMatch(/SMTP\\_SECURE="true"/);
    });

    it('--strict with only warnings: ::warning annotations plus an ::error saying why the run failed', async () => {
      const s = await server({ noAuth: true });
      const run = await mailcheck(['doctor', '--strict'], { dotenv: dotenvFor(s.port), summary: true });
      expect(run.code).toBe(ExitCode.warnings);
      expect(run.stdout).toMatch(/^::warning title=mailcheck doctor%3A smtp\.auth::authentication: the server did not advertise AUTH/m);
      expect(run.stdout).toMatch(/^::error title=mailcheck doctor%3A result::only warnings, and --strict was given \(exit 11\)$/m);
      expect(run.summary).toMatch(/\| ⚠️ \| authentication \|/);
    });

    it('with --json, stdout stays one JSON document and the annotations go to stderr', async () => {
      const s = await server();
      const run = await mailcheck(['doctor', '--json'], { dotenv: dotenvFor(s.port, { SMTP_PASSWORD: 'not-the-password' }), summary: true });
      expect(run.code).toBe(ExitCode.auth);
      parseReport(run);
      expect(run.stderr).toMatch(/^::error title=mailcheck doctor%3A auth\./m);
      expect(run.summary).toMatch(/^## ❌ mailcheck doctor/);
    });

    it('a passing run adds no annotation and a green summary', async () => {
      const s = await server();
      const run = await mailcheck(['doctor'], { dotenv: dotenvFor(s.port), summary: true });
      expect(run.code).toBe(0);
      expect(run.stdout).not.toMatch(/^::/m);
      expect(run.summary).toMatch(/^## ✅ mailcheck doctor: all checks passed \(exit 0\)/);
      expect(run.summary).toMatch(/\| ➖ \| message accepted \(DATA\) \|/);
    });
  });
});
