import { describe, expect, it } from 'vitest';
import {
  describeRecord,
  diagnoseDomainProblem,
  diagnoseResendFailure,
  domainDiagnosisIds,
  resendDiagnosisIds,
  type DomainProblem,
  type ResendDiagnosisContext,
  type ResendFailure,
} from '../../src/diagnose/resend-rules.js';
import { ExitCode, exitCodeFor } from '../../src/exit-codes.js';

const key = 're_Abc12345_secretsecretsecretsecret';

const ctx: ResendDiagnosisContext = {
  baseUrl: 'https://api.resend.com',
  host: 'api.resend.com',
  port: 443,
  baseUrlFromEnv: false,
  names: { apiKey: 'RESEND_API_KEY', sender: 'RESEND_SENDER_EMAIL' },
  maskedKey: 're_…(36 chars)',
  sender: 'noreply@example.com',
  senderDomain: 'example.com',
  recipient: 'someone@elsewhere.test',
};

const send = (f: Partial<ResendFailure>): ResendFailure => ({ operation: 'send', path: '/emails', message: '', ...f });
const list = (f: Partial<ResendFailure>): ResendFailure => ({ operation: 'list-domains', path: '/domains?limit=100', message: '', ...f });
const net = (stage: 'dns' | 'connect' | 'tls' | 'http', code: string, extra: Partial<ResendFailure> = {}): ResendFailure =>
  list({ message: 'Unable to fetch data. The request could not be resolved.', network: { stage, code, message: `${code} happened` }, ...extra });

