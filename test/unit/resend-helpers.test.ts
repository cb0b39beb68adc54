import type { Domain } from 'resend';
import { describe, expect, it } from 'vitest';
import { detectProvider } from '../../src/config/detect.js';
import { lintConfig } from '../../src/config/lint.js';
import type { ResolvedConfig } from '../../src/config/resolve.js';
import { UserError } from '../../src/errors.js';
import { ExitCode } from '../../src/exit-codes.js';
import { judgeDomain, matchSenderDomain } from '../../src/resend/domains.js';
import { resolveEndpoint } from '../../src/resend/endpoint.js';
import { defaultRetryPolicy, nextWaitMs, readRateLimit } from '../../src/resend/rate-limit.js';

const domain = (name: string, status: string, sending: 'enabled' | 'disabled' = 'enabled'): Domain =>
  ({ id: `id-${name}`, name, status, created_at: '2025-01-01T00:00:00Z', region: 'us-east-1', capabilities: { sending, receiving: 'disabled' } }) as Domain;

describe('rate-limit headers and the retry policy', () => {
  it('reads retry-after in seconds, and the ratelimit-* headers', () => {
    expect(readRateLimit({ 'retry-after': '2', 'ratelimit-limit': '2', 'ratelimit-remaining': '0', 'ratelimit-reset': '1' })).toEqual({
      retryAfterSeconds: 2,
      limit: 2,
      remaining: 0,
      resetSeconds: 1,
    });
  });

  it('reads retry-after as an HTTP date', () => {
    const now = Date.parse('2025-06-01T12:00:00Z');
    expect(readRateLimit({ 'retry-after': 'Sun, 01 Jun 2025 12:00:03 GMT' }, now).retryAfterSeconds).toBe(3);
  });

  it('falls back to ratelimit-reset, and ignores junk', () => {
    expect(readRateLimit({ 'ratelimit-reset': '4' }).retryAfterSeconds).toBe(4);
    expect(readRateLimit({ 'retry-after': 'soon' })).toEqual({});
    expect(readRateLimit(null)).toEqual({});
  });

  it('waits as asked, at most maxRetries times, and never longer than maxWaitMs', () => {
    expect(nextWaitMs({ retryAfterSeconds: 1 }, 0, defaultRetryPolicy)).toBe(1000);
    expect(nextWaitMs({}, 0, defaultRetryPolicy)).toBe(1000);
    expect(nextWaitMs({ retryAfterSeconds: 1 }, defaultRetryPolicy.maxRetries, defaultRetryPolicy)).toBeUndefined();
    expect(nextWaitMs({ retryAfterSeconds: 60 }, 0, defaultRetryPolicy)).toBeUndefined();
  });
});

describe('finding the sender domain among the account domains', () => {
  const domains = [domain('example.com', 'verified'), domain('pending.test', 'pending'), domain('mail.other.org', 'verified')];

  it('finds the exact domain, case-insensitively', () => {
    const match = matchSenderDomain('EXAMPLE.com', domains, false);
    expect(match.kind === 'found' && match.domain.name).toBe('example.com');
  });

  it('treats resend.dev as the shared testing domain, not a missing one', () => {
    expect(matchSenderDomain('resend.dev', domains, false).kind).toBe('testing');
  });

  it('reports a subdomain of an account domain as its own finding', () => {
    const match = matchSenderDomain('news.example.com', domains, false);
    expect(match).toEqual({ kind: 'missing', problem: { kind: 'subdomain', domain: 'news.example.com', parent: { name: 'example.com', status: 'verified' } } });
  });

  it('does not take a look-alike suffix for a parent (badexample.com is not under example.com)', () => {
    const match = matchSenderDomain('badexample.com', domains, false);
    expect(match.kind === 'missing' && match.problem.kind).toBe('not-added');
  });

  it('names child domains when the parent itself is missing', () => {
    const match = matchSenderDomain('other.org', domains, true);
    expect(match).toMatchObject({
      kind: 'missing',
      problem: { kind: 'not-added', related: [{ name: 'mail.other.org', status: 'verified' }], incomplete: true },
    });
  });
});

