/**
 * A local stand-in for the Resend API: a real HTTP(S) server on loopback that answers
 * POST /emails, GET /domains and GET /domains/:id the way the documented API does, with the same
 * status codes, error names, bodies and headers (ratelimit-*, retry-after). Point the SDK at it
 * with RESEND_BASE_URL (or the `baseUrl` option). Knobs reproduce each documented failure.
 */
import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

export type FakeDomainStatus = 'not_started' | 'pending' | 'verified' | 'failed' | 'partially_verified' | 'partially_failed' | 'temporary_failure';
export type FakeRecordStatus = 'not_started' | 'pending' | 'verified' | 'failed' | 'temporary_failure';

export interface FakeDomain {
  name: string;
  status: FakeDomainStatus;
  region?: string;
  /** Default enabled. */
  sending?: 'enabled' | 'disabled';
  /** Per-record status; by default derived from the domain status. */
  records?: Partial<Record<'spfMx' | 'spfTxt' | 'dkim', FakeRecordStatus>>;
}

/** One misbehaviour, used up by one request to its route. */
export type FakeFault =
  | 'rate-limit' // 429 rate_limit_exceeded with retry-after and ratelimit-* headers
  | 'daily-quota' // 429 daily_quota_exceeded
  | 'monthly-quota' // 429 monthly_quota_exceeded
  | 'server-error' // 500 internal_server_error (JSON)
  | 'bad-gateway' // 502 with an HTML page, as a proxy in front answers
  | 'not-json' // 200 with an HTML page (a captive portal)
  | 'no-id' // 200 JSON without the fields of a success
  | 'hang'; // accepts the request and never answers

export type FakeRoute = 'emails' | 'domains' | 'domain';

export interface FakeResendOptions {
  /** Keys with full access. */
  fullAccessKeys?: string[];
  /** Keys that may only send: GET /domains gives 401 restricted_api_key. */
  sendingOnlyKeys?: string[];
  /** How an unknown key is refused; both happen in the wild. Default invalid_api_key (403). */
  invalidKeyStyle?: 'invalid_api_key' | 'validation_error';
  /** Echo the presented key in the invalid-key message (some APIs do): tests that redaction holds. */
  echoKey?: boolean;
  domains?: FakeDomain[];
  /** The account owner's address: the only recipient allowed from the resend.dev testing domain. */
  ownerEmail?: string;
  /** Misbehaviours per route, used up in order, one per request; then the route behaves. */
  faults?: Partial<Record<FakeRoute, FakeFault[]>>;
  /** retry-after on 429 rate limits, in seconds. Default 1. */
  retryAfterSeconds?: number;
  /** Serve HTTPS with this certificate instead of plain HTTP. */
  tls?: { key: string; cert: string };
}

export interface FakeRequest {
  method: string;
  path: string;
  authorization?: string;
  idempotencyKey?: string;
  body?: unknown;
}

export interface FakeResend {
  url: string;
  port: number;
  /** Every request, in order. */
  requests: FakeRequest[];
  /** Emails accepted (each once, even when retried with the same Idempotency-Key). */
  sent: { id: string; from: string; to: string[]; subject: string }[];
  close(): Promise<void>;
}

const rateLimitPerSecond = 2;
const maxBodyBytes = 1024 * 1024;
const addressRe = /^[^\s@<>]+@[a-z0-9-]+(\.[a-z0-9-]+)+$/i;
const testRecipientRe = /^(delivered|bounced|complained|suppressed)(\+[^@]*)?@resend\.dev$/i;

/** `addr` or `Name <addr>`, as the API accepts them; undefined when neither. */
function addressOf(text: unknown): string | undefined {
  if (typeof text !== 'string') return undefined;
  const angle = /^[^<>]*<([^<>]+)>\s*$/.exec(text.trim());
  const address = (angle ? angle[1]! : text).trim();
  return addressRe.test(address) ? address.toLowerCase() : undefined;
}

function recordStatuses(domain: FakeDomain): Record<'spfMx' | 'spfTxt' | 'dkim', FakeRecordStatus> {
  const all = (s: FakeRecordStatus) => ({ spfMx: s, spfTxt: s, dkim: s });
  const base =
    domain.status === 'verified' ? all('verified')
    : domain.status === 'partially_verified' ? { spfMx: 'verified', spfTxt: 'verified', dkim: 'pending' } as const
    : domain.status === 'partially_failed' ? { spfMx: 'verified', spfTxt: 'failed', dkim: 'verified' } as const
    : domain.status === 'temporary_failure' ? all('temporary_failure')
    : all(domain.status);
  return { ...base, ...domain.records };
}