/** Every documented error (field notes §3) and every network cause, with the diagnosis and exit code it must get. */
const table: { name: string; failure: ResendFailure; id: string; exit: number }[] = [
  {
    name: 'an HTML 403 from a proxy (not the API)',
    failure: list({ statusCode: 403, name: 'mailcheck_not_api', message: 'an answer that is not JSON (text/html, 512 bytes)' }),
    id: 'resend.bad-response',
    exit: ExitCode.protocol,
  },
  {
    name: 'a redirect (the API never redirects)',
    failure: send({ statusCode: 302, name: 'mailcheck_not_api', message: 'a redirect to https://login.example/' }),
    id: 'resend.bad-response',
    exit: ExitCode.protocol,
  },
  {
    name: 'missing key (401)',
    failure: list({ statusCode: 401, name: 'missing_api_key', message: 'Missing API key in the authorization header.' }),
    id: 'resend.key.missing',
    exit: ExitCode.auth,
  },
  {
    name: 'invalid key (403 invalid_api_key)',
    failure: list({ statusCode: 403, name: 'invalid_api_key', message: 'API key is invalid' }),
    id: 'resend.key.invalid',
    exit: ExitCode.auth,
  },
  {
    name: 'invalid key reported as validation_error',
    failure: list({ statusCode: 400, name: 'validation_error', message: 'API key is invalid' }),
    id: 'resend.key.invalid',
    exit: ExitCode.auth,
  },
  {
    name: 'restricted key used where full access is needed',
    failure: list({ statusCode: 401, name: 'restricted_api_key', message: 'This API key is restricted to only send emails' }),
    id: 'resend.key.restricted',
    exit: ExitCode.auth,
  },
  {
    name: 'sandbox account',
    failure: send({
      statusCode: 403,
      name: 'validation_error',
      message:
        'You can only send testing emails to your own email address (owner@example.com). To send emails to other recipients, please verify a domain at resend.com/domains, and change the `from` address to an email using this domain.',
    }),
    id: 'resend.sandbox',
    exit: ExitCode.envelope,
  },
  {
    name: 'domain not verified',
    failure: send({
      statusCode: 403,
      name: 'validation_error',
      message: 'The example.com domain is not verified. Please, add and verify your domain on https://resend.com/domains',
    }),
    id: 'resend.domain.not-verified',
    exit: ExitCode.envelope,
  },
  {
    name: 'invalid from (422 invalid_from_address)',
    failure: send({ statusCode: 422, name: 'invalid_from_address', message: 'Invalid `from` field.' }),
    id: 'resend.from.invalid',
    exit: ExitCode.envelope,
  },
  {
    name: 'missing from',
    failure: send({ statusCode: 422, name: 'missing_required_field', message: 'Missing `from` field.' }),
    id: 'resend.from.invalid',
    exit: ExitCode.envelope,
  },
  {
    name: 'bad recipient (422 validation_error)',
    failure: send({
      statusCode: 422,
      name: 'validation_error',
      message: 'Invalid `to` field. The email address needs to follow the `email@example.com` format.',
    }),
    id: 'resend.recipient.invalid',
    exit: ExitCode.envelope,
  },
  {
    name: 'rate limit (429)',
    failure: send({ statusCode: 429, name: 'rate_limit_exceeded', message: 'Too many requests.', retries: 2, retryAfterSeconds: 1 }),
    id: 'resend.rate-limit',
    exit: ExitCode.temporary,
  },
  {
    name: 'daily quota',
    failure: send({ statusCode: 429, name: 'daily_quota_exceeded', message: 'You have reached your daily email sending quota.' }),
    id: 'resend.quota.daily',
    exit: ExitCode.temporary,
  },
  {
    name: 'monthly quota',
    failure: send({ statusCode: 429, name: 'monthly_quota_exceeded', message: 'You have reached your monthly email sending quota.' }),
    id: 'resend.quota.monthly',
    exit: ExitCode.temporary,
  },
  {
    name: '500 internal_server_error',
    failure: send({ statusCode: 500, name: 'internal_server_error', message: 'An unexpected error occurred.' }),
    id: 'resend.server-error',
    exit: ExitCode.temporary,
  },
  {
    name: '500 application_error',
    failure: send({ statusCode: 500, name: 'application_error', message: 'Internal server error.' }),
    id: 'resend.server-error',
    exit: ExitCode.temporary,
  },
  {
    name: '502 from a proxy (no JSON)',
    failure: list({
      statusCode: 502,
      name: 'application_error',
      message: 'Internal server error. We are unable to process your request right now, please try again later.',
    }),
    id: 'resend.server-error',
    exit: ExitCode.temporary,
  },
  {
    name: '501 is not temporary',
    failure: list({ statusCode: 501, name: 'application_error', message: 'Not Implemented' }),
    id: 'resend.bad-response',
    exit: ExitCode.protocol,
  },
  {
    name: '404 on the API root',
    failure: list({ statusCode: 404, name: 'not_found', message: 'The requested endpoint does not exist.' }),
    id: 'resend.endpoint.not-found',
    exit: ExitCode.protocol,
  },
  { name: 'DNS failure', failure: net('dns', 'ENOTFOUND'), id: 'resend.network.dns', exit: ExitCode.network },
  { name: 'DNS server down', failure: net('dns', 'EAI_AGAIN'), id: 'resend.network.dns', exit: ExitCode.network },
  { name: 'connection refused', failure: net('connect', 'ECONNREFUSED'), id: 'resend.network.refused', exit: ExitCode.network },
  { name: 'connect timeout', failure: net('connect', 'ETIMEDOUT', { timeoutMs: 5000 }), id: 'resend.network.timeout', exit: ExitCode.network },
  { name: 'no answer after connecting', failure: net('http', 'ETIMEDOUT', { timeoutMs: 5000 }), id: 'resend.network.timeout', exit: ExitCode.network },
  { name: 'unreachable network', failure: net('connect', 'ENETUNREACH'), id: 'resend.network.other', exit: ExitCode.network },
  { name: 'self-signed certificate', failure: net('tls', 'DEPTH_ZERO_SELF_SIGNED_CERT'), id: 'resend.tls.certificate', exit: ExitCode.tls },
  { name: 'intercepting proxy', failure: net('tls', 'SELF_SIGNED_CERT_IN_CHAIN'), id: 'resend.tls.certificate', exit: ExitCode.tls },
  { name: 'expired certificate', failure: net('tls', 'CERT_HAS_EXPIRED'), id: 'resend.tls.certificate', exit: ExitCode.tls },
  { name: 'wrong host certificate', failure: net('tls', 'ERR_TLS_CERT_ALTNAME_INVALID'), id: 'resend.tls.certificate', exit: ExitCode.tls },
  { name: 'https to a plain server', failure: net('tls', 'ERR_SSL_WRONG_VERSION_NUMBER'), id: 'resend.tls.handshake', exit: ExitCode.tls },
  { name: 'answer that is not the API', failure: net('http', 'EBADRESPONSE'), id: 'resend.bad-response', exit: ExitCode.protocol },
  {
    name: 'unknown 4xx on send',
    failure: send({ statusCode: 409, name: 'concurrent_idempotent_requests', message: 'Same idempotency key used concurrently.' }),
    id: 'resend.unknown',
    exit: ExitCode.envelope,
  },
  { name: 'unknown 403', failure: send({ statusCode: 403, name: 'invalid_access', message: 'Access denied.' }), id: 'resend.unknown', exit: ExitCode.auth },
];

