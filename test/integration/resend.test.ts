/**
 * The Resend checks against a real HTTP(S) server on loopback that speaks the Resend API
 * (test/fixtures/fake-resend.ts), through the real resend SDK.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TranscriptRecorder } from '../../src/report/transcript.js';
import { runResendChecks, type ResendCheckOptions } from '../../src/resend/checks.js';
import { resolveEndpoint } from '../../src/resend/endpoint.js';
import { startFakeResend, type FakeResend, type FakeResendOptions } from '../fixtures/fake-resend.js';
import type { ResendSettings } from '../../src/resend/settings.js';
import { localhostCert } from '../fixtures/certs.js';
import { closedPort } from '../fixtures/unreachable.mjs';

const fullKey = 're_Full1234_k3yB0dyThatMustNeverLeak9x';
const sendingKey = 're_Send1234_an0therK3yThatMustNotLeak7';

const baseOptions: FakeResendOptions = {
  fullAccessKeys: [fullKey],
  sendingOnlyKeys: [sendingKey],
  ownerEmail: 'owner@example.com',
  domains: [
    { name: 'example.com', status: 'verified' },
    { name: 'pending.test', status: 'pending' },
    { name: 'partial.test', status: 'partially_verified', records: { dkim: 'verified' } },
    { name: 'receiving.test', status: 'verified', sending: 'disabled' },
  ],
};

let fake: FakeResend | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

/** `senderHeader` goes to the API as the from; the address and domain are what lint would have parsed. */
function settings(key: string, senderHeader: string, address = /<([^>]+)>/.exec(senderHeader)?.[1] ?? senderHeader): ResendSettings {
  return {
    key,
    sender: { header: senderHeader, address, domain: address.split('@')[1] ?? '' },
    names: { apiKey: 'RESEND_API_KEY', sender: 'RESEND_SENDER_EMAIL' },
    viaSmtpRelay: false,
  };
}

interface Run {
  key?: string;
  sender?: string;
  /** undefined: send nothing. */
  recipient?: string | undefined;
  fake?: FakeResendOptions;
  /** Point the client somewhere else than the fake. */
  baseUrl?: string;
  extra?: Partial<ResendCheckOptions>;
}

async function run(r: Run = {}) {
  if (!r.baseUrl) fake = await startFakeResend({ ...baseOptions, ...r.fake });
  const key = r.key ?? fullKey;
  const recorder = new TranscriptRecorder();
  const outcome = await runResendChecks({
    settings: settings(key, r.sender ?? 'App <noreply@example.com>'),
    endpoint: resolveEndpoint(r.baseUrl ?? fake!.url),
    ...('recipient' in r ? (r.recipient === undefined ? {} : { recipient: r.recipient }) : { recipient: 'delivered@resend.dev' }),
    timeoutMs: 2000,
    recorder,
    ...r.extra,
  });
  const status = Object.fromEntries(outcome.checks.map((c) => [c.id, c.status]));
  const text = JSON.stringify({ outcome, transcript: recorder.lines });
  return { outcome, status, ids: outcome.diagnoses.map((d) => d.id), transcript: recorder.lines.map((l) => l.text), text };
}

