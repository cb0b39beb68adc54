import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { endingOfError, secretScrubber } from '../../src/commands/ending.js';
import { runConfig } from '../../src/commands/sandbox-config.js';
import { silentView } from '../../src/render/view.js';
import { looksLikeCredential, redactedMarker, Scrubber, withheldMarker } from '../../src/safety/secrets.js';
import { markdownText } from '../../src/render/github.js';
import { inertOutput } from '../../src/safety/text.js';
import { describeTls, readTlsInfo } from '../../src/smtp/tls-info.js';

describe('Scrubber: only what a party was given, in every encoding', () => {
  const secret = 'Zq8!vN3 pL6"kT';

  it('finds a secret split across the lines of one reply, with the reply codes left out', () => {
    const scrubber = new Scrubber().add(secret);
    const reply = `535-5.7.8 you sent ${secret.slice(0, 5)}\r\n535 5.7.8 ${secret.slice(5)} which is wrong`;
    const scrubbed = scrubber.scrubReply(reply);
    expect(scrubbed).not.toContain(secret.slice(0, 5));
    expect(scrubbed).not.toContain(secret.slice(5));
    expect(scrubbed.startsWith('535-')).toBe(true);
    expect(scrubbed).toContain('which is wrong');
  });

  it('finds hex in either case, and both the value as set and trimmed', () => {
    const withLineEnd = `${secret}\n`;
    const scrubber = new Scrubber().add(withLineEnd);
    expect(scrubber.scrub(`got ${Buffer.from(secret).toString('hex').toUpperCase()}`)).toBe(`got ${redactedMarker}`);
    expect(scrubber.scrub(`key "${secret}" refused`)).toBe(`key "${redactedMarker}" refused`);
  });

  it("finds the XOAUTH2 payload, and base64 inside base64 (an XOAUTH2 server's JSON status that quotes the request)", () => {
    const token = 'ya29.SECRETTOKENabcdef123456';
    const user = 'me@b.example';
    const scrubber = new Scrubber().add(token, user);
    const payload = Buffer.from(`user=${user}\u0001auth=Bearer ${token}\u0001\u0001`).toString('base64');
    const status = Buffer.from(JSON.stringify({ status: '401', echo: payload, hint: Buffer.from(token).toString('base64') })).toString('base64');
    const scrubbed = scrubber.scrubReply(`334 ${status}`);
    // What remains decodes to nothing that holds the token, at either level.
    const decoded = Buffer.from(scrubbed.replace(/‹redacted›/g, ''), 'base64').toString('latin1');
    expect(decoded).not.toContain(payload.slice(8, 40));
    expect(scrubbed).toContain(redactedMarker);
    expect(scrubber.scrub(`echo ${payload}`)).toBe(`echo ${redactedMarker}`);
  });

  it('a secret too short to tell from ordinary words withholds the text, keeping reply codes', () => {
    const scrubber = new Scrubber().add('2');
    expect(scrubber.withholds).toBe(true);
    // "2" is in "2.1.0": scrubbing it would say which character the password is.
    expect(scrubber.scrubReply('250-2.1.0 Ok\r\n250 2.1.0 Sender ok')).toBe(`250-2.1.0 ${withheldMarker}\n250 2.1.0 ${withheldMarker}`);
    expect(scrubber.scrubReply('235')).toBe('235');
    expect(scrubber.scrub('Invalid login: 535 bad')).toBe(withheldMarker);
  });

  it('an empty scrubber (a party that was given nothing) changes nothing', () => {
    const text = `220 hostile greeting, candidates: ${secret} password hunter2`;
    expect(new Scrubber().scrubReply(text)).toBe(text);
    expect(new Scrubber().add(undefined).add('   ').scrub(text)).toBe(text);
  });
});

describe('looksLikeCredential: shapes masked whatever the variable is called', () => {
  it.each([
    're_Abcdefgh_1234567890',
    'SG.abcdefghijkl.mnopqrstuvwx',
    'sk_live_abcdefghijkl',
    'AKIAABCDEFGHIJKLMNOP',
    'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl',
    '0f5c9a2e-4b1d-4c3e-9a7f-1d2e3f4a5b6c',
    'postgres://admin:hunter2@db.internal/app',
    ' ghp_abcdefghijklmnopqrstuvwxyz0123 ',
  ])('%s', (value) => expect(looksLikeCredential(value)).toBe(true));

  it.each(['mailer@example.com', 'smtp.example.com', 'apikey', 'resend', 'https://api.resend.com', '587'])('not %s', (value) =>
    expect(looksLikeCredential(value)).toBe(false),
  );
});

