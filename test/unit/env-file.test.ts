import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnvFileError, readEnvFile } from '../../src/config/env-file.js';
import { loadConfig } from '../../src/config/load.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { toSmtpSettings } from '../../src/config/smtp-settings.js';
import { UserError } from '../../src/errors.js';
import { ExitCode } from '../../src/exit-codes.js';
import { TranscriptRecorder } from '../../src/report/transcript.js';
import { walkSmtp } from '../../src/smtp/walk.js';
import { localhostCert } from '../fixtures/certs.js';
import { startTestServer } from '../fixtures/smtp-server.js';

/**
 * .env files as people really write them: exported, quoted, commented, saved on Windows, edited
 * twice. mailcheck must read them exactly as dotenv (and so the app) does, and point at the line.
 */

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mailcheck-env-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileCount = 0;
function envFile(content: string | Buffer): string {
  const path = join(dir, `case-${++fileCount}.env`);
  writeFileSync(path, content);
  return path;
}

const lines = (...rows: string[]) => rows.join('\n') + '\n';

describe('reading a .env file', () => {
  it('strips a UTF-8 BOM, so the first key is still found (and on line 1)', () => {
    const file = readEnvFile(envFile(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('SMTP_HOST=smtp.example.com\n')])));
    expect(file.values.get('SMTP_HOST')).toEqual({ value: 'smtp.example.com', line: 1 });
    expect([...file.values.keys()]).toEqual(['SMTP_HOST']);
  });

  it('reads CRLF line ends without keeping the carriage return, and counts lines right', () => {
    const file = readEnvFile(envFile('SMTP_HOST=smtp.example.com\r\n\r\nSMTP_PORT=587\r\nSMTP_USER="me"\r\n'));
    expect(file.values.get('SMTP_HOST')).toEqual({ value: 'smtp.example.com', line: 1 });
    expect(file.values.get('SMTP_PORT')).toEqual({ value: '587', line: 3 });
    expect(file.values.get('SMTP_USER')).toEqual({ value: 'me', line: 4 });
  });

  it('accepts `export` prefixes (with spaces or tabs before them)', () => {
    const file = readEnvFile(envFile(lines('export SMTP_HOST=smtp.example.com', '\texport   SMTP_PORT=465')));
    expect(file.values.get('SMTP_HOST')).toEqual({ value: 'smtp.example.com', line: 1 });
    expect(file.values.get('SMTP_PORT')).toEqual({ value: '465', line: 2 });
  });

  it('takes quotes off, keeps what is inside them, and drops comments after values', () => {
    const file = readEnvFile(
      envFile(
        lines(
          '# the mail settings',
          'SMTP_PORT=587 # submission',
          'SMTP_SENDER="Example App <noreply@example.com>" # shown to recipients',
          "SMTP_USER='apikey'",
          'SMTP_HOST=`smtp.example.com`',
          'SMTP_PASSWORD="p#ss w=rd" # quoted, so the # is kept',
        ),
      ),
    );
    expect(file.values.get('SMTP_PORT')).toEqual({ value: '587', line: 2 });
    expect(file.values.get('SMTP_SENDER')).toEqual({ value: 'Example App <noreply@example.com>', line: 3 });
    expect(file.values.get('SMTP_USER')).toEqual({ value: 'apikey', line: 4 });
    expect(file.values.get('SMTP_HOST')).toEqual({ value: 'smtp.example.com', line: 5 });
    expect(file.values.get('SMTP_PASSWORD')).toEqual({ value: 'p#ss w=rd', line: 6 });
  });

  it('keeps empty values as empty (set, but counted as unset), and says where they are', () => {
    const path = envFile(lines('SMTP_HOST=smtp.example.com', 'SMTP_SECURE=', 'SMTP_USER=""'));
    const file = readEnvFile(path);
    expect(file.values.get('SMTP_SECURE')).toEqual({ value: '', line: 2 });
    expect(file.values.get('SMTP_USER')).toEqual({ value: '', line: 3 });
    const notes = resolveConfig({ envFiles: [path], env: {} }).notes.map((n) => n.message);
    expect(notes).toContain(`SMTP_SECURE is set but empty (from ${path} line 2); an empty value counts as unset`);
    expect(notes).toContain(`SMTP_USER is set but empty (from ${path} line 3); an empty value counts as unset`);
  });

  it('duplicate keys: the last one wins, its line is the one reported, and a note says so', () => {
    const path = envFile(lines('SMTP_PORT=587', 'SMTP_HOST=smtp.example.com', '', 'SMTP_PORT=2525', 'SMTP_PORT=465'));
    const file = readEnvFile(path);
    expect(file.values.get('SMTP_PORT')).toEqual({ value: '465', line: 5 });
    expect(file.duplicates.get('SMTP_PORT')).toEqual([1, 4, 5]);
    const config = resolveConfig({ envFiles: [path], env: {} });
    expect(config.settings.port).toEqual({ name: 'SMTP_PORT', value: '465', source: { kind: 'file', path, line: 5 } });
    expect(config.notes.map((n) => n.message)).toContain(`SMTP_PORT is set 3 times in ${path} (lines 1, 4, 5); the last one wins`);
  });

  it('a # glued to an unquoted value is read as a comment, as the app reads it: a note names the line, never the value', () => {
    const path = envFile(lines('SMTP_HOST=smtp.example.com', 'SMTP_PASSWORD=hunter2#rest-of-it', 'SMTP_PORT=587 # a real comment'));
    expect(readEnvFile(path).values.get('SMTP_PASSWORD')).toEqual({ value: 'hunter2', line: 2, cutAtHash: true });
    const { notes } = resolveConfig({ envFiles: [path], env: {} });
    const hashNotes = notes.filter((n) => n.message.includes('#')).map((n) => `${n.message}; ${n.fix}`);
    expect(hashNotes).toHaveLength(1);
    expect(hashNotes[0]).toContain(`SMTP_PASSWORD (${path} line 2)`);
    expect(hashNotes[0]).toContain('single quotes');
    expect(hashNotes[0]).not.toContain('hunter2');
  });

  it('a file saved as Latin-1 gets a note: its non-ASCII characters would not reach the server as written', () => {
    const path = envFile(Buffer.concat([Buffer.from('SMTP_PASSWORD=p'), Buffer.from([0xe4]), Buffer.from('ss\n')]));
    const { notes } = resolveConfig({ envFiles: [path], env: {} });
    expect(notes.some((n) => n.message.startsWith(`SMTP_PASSWORD (${path} line 1) contains bytes that are not UTF-8`))).toBe(true);
  });

  it('a lint finding names the variable, its value and the file line it came from', () => {
    const path = envFile(lines('SMTP_HOST=smtp.example.com', 'SMTP_USER=me', 'SMTP_PORT=5g7', 'SMTP_PASSWORD=x', 'SMTP_SENDER=a@example.com'));
    const { lint } = loadConfig({ envFiles: [path], env: {} });
    const port = lint.find((f) => f.variable === 'SMTP_PORT' && f.status === 'fail');
    expect(port?.message.startsWith(`SMTP_PORT="5g7" (from ${path} line 3): `)).toBe(true);
    expect(port?.source).toEqual({ kind: 'file', path, line: 3 });
  });
});