describe('Resend checks against the fake API', () => {
  it('a good key and a verified domain pass, and the email id is the one the API gave', async () => {
    const r = await run();
    expect(r.status).toEqual({ 'resend.key': 'pass', 'resend.domain': 'pass', 'resend.send': 'pass' });
    expect(r.ids).toEqual([]);
    expect(fake!.sent).toHaveLength(1);
    expect(fake!.sent[0]).toMatchObject({ from: 'noreply@example.com', to: ['delivered@resend.dev'] });
    expect(r.outcome.message?.id).toBe(fake!.sent[0]!.id);
    expect(r.transcript).toContain(`ok: accepted, id ${fake!.sent[0]!.id}`);
    // The key went to the server as a bearer token, and nowhere else.
    expect(fake!.requests.every((q) => q.authorization === `Bearer ${fullKey}`)).toBe(true);
    expect(r.text).not.toContain('k3yB0dy');
  });

  it('without a recipient nothing is sent, and the skip is listed only when a reason is given', async () => {
    const r = await run({ recipient: undefined, extra: { sendSkipReason: 'no email sent (use --send to send one)' } });
    expect(r.status['resend.send']).toBe('skip');
    expect(fake!.requests.some((q) => q.path === '/emails')).toBe(false);
    await fake!.close();
    const omitted = await run({ recipient: undefined });
    expect(omitted.status['resend.send']).toBeUndefined();
  });

  it.each(['invalid_api_key', 'validation_error'] as const)('an unknown key (%s style) is named invalid or revoked, exit class auth', async (style) => {
    const r = await run({ key: 're_Revoked1_abcdefghijklmnopqrstuvwx', fake: { invalidKeyStyle: style } });
    expect(r.status).toEqual({ 'resend.key': 'fail', 'resend.domain': 'skip', 'resend.send': 'skip' });
    expect(r.ids).toEqual(['resend.key.invalid']);
    expect(r.outcome.diagnoses[0]!.class).toBe('auth');
    expect(fake!.sent).toHaveLength(0);
  });

  it('a sending-only key is a warning that the domain check is skipped, and the send still works', async () => {
    const r = await run({ key: sendingKey });
    expect(r.status).toEqual({ 'resend.key': 'warn', 'resend.domain': 'skip', 'resend.send': 'pass' });
    expect(r.ids).toEqual([]);
    expect(r.outcome.checks[0]!.detail).toMatch(/sending access only/);
    expect(fake!.sent).toHaveLength(1);
  });

  it("a sending-only key with an unverified domain gets the API's own refusal, diagnosed", async () => {
    const r = await run({ key: sendingKey, sender: 'noreply@pending.test' });
    expect(r.status['resend.send']).toBe('fail');
    expect(r.ids).toEqual(['resend.domain.not-verified']);
    expect(r.outcome.diagnoses[0]!.serverSaid).toMatch(/^403 validation_error: The pending\.test domain is not verified/);
  });

  it('a pending domain shows the DNS records Resend expects, and nothing is sent', async () => {
    const r = await run({ sender: 'noreply@pending.test' });
    expect(r.status).toEqual({ 'resend.key': 'pass', 'resend.domain': 'fail', 'resend.send': 'skip' });
    expect(r.ids).toEqual(['resend.domain.not-verified']);
    const fixes = r.outcome.diagnoses[0]!.fixes.join('\n');
    expect(fixes).toContain('MX send -> feedback-smtp.us-east-1.amazonses.com (priority 10) [pending]');
    expect(fixes).toContain('TXT resend._domainkey -> p=');
    expect(fake!.requests.map((q) => q.path)).toEqual(['/domains?limit=100', expect.stringMatching(/^\/domains\/[0-9a-f-]+$/)]);
  });

  it('a partially verified domain whose sending records are verified is a warning, and sends', async () => {
    const r = await run({ sender: 'noreply@partial.test' });
    expect(r.status).toEqual({ 'resend.key': 'pass', 'resend.domain': 'warn', 'resend.send': 'pass' });
  });

  it('a domain with sending disabled fails', async () => {
    const r = await run({ sender: 'noreply@receiving.test' });
    expect(r.ids).toEqual(['resend.domain.sending-disabled']);
  });

  it('a sender on a subdomain of a verified domain is explained', async () => {
    const r = await run({ sender: 'App <noreply@mail.example.com>' });
    expect(r.status['resend.domain']).toBe('fail');
    expect(r.ids).toEqual(['resend.domain.subdomain']);
    expect(r.outcome.diagnoses[0]!.summary).toMatch(/mail\.example\.com, a subdomain of example\.com \(verified\)/);
  });

  it("a domain that is not in the account is named, with the account's domains", async () => {
    const r = await run({ sender: 'noreply@elsewhere.org' });
    expect(r.ids).toEqual(['resend.domain.not-added']);
    expect(r.outcome.diagnoses[0]!.causes[0]).toContain('example.com');
  });

  it('domain names from the API are untrusted: escape sequences never reach checks or diagnoses', async () => {
    const r = await run({ sender: 'noreply@elsewhere.org', fake: { domains: [{ name: 'evil\u001b]0;pwned\u0007\u001b[2J.com', status: 'verified' }] } });
    expect(r.ids).toEqual(['resend.domain.not-added']);
    expect(r.outcome.diagnoses[0]!.causes[0]).toContain('evil\\x1B]0;pwned\\x07');
    expect(r.text).not.toMatch(/\\u001b|\\u0007/);
  });

  it('the sandbox: resend.dev may only send to the owner', async () => {
    const r = await run({ sender: 'onboarding@resend.dev', recipient: 'stranger@example.org' });
    expect(r.status).toEqual({ 'resend.key': 'pass', 'resend.domain': 'warn', 'resend.send': 'fail' });
    expect(r.ids).toEqual(['resend.sandbox']);
    expect(r.outcome.diagnoses[0]!.serverSaid).toContain('owner@example.com');
    await fake!.close();
    const own = await run({ sender: 'onboarding@resend.dev', recipient: 'owner@example.com' });
    expect(own.status['resend.send']).toBe('pass');
  });

  it('an invalid from and a bad recipient are refused by the API and diagnosed', async () => {
    // A from the API refuses although its address part is fine (lint stops most others before the network).
    const from = await run({ sender: 'App noreply@example.com>', extra: { settings: settings(fullKey, 'App noreply@example.com>', 'noreply@example.com') } });
    expect(from.ids).toEqual(['resend.from.invalid']);
    await fake!.close();
    const to = await run({ recipient: 'not-an-address' });
    expect(to.ids).toEqual(['resend.recipient.invalid']);
  });

  it('rate limiting: waits as retry-after asks, retries with the same idempotency key, sends once, and says so', async () => {
    const r = await run({ fake: { faults: { emails: ['rate-limit'] }, retryAfterSeconds: 0 } });
    expect(r.status['resend.send']).toBe('pass');
    const posts = fake!.requests.filter((q) => q.path === '/emails');
    expect(posts).toHaveLength(2);
    expect(posts[0]!.idempotencyKey).toBeDefined();
    expect(posts[1]!.idempotencyKey).toBe(posts[0]!.idempotencyKey);
    expect(fake!.sent).toHaveLength(1);
    expect(r.transcript.some((t) => /rate limited \(retry-after 0 s\): waiting 0 ms, then retry 1 of 2/.test(t))).toBe(true);
    expect(r.outcome.checks.find((c) => c.id === 'resend.send')!.detail).toMatch(/after 1 rate-limit retry/);
  });

  it('rate limiting that persists: bounded retries, then a temporary failure', async () => {
    const r = await run({ fake: { faults: { emails: ['rate-limit', 'rate-limit', 'rate-limit', 'rate-limit'] }, retryAfterSeconds: 0 } });
    expect(fake!.requests.filter((q) => q.path === '/emails')).toHaveLength(3);
    expect(r.ids).toEqual(['resend.rate-limit']);
    expect(r.outcome.diagnoses[0]!.class).toBe('temporary');
    expect(r.outcome.diagnoses[0]!.causes.join('\n')).toMatch(/retried 2 times/);
    expect(fake!.sent).toHaveLength(0);
  });

  it('rate limiting with a retry-after longer than mailcheck waits: no retry, and it says why', async () => {
    const r = await run({ fake: { faults: { domains: ['rate-limit'] }, retryAfterSeconds: 120 } });
    expect(fake!.requests).toHaveLength(1);
    expect(r.ids).toEqual(['resend.rate-limit']);
    expect(r.transcript.some((t) => /does not retry/.test(t))).toBe(true);
  });

  it.each([
    ['daily-quota', 'resend.quota.daily', 'temporary'],
    ['monthly-quota', 'resend.quota.monthly', 'temporary'],
    ['server-error', 'resend.server-error', 'temporary'],
    ['bad-gateway', 'resend.server-error', 'temporary'],
    ['not-json', 'resend.bad-response', 'protocol'],
    ['no-id', 'resend.bad-response', 'protocol'],
  ] as const)('a send answered with %s is never a success: %s (%s)', async (fault, id, cls) => {
    const r = await run({ fake: { faults: { emails: [fault] } } });
    expect(r.status['resend.send']).toBe('fail');
    expect(r.outcome.message).toBeUndefined();
    expect(r.ids).toEqual([id]);
    expect(r.outcome.diagnoses[0]!.class).toBe(cls);
    // Quotas are not rate limits: no retry.
    expect(fake!.requests.filter((q) => q.path === '/emails')).toHaveLength(1);
  });

  it('a server that accepts the request and never answers: bounded by the timeout, named as such', async () => {
    const started = Date.now();
    const r = await run({ fake: { faults: { domains: ['hang'] } }, extra: { timeoutMs: 500 } });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(r.ids).toEqual(['resend.network.timeout']);
    expect(r.outcome.diagnoses[0]!.summary).toMatch(/accepted the connection but did not answer within 500 ms/);
  });

  it("connection refused is recovered from the SDK's causeless error", async () => {
    const port = await closedPort();
    const r = await run({ baseUrl: `http://127.0.0.1:${port}` });
    expect(r.ids).toEqual(['resend.network.refused']);
    expect(r.outcome.diagnoses[0]!.class).toBe('network');
    expect(r.transcript.some((t) => t.includes('ECONNREFUSED'))).toBe(true);
  });

  // Trusted-but-wrong certificates (wrong host, expired) need NODE_EXTRA_CA_CERTS at process start: see the e2e tests.
  it('a self-signed certificate is named, never bypassed', async () => {
    fake = await startFakeResend({ ...baseOptions, tls: await localhostCert() });
    const r = await run({ baseUrl: fake.url });
    expect(r.ids).toEqual(['resend.tls.certificate']);
    expect(r.outcome.diagnoses[0]!.summary).toContain('DEPTH_ZERO_SELF_SIGNED_CERT');
    // Nothing, not even the key, reached the server over the unverified connection.
    expect(fake.requests).toHaveLength(0);
  });

  it('https:// pointed at a plain HTTP server is a TLS handshake failure', async () => {
    fake = await startFakeResend(baseOptions);
    const r = await run({ baseUrl: fake.url.replace('http:', 'https:') });
    expect(r.ids).toEqual(['resend.tls.handshake']);
  });

  it('a server that echoes the key in its error text: the key never reaches the transcript or diagnoses', async () => {
    const leaked = 're_Echoed12_v3ryS3cretK3yB0dyValue0000';
    const r = await run({ key: leaked, fake: { echoKey: true } });
    expect(fake!.requests[0]!.authorization).toBe(`Bearer ${leaked}`);
    expect(r.ids).toEqual(['resend.key.invalid']);
    expect(r.text).not.toContain(leaked);
    expect(r.text).not.toContain('v3ryS3cretK3yB0dy');
    expect(r.text).toContain('‹redacted›');
  });

  it('Ctrl-C during a hanging request stops at once and reports nothing as failed or passed', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = Date.now();
    const r = await run({ fake: { faults: { domains: ['hang'] } }, extra: { signal: controller.signal, timeoutMs: 10_000 } });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(r.outcome.aborted).toBe(true);
    expect(r.ids).toEqual([]);
  });

  it('the SMTP relay: the SMTP password is checked as an API key and a revoked one is named in SMTP_PASSWORD', async () => {
    fake = await startFakeResend(baseOptions);
    const outcome = await runResendChecks({
      settings: {
        ...settings('re_Revoked9_abcdefghijklmnopqrstuvwx', 'noreply@example.com'),
        names: { apiKey: 'SMTP_PASSWORD', sender: 'SMTP_SENDER' },
        viaSmtpRelay: true,
      },
      endpoint: resolveEndpoint(fake.url),
      timeoutMs: 2000,
      recorder: new TranscriptRecorder(),
    });
    expect(outcome.checks.map((c) => [c.id, c.status])).toEqual([
      ['resend.key', 'fail'],
      ['resend.domain', 'skip'],
    ]);
    expect(outcome.checks[0]!.title).toBe('SMTP_PASSWORD as API key');
    expect(outcome.diagnoses[0]!.summary).toMatch(/SMTP_PASSWORD .* invalid or has been revoked/);
    expect(fake.requests.some((q) => q.path === '/emails')).toBe(false);
  });
});