/** Record names are relative to the zone: for mail.example.com, `send.mail` in example.com. */
function recordsOf(domain: FakeDomain): unknown[] {
  const region = domain.region ?? 'us-east-1';
  const labels = domain.name.split('.');
  const sub = labels.length > 2 ? `.${labels.slice(0, -2).join('.')}` : '';
  const s = recordStatuses(domain);
  return [
    { record: 'SPF', name: `send${sub}`, type: 'MX', ttl: 'Auto', status: s.spfMx, value: `feedback-smtp.${region}.amazonses.com`, priority: 10 },
    { record: 'SPF', name: `send${sub}`, type: 'TXT', ttl: 'Auto', status: s.spfTxt, value: '"v=spf1 include:amazonses.com ~all"' },
    {
      record: 'DKIM',
      name: `resend._domainkey${sub}`,
      type: 'TXT',
      ttl: 'Auto',
      status: s.dkim,
      value: 'p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDsc4Lh8xilsngyKEgN2S84+21gn+x6SEXtjWvPiAAmnmggr5FWG42WnqczpzQ/mNblqHz4CDwUum6LtY6SdoOlDmrhvp5khA3cWjGD6WkzBoskZL1w8eG0b4iI6WLkAyE2W6tdVy5RjGT6dT1UTWbJDGlmRyDZx6XCqU/x1WChxQIDAQAB',
    },
  ];
}

/** Sending from a domain needs its SPF and DKIM records verified and sending enabled. */
function canSendFrom(domain: FakeDomain | undefined): boolean {
  if (!domain || domain.sending === 'disabled') return false;
  const s = recordStatuses(domain);
  return [s.spfMx, s.spfTxt, s.dkim].every((x) => x === 'verified' || x === 'temporary_failure');
}