describe('an env file that cannot be read', () => {
  it('missing: a configuration error (exit 3) naming the file', () => {
    const path = join(dir, 'does-not-exist.env');
    expect(() => readEnvFile(path)).toThrow(EnvFileError);
    try {
      loadConfig({ envFiles: [path], env: {} });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(UserError);
      expect((error as UserError).exitCode).toBe(ExitCode.config);
      expect((error as UserError).message).toBe(`cannot read the env file ${path}: no such file`);
    }
  });

  it('a directory: says so instead of EISDIR', () => {
    const path = join(dir, 'a-directory');
    mkdirSync(path);
    expect(() => readEnvFile(path)).toThrow(`cannot read ${path}: it is a directory, not a file`);
  });
});

describe('passwords reach the server byte for byte', () => {
  // Each password, and how a person would have to write it in .env for dotenv to keep it whole.
  const passwords: { password: string; written: string }[] = [
    { password: 'correct horse battery', written: '"correct horse battery"' },
    { password: '  padded  ', written: '"  padded  "' },
    { password: 'p#ss=w0rd', written: "'p#ss=w0rd'" },
    { password: '=starts=with=equals', written: '=starts=with=equals' },
    { password: `it's "quoted"`, written: '`it\'s "quoted"`' },
    { password: 'say "hi"', written: `'say "hi"'` },
    { password: 'back\\slash\\n', written: "'back\\slash\\n'" },
    { password: 'Pässwörd-日本語-🔑', written: 'Pässwörd-日本語-🔑' },
    { password: 'ünïcödé #1 = "ok"', written: `'ünïcödé #1 = "ok"'` },
  ];

  for (const method of ['PLAIN', 'LOGIN'] as const) {
    for (const { password, written } of passwords) {
      it(`AUTH ${method}: ${JSON.stringify(password)} written as ${written}`, async () => {
        const server = await startTestServer({ password, extra: { authMethods: [method] } });
        try {
          const path = envFile(
            lines(
              '\ufeffSMTP_HOST=127.0.0.1',
              `export SMTP_PORT=${server.port} # the test server`,
              'SMTP_USER=user',
              `SMTP_PASSWORD=${written}`,
              'SMTP_SENDER="Test <sender@example.com>"',
              'SMTP_SECURE=0',
            ).replace(/\n/g, '\r\n'),
          );
          const loaded = loadConfig({ envFiles: [path], env: {} });
          expect(loaded.config.settings.password?.value).toBe(password);
          const settings = toSmtpSettings(loaded.config)!;
          const result = await walkSmtp({
            ...settings,
            recipient: 'rcpt@example.com',
            timeoutMs: 3000,
            deliver: false,
            ca: (await localhostCert()).cert,
            recorder: new TranscriptRecorder(),
          });
          expect(server.log.logins).toHaveLength(1);
          expect(server.log.logins[0]!.method).toBe(method);
          expect(Buffer.from(server.log.logins[0]!.password, 'utf8').equals(Buffer.from(password, 'utf8'))).toBe(true);
          expect(result.authenticated, JSON.stringify(result.failure)).toBe(true);
        } finally {
          await server.close();
        }
      });
    }
  }
});