describe('judging a domain for sending', () => {
  const sendingRecords = (spf: string, dkim: string) => [
    { record: 'SPF', type: 'MX', name: 'send', value: 'feedback-smtp.us-east-1.amazonses.com', priority: 10, status: spf },
    { record: 'SPF', type: 'TXT', name: 'send', value: 'v=spf1 include:amazonses.com ~all', status: spf },
    { record: 'DKIM', type: 'TXT', name: 'resend._domainkey', value: 'p=abc', status: dkim },
  ];

  it.each([
    ['verified', undefined, 'pass'],
    ['pending', sendingRecords('pending', 'pending'), 'fail'],
    ['not_started', sendingRecords('not_started', 'not_started'), 'fail'],
    ['failed', sendingRecords('failed', 'failed'), 'fail'],
    ['partially_verified', sendingRecords('verified', 'verified'), 'warn'],
    ['partially_verified', sendingRecords('verified', 'pending'), 'fail'],
    ['partially_failed', sendingRecords('verified', 'failed'), 'fail'],
    ['temporary_failure', undefined, 'warn'],
  ] as const)('%s with records %# -> %s', (status, records, expected) => {
    expect(judgeDomain(domain('example.com', status), records ? [...records] : undefined).status).toBe(expected);
  });

  it('fails a verified domain whose sending is disabled', () => {
    const verdict = judgeDomain(domain('example.com', 'verified', 'disabled'), undefined);
    expect(verdict.status).toBe('fail');
    expect(verdict.problem?.kind).toBe('sending-disabled');
  });
});

describe('RESEND_BASE_URL', () => {
  it('defaults to the real API, like the SDK', () => {
    expect(resolveEndpoint(undefined)).toEqual({ baseUrl: 'https://api.resend.com', host: 'api.resend.com', port: 443, secure: true, fromEnv: false });
  });

  it('takes a local server, without a trailing slash (the SDK appends /emails)', () => {
    expect(resolveEndpoint('http://127.0.0.1:8025/')).toEqual({
      baseUrl: 'http://127.0.0.1:8025',
      host: '127.0.0.1',
      port: 8025,
      secure: false,
      fromEnv: true,
    });
    expect(resolveEndpoint('https://[::1]:9').host).toBe('::1');
  });

  it.each(['not a url', 'ftp://example.com', 'https://user:re_secret123@api.resend.com'])(
    'refuses %j as a configuration error, without echoing it',
    (value) => {
      let error: unknown;
      try {
        resolveEndpoint(value);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(UserError);
      expect((error as UserError).exitCode).toBe(ExitCode.config);
      expect((error as UserError).message).not.toContain('re_secret123');
    },
  );
});

describe('lint rules for the Resend block', () => {
  const lint = (apiKey: string, sender: string) => {
    const setting = (name: string, value: string) => ({ name, value, source: { kind: 'env' as const } });
    const config: ResolvedConfig = {
      settings: { apiKey: setting('RESEND_API_KEY', apiKey), senderEmail: setting('RESEND_SENDER_EMAIL', sender) },
      files: [],
      candidates: [],
      notes: [],
    };
    return lintConfig(config, detectProvider(config)).filter((f) => f.id.startsWith('resend.'));
  };
  const ids = (findings: { id: string; status: string }[]) => findings.filter((f) => f.status !== 'pass').map((f) => `${f.id}:${f.status}`);

  it('passes a well-formed key and sender', () => {
    expect(ids(lint('re_Abc12345_defghijklmnopqrstuvwxyz123', 'App <noreply@example.com>'))).toEqual([]);
  });

  it.each([
    ['re_123', 'resend.key.shape:fail'],
    ['SG.abcdefgh.ijklmnop', 'resend.key.shape:fail'],
    ['re_123456789', 'resend.key.placeholder:fail'],
    ['re_xxxxxxxxxxxx', 'resend.key.placeholder:fail'],
  ])('flags the key %j', (key, expected) => {
    const findings = lint(key, 'noreply@example.com');
    expect(ids(findings)).toEqual([expected]);
    expect(JSON.stringify(findings)).not.toContain(key);
  });

  it('says a SendGrid key is a SendGrid key', () => {
    expect(lint('SG.abcdefgh.ijklmnop', 'noreply@example.com')[0]!.message).toMatch(/SendGrid/);
  });

  it('warns about the resend.dev testing sender and fails a mailbox provider domain', () => {
    expect(ids(lint('re_Abc12345_defghijklmnopqrstuvwxyz123', 'onboarding@resend.dev'))).toEqual(['resend.sender.testing-domain:warn']);
    const gmail = lint('re_Abc12345_defghijklmnopqrstuvwxyz123', 'me@gmail.com');
    expect(ids(gmail)).toEqual(['resend.sender.mailbox-provider:fail']);
    expect(gmail.find((f) => f.status === 'fail')!.fix).toContain('RESEND_SENDER_EMAIL=noreply@yourdomain.com');
  });
});