export async function startFakeResend(options: FakeResendOptions = {}): Promise<FakeResend> {
  const fullAccess = new Set(options.fullAccessKeys ?? []);
  const sendingOnly = new Set(options.sendingOnlyKeys ?? []);
  const owner = (options.ownerEmail ?? 'owner@example.com').toLowerCase();
  const faults: Partial<Record<FakeRoute, FakeFault[]>> = Object.fromEntries(Object.entries(options.faults ?? {}).map(([k, v]) => [k, [...v]]));
  const domains = (options.domains ?? []).map((d) => ({ ...d, id: randomUUID(), createdAt: new Date().toISOString() }));
  const requests: FakeRequest[] = [];
  const sent: FakeResend['sent'] = [];
  const byIdempotencyKey = new Map<string, string>();
  // ratelimit-* headers from a one-second window, as the API reports them. The limit itself is
  // enforced only through the `rate-limit` fault, so tests stay deterministic.
  let windowStart = Date.now();
  let windowCount = 0;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const bodyText = await readBody(req);
    const entry: FakeRequest = { method: req.method ?? '', path: `${url.pathname}${url.search}` };
    if (req.headers.authorization) entry.authorization = req.headers.authorization;
    const idem = req.headers['idempotency-key'];
    if (typeof idem === 'string') entry.idempotencyKey = idem;
    if (bodyText) {
      try {
        entry.body = JSON.parse(bodyText);
      } catch {
        entry.body = bodyText;
      }
    }
    requests.push(entry);

    if (Date.now() - windowStart >= 1000) {
      windowStart = Date.now();
      windowCount = 0;
    }
    windowCount += 1;
    const limitHeaders = {
      'ratelimit-limit': String(rateLimitPerSecond),
      'ratelimit-remaining': String(Math.max(0, rateLimitPerSecond - windowCount)),
      'ratelimit-reset': '1',
    };
    const json = (status: number, body: unknown, extra: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...limitHeaders, ...extra });
      res.end(JSON.stringify(body));
    };
    const error = (statusCode: number, name: string, message: string, extra: Record<string, string> = {}) => json(statusCode, { statusCode, message, name }, extra);

    const route: FakeRoute | undefined =
      url.pathname === '/emails' && req.method === 'POST' ? 'emails'
      : url.pathname === '/domains' && req.method === 'GET' ? 'domains'
      : /^\/domains\/[^/]+$/.test(url.pathname) && req.method === 'GET' ? 'domain'
      : undefined;
    if (!route) {
      const known = url.pathname === '/emails' || url.pathname.startsWith('/domains');
      return known ? error(405, 'method_not_allowed', 'Method Not Allowed') : error(404, 'not_found', 'The requested endpoint does not exist.');
    }

    // Authentication first, as the API does.
    const key = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1]?.trim();
    if (!key) return error(401, 'missing_api_key', 'Missing API key in the authorization header. Include the following header `Authorization: Bearer YOUR_API_KEY` in the request.');
    if (!fullAccess.has(key) && !sendingOnly.has(key)) {
      const message = options.echoKey ? `API key ${key} is invalid` : 'API key is invalid';
      return options.invalidKeyStyle === 'validation_error' ? error(400, 'validation_error', message) : error(403, 'invalid_api_key', message);
    }
    if (route !== 'emails' && sendingOnly.has(key)) return error(401, 'restricted_api_key', 'This API key is restricted to only send emails');

    const fault = faults[route]?.shift();
    switch (fault) {
      case 'rate-limit':
        return error(429, 'rate_limit_exceeded', 'Too many requests. You can only make 2 requests per second. See rate limit response headers for more information. Or contact support to increase rate limit.', {
          'retry-after': String(options.retryAfterSeconds ?? 1),
          'ratelimit-remaining': '0',
        });
      case 'daily-quota':
        return error(429, 'daily_quota_exceeded', 'You have reached your daily email sending quota.');
      case 'monthly-quota':
        return error(429, 'monthly_quota_exceeded', 'You have reached your monthly email sending quota.');
      case 'server-error':
        return error(500, 'internal_server_error', 'An unexpected error occurred.');
      case 'bad-gateway':
        res.writeHead(502, { 'content-type': 'text/html' });
        return void res.end('<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>');
      case 'not-json':
        res.writeHead(200, { 'content-type': 'text/html' });
        return void res.end('<html><body>Please sign in to the Wi-Fi network</body></html>');
      case 'no-id':
        return json(200, { object: 'email' });
      case 'hang':
        return; // the socket stays open until the client gives up or the server closes
      case undefined:
        break;
    }

    if (route === 'domains') {
      return json(200, {
        object: 'list',
        has_more: false,
        data: domains.map((d) => ({ id: d.id, name: d.name, status: d.status, created_at: d.createdAt, region: d.region ?? 'us-east-1', capabilities: { sending: d.sending ?? 'enabled', receiving: 'disabled' } })),
      });
    }
    if (route === 'domain') {
      const id = decodeURIComponent(url.pathname.slice('/domains/'.length));
      const d = domains.find((x) => x.id === id);
      if (!d) return error(404, 'not_found', 'Domain not found');
      return json(200, {
        object: 'domain',
        id: d.id,
        name: d.name,
        status: d.status,
        created_at: d.createdAt,
        region: d.region ?? 'us-east-1',
        capabilities: { sending: d.sending ?? 'enabled', receiving: 'disabled' },
        records: recordsOf(d),
      });
    }

    // POST /emails
    if (typeof entry.body !== 'object' || entry.body === null) return error(422, 'validation_error', 'Invalid JSON body.');
    const body = entry.body as { from?: unknown; to?: unknown; subject?: unknown };
    if (body.from === undefined) return error(422, 'missing_required_field', 'Missing `from` field.');
    const from = addressOf(body.from);
    if (!from) return error(422, 'invalid_from_address', 'Invalid `from` field. The email address needs to follow the `email@example.com` or `Name <email@example.com>` format.');
    const toList = (Array.isArray(body.to) ? body.to : [body.to]) as unknown[];
    const to = toList.map(addressOf);
    if (to.length === 0 || to.some((t) => t === undefined)) {
      return error(422, 'validation_error', 'Invalid `to` field. The email address needs to follow the `email@example.com` or `Name <email@example.com>` format.');
    }
    if (typeof body.subject !== 'string') return error(422, 'missing_required_field', 'Missing `subject` field.');
    const fromDomain = from.split('@')[1]!;
    if (fromDomain === 'resend.dev') {
      const outsider = to.find((t) => t !== owner && !testRecipientRe.test(t!));
      if (outsider) {
        return error(403, 'validation_error', `You can only send testing emails to your own email address (${owner}). To send emails to other recipients, please verify a domain at resend.com/domains, and change the \`from\` address to an email using this domain.`);
      }
    } else if (!canSendFrom(domains.find((d) => d.name === fromDomain))) {
      return error(403, 'validation_error', `The ${fromDomain} domain is not verified. Please, add and verify your domain on https://resend.com/domains`);
    }
    const previous = entry.idempotencyKey ? byIdempotencyKey.get(entry.idempotencyKey) : undefined;
    if (previous) return json(200, { id: previous });
    const id = randomUUID();
    if (entry.idempotencyKey) byIdempotencyKey.set(entry.idempotencyKey, id);
    sent.push({ id, from, to: to as string[], subject: body.subject });
    return json(200, { id });
  }

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  };
  const server: Server = options.tls ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, listener) : createHttpServer(listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    requests,
    sent,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Hung requests keep their sockets open: end them so close() returns.
        server.closeAllConnections();
      }),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBodyBytes) {
        req.destroy();
        reject(new Error('body too large'));
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