describe('Resend API failures -> diagnosis', () => {
  it.each(table)('$name -> $id', ({ failure, id, exit }) => {
    const d = diagnoseResendFailure(failure, ctx);
    expect(d.id).toBe(id);
    expect(exitCodeFor([d.class])).toBe(exit);
    expect(d.summary).not.toMatch(/\n/);
    expect(d.causes.length).toBeGreaterThan(0);
    expect(d.fixes.length).toBeGreaterThan(0);
  });

  it('covers every rule id with a row (no rule is dead)', () => {
    const covered = new Set(table.map((row) => row.id));
    expect([...resendDiagnosisIds].filter((id) => !covered.has(id))).toEqual([]);
  });

  it('quotes the API words with status and name, but claims no words from the API for network failures', () => {
    expect(diagnoseResendFailure(list({ statusCode: 403, name: 'invalid_api_key', message: 'API key is invalid' }), ctx).serverSaid).toBe(
      '403 invalid_api_key: API key is invalid',
    );
    expect(diagnoseResendFailure(net('connect', 'ECONNREFUSED'), ctx).serverSaid).toBeUndefined();
  });

  it('names the variables the user set: RESEND_API_KEY for keys, RESEND_SENDER_EMAIL for senders', () => {
    const keyFixes = diagnoseResendFailure(list({ statusCode: 403, name: 'invalid_api_key', message: 'API key is invalid' }), ctx).fixes.join('\n');
    expect(keyFixes).toContain('set RESEND_API_KEY');
    const domain = diagnoseResendFailure(send({ statusCode: 403, name: 'validation_error', message: 'The example.com domain is not verified.' }), ctx);
    expect(domain.summary).toContain('RESEND_SENDER_EMAIL');
    expect(domain.fixes.join('\n')).toContain('set RESEND_SENDER_EMAIL');
    expect(diagnoseResendFailure(send({ statusCode: 422, name: 'invalid_from_address', message: 'Invalid `from` field.' }), ctx).fixes.join('\n')).toContain(
      'RESEND_SENDER_EMAIL=noreply@yourdomain.com',
    );
  });

  it('through the SMTP relay, names SMTP_PASSWORD and explains the bare 535 a revoked key gives there', () => {
    const relay = { ...ctx, names: { apiKey: 'SMTP_PASSWORD', sender: 'SMTP_SENDER' }, viaSmtpRelay: true };
    const d = diagnoseResendFailure(list({ statusCode: 403, name: 'invalid_api_key', message: 'API key is invalid' }), relay);
    expect(d.summary).toContain('SMTP_PASSWORD');
    expect(d.summary).toMatch(/revoked/);
    expect(d.causes.join('\n')).toMatch(/535/);
    expect(d.fixes.join('\n')).toContain('set SMTP_PASSWORD');
  });

  it("suggests Resend's test inbox for a sandbox account and a bad recipient", () => {
    expect(
      diagnoseResendFailure(
        send({ statusCode: 403, name: 'validation_error', message: 'You can only send testing emails to your own email address (me@x.com).' }),
        ctx,
      ).fixes.join('\n'),
    ).toContain('delivered@resend.dev');
    expect(diagnoseResendFailure(send({ statusCode: 422, name: 'validation_error', message: 'Invalid `to` field.' }), ctx).fixes.join('\n')).toContain(
      'delivered@resend.dev',
    );
  });

  it('names the domain from the API message and explains subdomains', () => {
    const d = diagnoseResendFailure(
      send({
        statusCode: 403,
        name: 'validation_error',
        message: 'The mail.example.com domain is not verified. Please, add and verify your domain on https://resend.com/domains',
      }),
      { ...ctx, senderDomain: 'mail.example.com' },
    );
    expect(d.summary).toContain('mail.example.com');
    expect(d.causes.join('\n')).toMatch(/verifying example\.com does not cover mail\.example\.com/);
  });

  it('says how rate limiting was handled: retried as asked, or not retried and why', () => {
    const retried = diagnoseResendFailure(
      send({ statusCode: 429, name: 'rate_limit_exceeded', message: 'Too many requests.', retries: 2, retryAfterSeconds: 1, rateLimit: { limit: 2 } }),
      ctx,
    );
    expect(retried.summary).toContain('3 times');
    expect(retried.causes.join('\n')).toMatch(/honoured retry-after \(1 s\) and retried 2 times/);
    expect(retried.causes.join('\n')).toContain('2 requests per second');
    const tooLong = diagnoseResendFailure(
      send({ statusCode: 429, name: 'rate_limit_exceeded', message: 'Too many requests.', retries: 0, retryAfterSeconds: 60 }),
      ctx,
    );
    expect(tooLong.causes.join('\n')).toMatch(/asked to wait 60 s, longer than mailcheck waits/);
  });

  it('points at RESEND_BASE_URL only when the user set it', () => {
    const failure = net('connect', 'ECONNREFUSED');
    expect(diagnoseResendFailure(failure, ctx).fixes.join('\n')).not.toContain('RESEND_BASE_URL');
    const local = { ...ctx, baseUrl: 'http://127.0.0.1:9', host: '127.0.0.1', port: 9, baseUrlFromEnv: true };
    expect(diagnoseResendFailure(failure, local).causes.join('\n')).toContain('RESEND_BASE_URL');
    // A wrong base URL is a configuration problem; the same 404 from the real API is not.
    const notFound = list({ statusCode: 404, name: 'not_found', message: 'The requested endpoint does not exist.' });
    expect(diagnoseResendFailure(notFound, local).class).toBe('config');
  });

  it('never advises turning off certificate verification, and warns against it', () => {
    const d = diagnoseResendFailure(net('tls', 'SELF_SIGNED_CERT_IN_CHAIN'), ctx);
    expect(d.fixes.join('\n')).toMatch(/do not set NODE_TLS_REJECT_UNAUTHORIZED=0/);
    expect(d.fixes.join('\n')).toContain('NODE_EXTRA_CA_CERTS');
    expect(d.causes.join('\n')).toMatch(/proxy|antivirus/);
  });

  it('never contains the key, only its masked form', () => {
    for (const row of table) {
      const text = JSON.stringify(diagnoseResendFailure(row.failure, ctx));
      expect(text).not.toContain(key);
      expect(text).not.toContain('secretsecret');
    }
  });
});

