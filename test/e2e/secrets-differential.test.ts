import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/exit-codes.js';
import { redactedMarker } from '../../src/safety/secrets.js';
import { localhostCert } from '../fixtures/certs.js';
import { runCli, stackTrace } from '../fixtures/cli.js';

/**
 * A differential property: a run's output may depend on the password's length (the mask shows
 * it) but on nothing else. Each secret runs against the same hostile server as a "twin" of the
 * same length made of other characters; after timings are normalised, stdout, stderr and the
 * step summary must be byte for byte the same. That one comparison covers every encoding of a
 * leak (raw, base64, hex, split across lines...), every oracle (output that marks which of a
 * server's words is the password) and every corruption of mailcheck's own words by a short or
 * common secret, for secrets from one character up.
 *
 * The server is as hostile as a server can be: its greeting (before any AUTH, and so from a party
 * that was never given the password) lists every candidate password of this file, and after the
 * login it echoes the password in several encodings.
 */

const user = 'mailer';
/** Short, common, JSON syntax, the username itself, and mailcheck's own words and marks. */
const secrets = [
  'a',
  'e',
  '1',
  '0',
  ':',
  '"',
  '\\',
  '{',
  ' x',
  'ab',
  'smtp',
  'true',
  'null',
  'mail',
  'exit',
  'chars',
  'secret',
  user,
  'AUTH',
  '250',
  'password',
  'localhost',
  'redacted',
  redactedMarker,
  '…(8 chars)',
  'provider',
  'correct-horse-battery',
  'Qv7#zL9 x&K2"w\\Rm',
];

/**
 * Same length, other characters: none of them special to JSON, Markdown, SMTP or mailcheck.
 * Spaces stay where they are: lint rightly warns about spaces around a password.
 */
function twinOf(secret: string): string {
  const alphabet = 'QZXJKWV';
  return [...secret].map((c, i) => (/\s/.test(c) ? c : alphabet[i % alphabet.length])).join('');
}

/** Random-looking secrets, which no honest output contains: for these, also look for the secret itself. */
const distinctive = new Set(['correct-horse-battery', 'Qv7#zL9 x&K2"w\\Rm']);

let server: SMTPServer;
let port: number;
let ca: string;
let dir: string;