describe('inertOutput: the gate every printed line passes', () => {
  it('keeps colour and line ends, escapes every other control sequence', () => {
    expect(inertOutput('\x1b[31mred\x1b[39m\n')).toBe('\x1b[31mred\x1b[39m\n');
    expect(inertOutput('a\x1b]52;c;ZXZpbA==\x07b\x1bc\r\u202e')).toBe('a\\x1B]52;c;ZXZpbA==\\x07b\\x1Bc\\x0D\\u202E');
  });

  it('no line can start a CI workflow command, old or new style', () => {
    const out = inertOutput('ok\n::stop-commands::x\n   ::error::y\nsay ##[error]z\n');
    expect(out.split('\n').filter((line) => /^\s*::/.test(line) || line.includes('##['))).toEqual([]);
    expect(out).toContain('\\x3A:stop-commands::x');
  });
});

describe('readTlsInfo: certificate fields from the server never throw', () => {
  const socket = (validTo: string) =>
    ({
      getPeerCertificate: () => ({ subject: { CN: 'x' }, issuer: { CN: 'y' }, valid_to: validTo, subjectaltname: 'DNS:x', fingerprint256: 'AA' }),
      getProtocol: () => 'TLSv1.3',
      getCipher: () => ({ name: 'TLS_AES_128_GCM_SHA256' }),
      authorized: false,
      authorizationError: 'CERT_HAS_EXPIRED',
    }) as unknown as TLSSocket;

  it('a notAfter that does not parse is reported, not thrown', () => {
    const info = readTlsInfo(socket('Bad time value\x1b[2J'));
    expect(info.validTo).toBeUndefined();
    expect(info.validToUnreadable).toBe('Bad time value\\x1B[2J');
    expect(describeTls(info)).toContain('expiry date does not parse');
  });

  it('a normal date is kept as ISO 8601', () => {
    expect(readTlsInfo(socket('Dec  8 10:00:00 2026 GMT')).validTo).toBe('2026-12-08T10:00:00.000Z');
  });
});

describe('markdownText: server text in a step summary or --report links nowhere and mentions nobody', () => {
  it('breaks bare URLs, www. names and @mentions, as well as Markdown and HTML', () => {
    const text = markdownText('220 mail @octocat https://evil.example/p www.evil.example <b>x</b> [a](http://x)');
    expect(text).not.toMatch(/https:\/\//);
    expect(text).not.toMatch(/\bwww\./);
    expect(text).not.toMatch(/(^|[^\\])@octocat/);
    expect(text).not.toContain('<b>');
  });
});

describe("a bug's message: scrubbed of every secret the run was given, wherever it came from", () => {
  it('a password read from a .env file, as typed and base64-encoded, not only those in the environment', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailcheck-bug-'));
    try {
      const password = 'Pa55-from-the-dotenv-file';
      const file = join(dir, '.env');
      writeFileSync(file, `SMTP_HOST=smtp.example.com\nSMTP_PORT=587\nSMTP_USER=me\nSMTP_PASSWORD=${password}\nSMTP_SENDER=me@example.com\n`);
      const run = { signal: new AbortController().signal, env: { RESEND_API_KEY: 're_fromTheEnvironment123' }, view: silentView, secrets: new Set<string>() };
      await runConfig({ dotenv: [file] }, undefined, run);
      const bug = new Error(`boom at ${password}, ${Buffer.from(`\0me\0${password}`).toString('base64')} and re_fromTheEnvironment123`);
      const end = endingOfError(bug, secretScrubber(run.env, run.secrets), 'report it');
      expect(end.failureClass).toBe('internal');
      expect(end.error.message).toMatch(/^unexpected error: boom at /);
      expect(end.error.message).not.toContain(password);
      expect(end.error.message).not.toContain(Buffer.from(`\0me\0${password}`).toString('base64'));
      expect(end.error.message).not.toContain('re_fromTheEnvironment123');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