describe('sender domain findings -> diagnosis', () => {
  const records = [
    { record: 'SPF', type: 'MX', name: 'send', value: 'feedback-smtp.us-east-1.amazonses.com', priority: 10, status: 'verified' },
    { record: 'SPF', type: 'TXT', name: 'send', value: '"v=spf1 include:amazonses.com ~all"', status: 'pending' },
    { record: 'DKIM', type: 'TXT', name: 'resend._domainkey', value: `p=${'A'.repeat(200)}`, status: 'pending' },
  ];
  const cases: { problem: DomainProblem; id: string }[] = [
    { problem: { kind: 'not-added', domain: 'example.com', listed: ['other.org'], related: [], incomplete: false }, id: 'resend.domain.not-added' },
    { problem: { kind: 'subdomain', domain: 'mail.example.com', parent: { name: 'example.com', status: 'verified' } }, id: 'resend.domain.subdomain' },
    { problem: { kind: 'not-verified', domain: 'example.com', status: 'pending', records }, id: 'resend.domain.not-verified' },
    { problem: { kind: 'sending-disabled', domain: 'example.com' }, id: 'resend.domain.sending-disabled' },
  ];

  it.each(cases)('$problem.kind -> $id, an envelope failure (exit 7)', ({ problem, id }) => {
    const d = diagnoseDomainProblem(problem, ctx);
    expect(d.id).toBe(id);
    expect(exitCodeFor([d.class])).toBe(ExitCode.envelope);
  });

  it('covers every domain id', () => {
    expect(cases.map((c) => c.id).sort()).toEqual([...domainDiagnosisIds].sort());
  });

  it('lists the records still missing, one per fix, and not the verified ones', () => {
    const d = diagnoseDomainProblem(cases[2]!.problem, ctx);
    const recordFixes = d.fixes.filter((f) => f.startsWith('add to the DNS zone'));
    expect(recordFixes).toHaveLength(2);
    expect(recordFixes[0]).toContain('TXT send -> "v=spf1 include:amazonses.com ~all" [pending]');
    expect(recordFixes.join('\n')).not.toContain('MX send');
    expect(d.causes[0]).toMatch(/still looking for the DNS records/);
  });

  it('explains a subdomain of a verified domain and offers the parent as the quick fix', () => {
    const d = diagnoseDomainProblem(cases[1]!.problem, ctx);
    expect(d.summary).toMatch(/subdomain of example\.com \(verified\)/);
    expect(d.fixes.join('\n')).toContain('set RESEND_SENDER_EMAIL to an address @example.com, which is verified');
  });

  it('shows the close matches when the exact domain is missing', () => {
    const d = diagnoseDomainProblem(
      {
        kind: 'not-added',
        domain: 'example.com',
        listed: ['mail.example.com'],
        related: [{ name: 'mail.example.com', status: 'verified' }],
        incomplete: false,
      },
      ctx,
    );
    expect(d.causes.join('\n')).toContain('mail.example.com (verified)');
    expect(d.fixes.join('\n')).toContain('@mail.example.com');
  });

  it('stores the set-up steps in the order they are done, an alternative last', () => {
    const verify = diagnoseDomainProblem(cases[2]!.problem, ctx).fixes;
    expect(verify[0]).toMatch(/^add to the DNS zone/);
    expect(verify.at(-1)).toMatch(/^then press Verify/);
    for (const problem of [
      cases[1]!.problem,
      { ...(cases[0]!.problem as Extract<DomainProblem, { kind: 'not-added' }>), related: [{ name: 'mail.example.com', status: 'verified' }] },
    ]) {
      const fixes = diagnoseDomainProblem(problem, ctx).fixes;
      expect(fixes[0]).toMatch(/^add /);
      expect(fixes.at(-1)).toMatch(/^or set RESEND_SENDER_EMAIL/);
    }
  });

  it('clips a DKIM value instead of printing hundreds of characters', () => {
    const text = describeRecord({ record: 'DKIM', type: 'TXT', name: 'resend._domainkey', value: `p=${'A'.repeat(200)}`, status: 'pending' });
    expect(text.length).toBeLessThan(140);
    expect(text).toContain('202 chars');
  });
});