beforeAll(async () => {
  const cert = await localhostCert();
  ca = cert.cert;
  dir = mkdtempSync(join(tmpdir(), 'mailcheck-diff-'));
  writeFileSync(join(dir, 'ca.pem'), ca);
  const candidates = [...secrets, ...secrets.map(twinOf)].map((s) => s.replace(/\s/g, '_')).join(' ');
  server = new SMTPServer({
    name: 'localhost',
    banner: `hostile greeting, candidates: ${candidates}`,
    key: cert.key,
    cert: cert.cert,
    // CRAM-MD5 for --auth-method: it sends an HMAC of the password, never the password itself.
    authMethods: ['PLAIN', 'LOGIN', 'CRAM-MD5'],
    onAuth(auth, session, callback) {
      // Kept on the connection's session for the echo at RCPT (runs overlap, so nothing global).
      (session as unknown as { password: string }).password = auth.password ?? '';
      if (auth.username === 'reject') {
        const error = Object.assign(new Error(`5.7.8 ${auth.password} rejected for ${auth.username}`), { responseCode: 535 });
        return callback(error);
      }
      return callback(null, { user: auth.username });
    },
    onRcptTo(_address, session, callback) {
      // After the login: echo the password as raw text, base64, hex, URL- and JSON-escaped. (A reply
      // split over lines is a unit test of the Scrubber: smtp-server joins an error's lines.)
      const password = (session as unknown as { password?: string }).password ?? '';
      const echo = `5.1.1 you said ${password} (base64 ${Buffer.from(password).toString('base64')}, hex ${Buffer.from(password).toString('hex')}) url ${encodeURIComponent(password)} json ${JSON.stringify(password)} end`;
      callback(Object.assign(new Error(echo), { responseCode: 550 }));
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

type Run = { code: number | null; stdout: string; stderr: string; summary: string };

async function run(password: string, args: string[], options: { userIsPassword?: boolean; reject?: boolean; github?: boolean } = {}): Promise<Run> {
  const summaryPath = join(dir, `summary-${Math.random().toString(36).slice(2)}.md`);
  writeFileSync(summaryPath, '');
  const login = options.reject ? 'reject' : options.userIsPassword ? password : user;
  const result = await runCli([...args, '--ca-file', join(dir, 'ca.pem'), '--password-stdin'], {
    cwd: dir,
    stdin: password,
    env: {
      SMTP_HOST: 'localhost',
      SMTP_PORT: String(port),
      SMTP_USER: login,
      SMTP_SENDER: 'App <app@example.com>',
      SMTP_SECURE: '0',
      // --password-stdin sets the password; the block needs a value to count as set.
      SMTP_PASSWORD: 'placeholder-overridden-by-stdin',
      ...(options.github ? { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summaryPath } : {}),
    },
  });
  const summary = readFileSync(summaryPath, 'utf8');
  rmSync(summaryPath, { force: true });
  return { code: result.code, stdout: result.stdout, stderr: result.stderr, summary };
}

/** Times and sizes that differ between any two runs; nothing the password decides. */
function normalise(text: string): string {
  return (
    text
      .replace(/ *\b\d+ ms\b/g, ' N ms')
      .replace(/"(at|ms|totalMs)": \d+/g, '"$1": N')
      .replace(/\| \d+ ms \|/g, '| N ms |')
      // CRAM-MD5's challenge is new in every session (a nonce and the time), whatever the password.
      .replace(/334 [A-Za-z0-9+/]{24,}=*/g, '334 CHALLENGE')
  );
}

const scenarios: { name: string; args: string[]; options: { userIsPassword?: boolean; reject?: boolean; github?: boolean }; exit: number }[] = [
  { name: 'doctor, human, RCPT echoes the password', args: ['doctor'], options: {}, exit: ExitCode.envelope },
  { name: 'doctor --json under GitHub Actions', args: ['doctor', '--json'], options: { github: true }, exit: ExitCode.envelope },
  {
    name: 'test under GitHub Actions, user = password',
    args: ['test', '--to', 'you@example.com'],
    options: { github: true, userIsPassword: true },
    exit: ExitCode.envelope,
  },
  { name: 'test --json, AUTH rejected with an echo', args: ['test', '--json', '--to', 'you@example.com'], options: { reject: true }, exit: ExitCode.auth },
  // LOGIN sends the username and the password base64-encoded, each on its own line.
  { name: 'doctor --auth-method LOGIN, RCPT echoes the password', args: ['doctor', '--auth-method', 'LOGIN'], options: {}, exit: ExitCode.envelope },
  {
    name: 'test --json --auth-method CRAM-MD5',
    args: ['test', '--json', '--auth-method', 'CRAM-MD5', '--to', 'you@example.com'],
    options: {},
    exit: ExitCode.envelope,
  },
];

describe('output depends on the password only through its length', () => {
  for (const scenario of scenarios) {
    describe(scenario.name, () => {
      // The username as password is the scenario with SMTP_USER = password: a twin must keep that relation.
      const cases = secrets.filter((secret) => secret !== user || scenario.options.userIsPassword || scenario.options.reject);
      it.each(cases.map((secret) => [JSON.stringify(secret), secret]))('secret %s', async (_label, secret) => {
        const [mine, twin] = await Promise.all([run(secret, scenario.args, scenario.options), run(twinOf(secret), scenario.args, scenario.options)]);
        expect(mine.code).toBe(scenario.exit);
        expect(twin.code).toBe(scenario.exit);
        for (const stream of ['stdout', 'stderr', 'summary'] as const) {
          expect(normalise(mine[stream]), stream).toBe(normalise(twin[stream]));
        }
        expect(mine.stderr).not.toMatch(stackTrace);
        if (scenario.args.includes('--json')) {
          const report = JSON.parse(mine.stdout) as { schemaVersion: number; result: { exitCode: number }; config: { variable: string; value: string }[] };
          expect(report.schemaVersion).toBe(1);
          expect(report.result.exitCode).toBe(scenario.exit);
          expect(report.config.find((c) => c.variable === 'SMTP_PASSWORD')?.value).toBe(`…(${[...secret].length} chars)`);
        }
        // mailcheck's own words survive any secret: the verdict line, the provider line.
        if (!scenario.args.includes('--json')) expect(mine.stdout).toContain('provider: smtp (the SMTP variables are set)');
        // A distinctive secret is scrubbed from what the server said after login, so it appears
        // nowhere but in the greeting's list of candidates (from a party never given it: left as it was).
        if (distinctive.has(secret)) {
          for (const form of [secret, Buffer.from(secret).toString('base64'), Buffer.from(secret).toString('hex'), encodeURIComponent(secret)]) {
            for (const stream of ['stdout', 'stderr', 'summary'] as const) {
              const text = mine[stream]
                .split('\n')
                .filter((line) => !line.includes('hostile greeting'))
                .join('\n');
              expect(text, `${stream} holds ${form}`).not.toContain(form);
            }
          }
        }
      });
    });
  }
});
