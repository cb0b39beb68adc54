import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAddress } from '../../src/config/address.js';
import { detectProvider } from '../../src/config/detect.js';
import { loadConfig } from '../../src/config/load.js';
import { resolveConfig, type ResolvedConfig } from '../../src/config/resolve.js';
import { parsePort, parseSecure, smtpNames, toSmtpSettings } from '../../src/config/smtp-settings.js';
import { describeSource } from '../../src/config/source.js';
import { variableNames, type SettingKey } from '../../src/config/variables.js';
import { UserError } from '../../src/errors.js';
import { ExitCode } from '../../src/exit-codes.js';
import { maskSecret, redactedMarker, Scrubber } from '../../src/safety/secrets.js';
import { safeLine, safeLines } from '../../src/safety/text.js';

const dir = mkdtempSync(join(tmpdir(), 'mailcheck-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileCount = 0;
/** Writes a .env file into the temp dir and returns its path. */
function envFile(lines: string[]): string {
  const path = join(dir, `env-${++fileCount}`);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

const value = (config: ResolvedConfig, key: SettingKey) => config.settings[key]?.value;
const source = (config: ResolvedConfig, key: SettingKey) => describeSource(config.settings[key]!.source);

describe('resolveConfig: files < environment < flags < stdin', () => {
  const base = envFile(['SMTP_HOST=file1.example.com', 'SMTP_PORT=25', 'SMTP_USER=file-user', 'SMTP_PASSWORD=file-pass', 'SMTP_SENDER=a@file.example.com']);
  const second = envFile(['# later file wins', 'SMTP_PORT=2525', 'SMTP_USER=file2-user']);

  it('a later file overrides an earlier one, and each value remembers its file and line', () => {
    const config = resolveConfig({ envFiles: [base, second], env: {} });
    expect(value(config, 'host')).toBe('file1.example.com');
    expect(source(config, 'host')).toBe(`${base} line 1`);
    expect(value(config, 'port')).toBe('2525');
    expect(source(config, 'port')).toBe(`${second} line 2`);
    expect(config.files).toEqual([base, second]);
  });

  it('the environment overrides files; flags override the environment; stdin overrides all for the password', () => {
    const config = resolveConfig({
      envFiles: [base, second],
      env: { SMTP_USER: 'env-user', SMTP_PORT: '587', SMTP_PASSWORD: 'env-pass' },
      flags: { port: { value: '465', flag: '--port' } },
      stdinSecret: { key: 'password', value: 'stdin-pass' },
    });
    expect(value(config, 'host')).toBe('file1.example.com');
    expect([value(config, 'user'), source(config, 'user')]).toEqual(['env-user', 'the environment']);
    expect([value(config, 'port'), source(config, 'port')]).toEqual(['465', 'the --port flag']);
    expect([value(config, 'password'), source(config, 'password')]).toEqual(['stdin-pass', '--password-stdin']);
    // A flag still speaks the variable's name, which is what the user fixes in .env.
    expect(config.settings.port!.name).toBe('SMTP_PORT');
  });

  it('reads ./.env from the working directory by default, and nothing when it is absent', () => {
    const cwd = process.cwd();
    const work = mkdtempSync(join(dir, 'cwd-'));
    try {
      process.chdir(work);
      expect(resolveConfig({ env: {} }).settings).toEqual({});
      writeFileSync(join(work, '.env'), 'SMTP_HOST=default.example.com\n');
      const config = resolveConfig({ env: {} });
      expect(value(config, 'host')).toBe('default.example.com');
      expect(source(config, 'host')).toBe('.env line 1');
    } finally {
      process.chdir(cwd);
    }
  });

  it('the line of the last assignment wins, and a duplicate is noted', () => {
    const path = envFile(['SMTP_HOST=first.example.com', 'SMTP_PORT=587', 'SMTP_HOST=second.example.com']);
    const config = resolveConfig({ envFiles: [path], env: {} });
    expect(value(config, 'host')).toBe('second.example.com');
    expect(source(config, 'host')).toBe(`${path} line 3`);
    expect(config.notes.map((n) => n.message).join('\n')).toMatch(/SMTP_HOST is set 2 times .*lines 1, 3/);
  });

  it('quotes, export and comments as dotenv reads them; line numbers follow the file', () => {
    const path = envFile(['# comment', '', 'export SMTP_HOST=smtp.example.com', 'SMTP_SENDER="App <app@example.com>" # trailing', "SMTP_PASSWORD='p#ss word'"]);
    const config = resolveConfig({ envFiles: [path], env: {} });
    expect(value(config, 'host')).toBe('smtp.example.com');
    expect(source(config, 'host')).toBe(`${path} line 3`);
    expect(value(config, 'sender')).toBe('App <app@example.com>');
    expect(value(config, 'password')).toBe('p#ss word');
    expect(source(config, 'password')).toBe(`${path} line 5`);
  });

  it('a named file that cannot be read is a configuration error with the path', () => {
    const missing = join(dir, 'missing.env');
    let error: unknown;
    try {
      loadConfig({ envFiles: [missing], env: {} });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).exitCode).toBe(ExitCode.config);
    expect((error as UserError).message).toContain(missing);
    expect((error as UserError).message).toMatch(/no such file/);
  });
});

describe('aliases: SMTP_PASS and SMTP_FROM_EMAIL', () => {
  it('are read, keep their own name, and give it to messages and hints', () => {
    const path = envFile([
      'SMTP_HOST=smtp.example.com',
      'SMTP_PORT=587',
      'SMTP_USER=me',
      'SMTP_PASS=alias-pass',
      'SMTP_FROM_EMAIL=not an address',
      'SMTP_SECURE=0',
    ]);
    const loaded = loadConfig({ envFiles: [path], env: {} });
    expect(loaded.config.settings.password).toMatchObject({ name: 'SMTP_PASS', value: 'alias-pass' });
    expect(loaded.config.settings.sender).toMatchObject({ name: 'SMTP_FROM_EMAIL', value: 'not an address' });
    expect(loaded.detection.provider).toBe('smtp');
    expect(smtpNames(loaded.config)).toMatchObject({ password: 'SMTP_PASS', sender: 'SMTP_FROM_EMAIL', host: 'SMTP_HOST' });
    const senderFinding = loaded.lint.find((f) => f.variable === 'SMTP_FROM_EMAIL' && f.status === 'fail');
    expect(senderFinding?.message).toMatch(new RegExp(`^SMTP_FROM_EMAIL="not an address" \\(from ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} line 5\\)`));
    expect(senderFinding?.fix).toContain('SMTP_FROM_EMAIL=');
    expect(senderFinding?.message).not.toContain('SMTP_SENDER');
  });

  it('the canonical name wins within one layer, and differing values are noted', () => {
    const config = resolveConfig({ env: { SMTP_PASSWORD: 'canonical', SMTP_PASS: 'alias' } });
    expect(config.settings.password).toMatchObject({ name: 'SMTP_PASSWORD', value: 'canonical' });
    expect(config.notes.map((n) => n.message).join('\n')).toMatch(/SMTP_PASSWORD and SMTP_PASS are both set/);
    // The same value under both names is not worth a note.
    expect(resolveConfig({ env: { SMTP_PASSWORD: 'same', SMTP_PASS: 'same' } }).notes).toEqual([]);
  });

  it('an alias in a higher layer overrides the canonical name in a lower one', () => {
    const path = envFile(['SMTP_PASSWORD=from-file']);
    const config = resolveConfig({ envFiles: [path], env: { SMTP_PASS: 'from-env' } });
    expect(config.settings.password).toMatchObject({ name: 'SMTP_PASS', value: 'from-env', source: { kind: 'env' } });
  });

  it('the settings a client uses carry the alias names for diagnosis', () => {
    const config = resolveConfig({
      env: { SMTP_HOST: 'smtp.example.com', SMTP_PORT: '465', SMTP_USER: 'me', SMTP_PASS: 'x', SMTP_FROM_EMAIL: 'App <app@example.com>', SMTP_SECURE: '1' },
    });
    expect(toSmtpSettings(config)).toMatchObject({
      host: 'smtp.example.com',
      port: 465,
      secure: true,
      senderAddress: 'app@example.com',
      senderHeader: 'App <app@example.com>',
      names: { password: 'SMTP_PASS', sender: 'SMTP_FROM_EMAIL' },
    });
  });
});

describe('detectProvider', () => {
  const smtp = { SMTP_HOST: 'smtp.example.com', SMTP_PORT: '587', SMTP_USER: 'me', SMTP_PASSWORD: 'pw', SMTP_SENDER: 'a@example.com', SMTP_SECURE: '0' };
  const resend = { RESEND_API_KEY: 're_12345678abc', RESEND_SENDER_EMAIL: 'a@example.com' };
  const detect = (env: NodeJS.ProcessEnv) => detectProvider(resolveConfig({ env }));

  it.each([
    { name: 'SMTP only', env: smtp, provider: 'smtp', reason: /SMTP variables are set/ },
    { name: 'Resend only', env: resend, provider: 'resend', reason: /Resend variables are set and the SMTP ones are not/ },
    { name: 'both: SMTP wins', env: { ...smtp, ...resend }, provider: 'smtp', reason: /both .* SMTP takes precedence/ },
    { name: 'neither', env: {}, provider: 'none', reason: /neither/ },
    {
      name: 'half-set SMTP falls through to Resend',
      env: { SMTP_HOST: 'smtp.example.com', SMTP_USER: 'me', ...resend },
      provider: 'resend',
      reason: /SMTP block is incomplete \(missing SMTP_PORT, SMTP_PASSWORD, SMTP_SENDER\), so detection falls through to Resend/,
    },
    {
      name: 'half-set SMTP with nothing else',
      env: { SMTP_HOST: 'smtp.example.com' },
      provider: 'none',
      reason: /SMTP block is incomplete .*email is disabled/,
    },
    { name: 'only SMTP_SECURE set counts as half set', env: { SMTP_SECURE: '1' }, provider: 'none', reason: /SMTP block is incomplete/ },
    {
      name: 'half-set Resend with nothing else',
      env: { RESEND_API_KEY: 're_12345678abc' },
      provider: 'none',
      reason: /Resend block is incomplete \(missing RESEND_SENDER_EMAIL\)/,
    },
    { name: 'an empty value counts as unset', env: { ...smtp, SMTP_PASSWORD: '  ' }, provider: 'none', reason: /missing SMTP_PASSWORD/ },
  ])('$name -> $provider', ({ env, provider, reason }) => {
    const detection = detect(env);
    expect(detection.provider).toBe(provider);
    expect(detection.reason).toMatch(reason);
  });

  it('names the missing variables of a half-set block, and SMTP_SECURE is never required', () => {
    const detection = detect({ SMTP_HOST: 'smtp.example.com', SMTP_PORT: '587', SMTP_PASS: 'pw' });
    expect(detection.smtpHalfSet).toBe(true);
    expect(detection.smtpMissing).toEqual(['SMTP_USER', 'SMTP_SENDER']);
    const complete = detect({ ...smtp, SMTP_SECURE: '' });
    expect(complete.provider).toBe('smtp');
    expect(complete.smtpMissing).toEqual([]);
  });

  it('aliases complete the SMTP block', () => {
    const { SMTP_PASSWORD: _p, SMTP_SENDER: _s, ...rest } = smtp;
    expect(detect({ ...rest, SMTP_PASS: 'pw', SMTP_FROM_EMAIL: 'a@example.com' }).provider).toBe('smtp');
  });
});

describe('parsePort and parseSecure', () => {
  it.each([
    ['587', 587],
    [' 465 ', 465],
    ['1', 1],
    ['65535', 65535],
    ['0', undefined],
    ['65536', undefined],
    ['587abc', undefined],
    ['abc', undefined],
    ['', undefined],
    ['-25', undefined],
    ['5e2', undefined],
    ['587.0', undefined],
  ])('parsePort(%j) = %j', (text, port) => {
    expect(parsePort(text)).toBe(port);
  });

  // The seeds' app reads SMTP_SECURE as !!Number(value): "true" means STARTTLS there.
  it.each([
    ['1', true],
    [' 1 ', true],
    ['2', true],
    ['0', false],
    ['', false],
    [undefined, false],
    ['true', false],
    ['false', false],
    ['yes', false],
  ])('parseSecure(%j) = %j', (text, secure) => {
    expect(parseSecure(text)).toBe(secure);
  });
});

describe('parseAddress', () => {
  it.each([
    ['a@example.com', { address: 'a@example.com', domain: 'example.com' }],
    ['  a@Example.COM ', { address: 'a@Example.COM', domain: 'example.com' }],
    ['App <noreply@example.com>', { address: 'noreply@example.com', name: 'App', domain: 'example.com' }],
    ['"Doe, Jane" <jane@mail.example.org>', { address: 'jane@mail.example.org', name: 'Doe, Jane', domain: 'mail.example.org' }],
    ['<bare@example.com>', { address: 'bare@example.com', domain: 'example.com' }],
    ['first.last+tag@sub.example.co.uk', { address: 'first.last+tag@sub.example.co.uk', domain: 'sub.example.co.uk' }],
  ])('accepts %j', (text, parsed) => {
    expect(parseAddress(text)).toEqual(parsed);
  });

  it.each(['', 'noreply', 'App', 'a@localhost', 'a b@example.com', '@example.com', 'a@@example.com', 'a@example..com', 'App <a@example.com', 'a@-example.com'])(
    'rejects %j',
    (text) => {
      expect(parseAddress(text)).toBeUndefined();
    },
  );
});

describe('Scrubber', () => {
  // Characters that change under URL-encoding and JSON, and no common substring.
  const secret = 'Qv7#zL9 x&K2"w\\Rm';
  const user = 'mailer@example.com';
  const redactor = new Scrubber().add(secret, user);
  const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

  it('replaces the raw secret wherever it appears', () => {
    expect(redactor.scrub(`before ${secret} after ${secret}`)).toBe(`before ${redactedMarker} after ${redactedMarker}`);
  });

  it('replaces its base64, with or without padding, and base64url', () => {
    for (const form of [b64(secret), b64(secret).replace(/=+$/, ''), Buffer.from(secret).toString('base64url')]) {
      expect(redactor.scrub(`x ${form} y`)).toBe(`x ${redactedMarker} y`);
    }
  });

  it.each([0, 1, 2, 3, 4, 5])('finds it inside a larger base64 blob at byte offset %i', (offset) => {
    const blob = b64(`${'p'.repeat(offset)}${secret}and more text after it`);
    const scrubbed = redactor.scrub(blob);
    expect(scrubbed).toContain(redactedMarker);
    // The base64 characters determined by the secret's bytes alone are gone.
    const firstChar = Math.ceil((offset * 8) / 6);
    const lastChar = Math.floor(((offset + Buffer.byteLength(secret)) * 8) / 6);
    expect(scrubbed).not.toContain(blob.slice(firstChar, lastChar));
    expect(scrubbed.length).toBeLessThan(blob.length - 10);
  });

  it('replaces the whole AUTH PLAIN payload (\\0user\\0secret and user\\0user\\0secret)', () => {
    expect(redactor.scrub(`AUTH PLAIN ${b64(`\u0000${user}\u0000${secret}`)}`)).toBe(`AUTH PLAIN ${redactedMarker}`);
    expect(redactor.scrub(b64(`${user}\u0000${user}\u0000${secret}`))).toBe(redactedMarker);
  });

  it('replaces the AUTH LOGIN password line (the base64 of the secret alone)', () => {
    expect(redactor.scrub(b64(secret))).toBe(redactedMarker);
  });

  it('replaces URL-encoded forms (%20 and +) and the JSON-escaped form', () => {
    const encoded = encodeURIComponent(secret);
    expect(redactor.scrub(`smtp://u:${encoded}@host`)).toBe(`smtp://u:${redactedMarker}@host`);
    expect(redactor.scrub(`pass=${encoded.replace(/%20/g, '+')}&x=1`)).toBe(`pass=${redactedMarker}&x=1`);
    expect(redactor.scrub(JSON.stringify({ password: secret }))).toBe(`{"password":"${redactedMarker}"}`);
  });

  it('leaves ordinary text alone, and an empty or missing secret adds nothing', () => {
    expect(redactor.scrub('250 OK: queued as 12345')).toBe('250 OK: queued as 12345');
    expect(new Scrubber().add(undefined).add('').scrub('250 OK a')).toBe('250 OK a');
  });

  it('maskSecret keeps only a public prefix and the length', () => {
    expect(maskSecret('re_abcdefghijklmnop')).toBe('re_…(19 chars)');
    expect(maskSecret('SG.xyz')).toBe('SG.…(6 chars)');
    expect(maskSecret(secret)).toBe(`…(${secret.length} chars)`);
    expect(maskSecret('')).toBe('(empty)');
    expect(maskSecret(undefined)).toBe('(empty)');
  });
});

describe('safeLine and safeLines: server text made printable', () => {
  it('neutralises ANSI colour and cursor escapes', () => {
    const shown = safeLine('250 \u001b[31mred\u001b[0m \u001b[2J\u001b[H');
    expect(shown).not.toMatch(/\u001b/);
    expect(shown).toBe('250 \\x1B[31mred\\x1B[0m \\x1B[2J\\x1B[H');
  });

  it('neutralises OSC sequences (window title, hyperlinks) and C1 controls', () => {
    const shown = safeLine('220 \u001b]0;pwned\u0007 \u001b]8;;https://evil.example\u001b\\link\u001b]8;;\u001b\\ \u009b31m');
    expect(shown).not.toMatch(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/);
    expect(shown).toContain('\\x1B]0;pwned\\x07');
    expect(shown).toContain('\\x9B');
  });

  it('neutralises bidi overrides and zero-width characters, keeps ordinary Unicode', () => {
    expect(safeLine('a\u202eb\u200bc é ✔')).toBe('a\\u202Eb\\u200Bc é ✔');
  });

  it('drops a trailing CR and turns tabs into spaces; an embedded newline is visible', () => {
    expect(safeLine('250 OK\r')).toBe('250 OK');
    expect(safeLine('a\tb')).toBe('a b');
    expect(safeLine('a\nb')).toBe('a\\x0Ab');
  });

  it('bounds a long line and says how much was cut', () => {
    const shown = safeLine('x'.repeat(100_000));
    expect(shown.length).toBeLessThan(500);
    expect(shown).toMatch(/… \(99600 more characters\)$/);
  });

  it('safeLines splits a multi-line reply and bounds the number of lines', () => {
    expect(safeLines('250-a\r\n250 b\r\n')).toEqual(['250-a', '250 b']);
    const many = safeLines(Array.from({ length: 1000 }, (_, i) => `250-${i}`).join('\n'), 40);
    expect(many).toHaveLength(41);
    expect(many.at(-1)).toBe('… (960 more lines)');
  });
});

// The variable table is what every message is built from: keep it in step with the README.
it('knows every variable and alias the README documents', () => {
  expect(Object.values(variableNames).flat().sort()).toEqual(
    [
      'RESEND_API_KEY',
      'RESEND_BASE_URL',
      'RESEND_SENDER_EMAIL',
      'SMTP_FROM_EMAIL',
      'SMTP_OAUTH2_TOKEN',
      'SMTP_HOST',
      'SMTP_PASS',
      'SMTP_PASSWORD',
      'SMTP_PORT',
      'SMTP_SECURE',
      'SMTP_SENDER',
      'SMTP_USER',
    ].sort(),
  );
});
