/**
 * Turns one failed Resend API call (the SDK's `{ name, statusCode, message }`, or what the network
 * probe found when there was no HTTP answer) into a diagnosis, in the user's own variable names.
 * Also explains the sender-domain findings of the domain lookup, which are not API errors but
 * the most common reason sending fails.
 *
 * An ordered table; the first rule whose `matches` is true wins. Rules branch on the error name
 * and status first and read the API's words only where Resend reuses one name for several
 * causes (`validation_error` covers sandbox, unverified domain, bad recipient and bad keys).
 * Pure: no I/O, no clock.
 */
import type { FailureClass } from '../exit-codes.js';
import { FirstMatchTable } from '../rule-engine.js';
import { ruleKit, RuleTable } from './engine.js';
import type { Diagnosis, DiagnosisTexts } from './types.js';
import { hostPort } from '../config/host-port.js';

/** The API call that failed. */
export type ResendOperation = 'list-domains' | 'get-domain' | 'send';

/** Where a request with no HTTP answer failed, as the probe of the API's host found it. */
type NetworkStage = 'dns' | 'connect' | 'tls' | 'http';

export interface NetworkCause {
  stage: NetworkStage;
  /** Node/OpenSSL code: ENOTFOUND, ECONNREFUSED, ETIMEDOUT, DEPTH_ZERO_SELF_SIGNED_CERT, ...; EBADRESPONSE when everything connected. */
  code: string;
  /** Node's own words, redacted and terminal-safe. */
  message: string;
}

/** What went wrong in one API call, as facts. Texts are already redacted and terminal-safe. */
export interface ResendFailure {
  operation: ResendOperation;
  /** The API path, e.g. /emails. */
  path: string;
  /** The HTTP status; undefined when no HTTP answer arrived. */
  statusCode?: number;
  /** The API's error name (validation_error, rate_limit_exceeded...). */
  name?: string;
  /** The API's words (or the SDK's, when the API said nothing readable). */
  message: string;
  /** Set when there was no HTTP answer: the real cause, which the SDK hides. */
  network?: NetworkCause;
  /** The request was bounded by this many ms (for timeouts). */
  timeoutMs?: number;
  /** Rate limiting: how long the API asked to wait, and how often mailcheck retried. */
  retryAfterSeconds?: number;
  retries?: number;
  rateLimit?: { limit?: number; remaining?: number; resetSeconds?: number };
}

/** The configuration as diagnosis needs it. */
export interface ResendDiagnosisContext {
  /** The API base URL, e.g. https://api.resend.com. */
  baseUrl: string;
  host: string;
  port: number;
  /** The base URL came from RESEND_BASE_URL rather than the SDK's default. */
  baseUrlFromEnv: boolean;
  /** The variable names the user set: RESEND_API_KEY, or SMTP_PASSWORD when the key is the relay password. */
  names: { apiKey: string; sender: string };
  /** Masked key (prefix and length only), e.g. `re_…(36 chars)`. */
  maskedKey: string;
  sender?: string;
  senderDomain?: string;
  recipient?: string;
  /** The key is also the password of Resend's SMTP relay. */
  viaSmtpRelay?: boolean;
}

const { rule } = ruleKit<ResendFailure, ResendDiagnosisContext>({ serverSaid: (f) => serverSaid(f) });

/** The API's words with its status and error name. Without an HTTP answer the API said nothing: the summary names the cause. */
function serverSaid(f: ResendFailure): string | undefined {
  // mailcheck_* names are mailcheck's own finding about an answer that is not the API's: the summary says it.
  if (f.network || f.statusCode === undefined || f.name?.startsWith('mailcheck_')) return undefined;
  return `${f.statusCode}${f.name ? ` ${f.name}` : ''}: ${f.message}`;
}

// ---------------------------------------------------------------------------------------------
// Facts

const named = (f: ResendFailure, ...names: string[]): boolean => f.name !== undefined && names.includes(f.name);
const status = (f: ResendFailure, ...codes: number[]): boolean => f.statusCode !== undefined && codes.includes(f.statusCode);
const networkCode = (f: ResendFailure, ...codes: string[]): boolean => f.network !== undefined && codes.includes(f.network.code.toUpperCase());

const sandboxRe = /only send testing emails|own email address|testing emails to|sandbox/i;
const unverifiedDomainRe = /domain is not verified|not verified.*domain|verify (your|the) domain/i;
const invalidKeyRe = /api key is invalid|invalid api key|api key.*(revoked|not found|does not exist)/i;
const fromFieldRe = /`from`|\bfrom\b (field|address)|sender/i;
const toFieldRe = /`to`|\bto\b field|recipient/i;

/** The domain named in "The xy.com domain is not verified", which may not be the sender's. */
function domainInMessage(message: string): string | undefined {
  return /\b(?:the\s+)?([a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+)\s+domain\b/i.exec(message)?.[1]?.toLowerCase();
}

const certCodes = [
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
];

// ---------------------------------------------------------------------------------------------
// Words

const keysPage = 'https://resend.com/api-keys';
const domainsPage = 'https://resend.com/domains';
const statusPage = 'https://resend-status.com';
const neverDisable = 'do not set NODE_TLS_REJECT_UNAUTHORIZED=0 to "fix" this: it would let anyone in between read your API key';

const hostPortOf = (ctx: ResendDiagnosisContext): string => hostPort(ctx.host, ctx.port);

/** The fix for a base URL that points at the wrong place, only when the user set one. */
function baseUrlFix(ctx: ResendDiagnosisContext): string[] {
  return ctx.baseUrlFromEnv ? [`check RESEND_BASE_URL=${ctx.baseUrl}: for the real API, unset it (the default is https://api.resend.com)`] : [];
}

function operationWords(op: ResendOperation): string {
  switch (op) {
    case 'list-domains':
      return 'list the domains';
    case 'get-domain':
      return 'read the domain records';
    case 'send':
      return 'send the test email';
  }
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

// ---------------------------------------------------------------------------------------------
// The rules, in order: first match wins

const resendRules = [
  // Checked first: an answer that is not the API's says nothing about the key, the sender or the quota.
  rule(
    'resend.bad-response',
    'protocol',
    // mailcheck_not_api: an HTML page, a redirect or an endless body, so nothing the API said (and no verdict about the key).
    (f) => (f.network?.stage === 'http' && f.network.code === 'EBADRESPONSE') || status(f, 501, 505) || named(f, 'mailcheck_not_api'),
    (f, ctx) => ({
      summary: `${hostPortOf(ctx)} answered, but not as the Resend API${named(f, 'mailcheck_not_api') ? ` (HTTP ${f.statusCode ?? '?'}: ${f.message})` : ''}`,
      causes: [
        'a captive portal, proxy or firewall answered in place of the API (an HTML page instead of JSON)',
        ...(ctx.baseUrlFromEnv ? ['RESEND_BASE_URL points at another service'] : []),
      ],
      fixes: [...baseUrlFix(ctx), `open ${ctx.baseUrl} in a browser from this machine to see who answers`],
    }),
  ),

  // --- Keys -----------------------------------------------------------------------------------
  rule(
    'resend.key.missing',
    'auth',
    (f) => named(f, 'missing_api_key'),
    (_f, ctx) => ({
      summary: 'the request reached Resend without an API key',
      causes: [
        `${ctx.names.apiKey} is empty where the request is made, or was not passed to the client`,
        'a proxy between you and the API removed the Authorization header',
      ],
      fixes: [...baseUrlFix(ctx), `set ${ctx.names.apiKey} to a key from ${keysPage}`],
    }),
  ),
  rule(
    'resend.key.restricted',
    'auth',
    (f) => named(f, 'restricted_api_key'),
    (f, ctx) => ({
      summary: `the API key in ${ctx.names.apiKey} is a sending-only key, so it may not ${operationWords(f.operation)}`,
      causes: ['the key was created with "Sending access" (optionally limited to one domain) rather than "Full access"'],
      fixes: [
        'a sending-only key is the right choice for an app that only sends; mailcheck needs full access only to inspect domains',
        `to let mailcheck check the domain, create a full-access key at ${keysPage} and pass it for this run only`,
      ],
    }),
  ),
  rule(
    'resend.key.invalid',
    'auth',
    (f) => named(f, 'invalid_api_key') || ((named(f, 'validation_error') || status(f, 400, 401, 403)) && invalidKeyRe.test(f.message)),
    (_f, ctx) => ({
      summary: `Resend rejected the API key in ${ctx.names.apiKey} (${ctx.maskedKey}): it is invalid or has been revoked`,
      causes: [
        'the key was deleted or regenerated in the Resend dashboard: a revoked key stops working at once',
        'the value was copied incompletely, or it is a key of another Resend account or team',
        ...(ctx.viaSmtpRelay ? [`over SMTP the same key shows up only as a bare "535 Authentication failed": ${ctx.names.apiKey} is the API key`] : []),
      ],
      fixes: [
        `compare it with the keys listed at ${keysPage} (the dashboard shows each key's first characters)`,
        `create a new key at ${keysPage} and set ${ctx.names.apiKey} to it`,
      ],
    }),
  ),

  // --- Who may send to whom -------------------------------------------------------------------
  rule(
    'resend.sandbox',
    'envelope',
    (f) => status(f, 403, 422) && sandboxRe.test(f.message),
    (_f, ctx) => ({
      summary: `this Resend account may only send test emails to its owner's address${ctx.recipient ? `, not to ${ctx.recipient}` : ''}`,
      causes: [
        `no domain of yours is verified yet, so ${ctx.sender ? `${ctx.sender} can only use` : 'the account can only use'} Resend's shared testing domain (resend.dev), which delivers only to the address the account was created with`,
      ],
      fixes: [
        'to test right now: mailcheck test --to <the address you signed up with>, or --to delivered@resend.dev',
        `verify your own domain at ${domainsPage}, then set ${ctx.names.sender} to an address on it (noreply@yourdomain.com)`,
      ],
    }),
  ),
  rule(
    'resend.domain.not-verified',
    'envelope',
    (f) => status(f, 403, 422) && unverifiedDomainRe.test(f.message),
    (f, ctx) => {
      const domain = domainInMessage(f.message) ?? ctx.senderDomain ?? "the sender's domain";
      const isSubdomain = domain.split('.').length > 2;
      return {
        summary: `the domain of ${ctx.names.sender} (${domain}) is not verified in this Resend account`,
        causes: [
          `${domain} was added at ${domainsPage} but its DNS records (SPF and DKIM) are not in place yet, or Resend has not seen them yet`,
          `${domain} was never added to this account (it may be verified in another account or team)`,
          ...(isSubdomain ? [`Resend verifies each subdomain on its own: verifying ${domain.split('.').slice(1).join('.')} does not cover ${domain}`] : []),
        ],
        fixes: [
          'run `mailcheck doctor` with a full-access key to see the DNS records Resend expects and the status of each',
          `or set ${ctx.names.sender} to an address on a domain that is already verified`,
          `add ${domain} at ${domainsPage}, create the DNS records it lists, and press Verify`,
        ],
      };
    },
  ),
  rule(
    'resend.from.invalid',
    'envelope',
    (f) => named(f, 'invalid_from_address') || (status(f, 422, 400) && named(f, 'validation_error', 'missing_required_field') && fromFieldRe.test(f.message)),
    (_f, ctx) => ({
      summary: `Resend refused the from address in ${ctx.names.sender}${ctx.sender ? ` (${ctx.sender})` : ''}`,
      causes: ['the value is not `email@example.com` or `Name <email@example.com>`: stray quotes, a missing `>`, or spaces inside the address'],
      fixes: [`set ${ctx.names.sender}=noreply@yourdomain.com, or ${ctx.names.sender}="Your App <noreply@yourdomain.com>"`],
    }),
  ),
  rule(
    'resend.recipient.invalid',
    'envelope',
    (f) =>
      f.operation === 'send' && status(f, 422, 400) && named(f, 'validation_error', 'missing_required_field', 'invalid_parameter') && toFieldRe.test(f.message),
    (_f, ctx) => ({
      summary: `Resend refused the recipient${ctx.recipient ? ` ${ctx.recipient}` : ''}`,
      causes: ['the address is not `email@example.com` (a typo, spaces, or a missing domain)'],
      fixes: ["pass a full address: --to you@example.com, or Resend's test inbox --to delivered@resend.dev"],
    }),
  ),

  // --- Limits ---------------------------------------------------------------------------------
  rule(
    'resend.quota.daily',
    'temporary',
    (f) => named(f, 'daily_quota_exceeded'),
    () => ({
      summary: 'the daily sending quota of this Resend account is used up',
      causes: ['the free plan allows 100 emails per day; every test email counts', 'a CI job that sends on every run spends it quickly'],
      fixes: [
        'in CI, run `mailcheck doctor` (it sends nothing) instead of `mailcheck test`',
        'wait for the quota to reset, or raise it at https://resend.com/settings/billing',
      ],
    }),
  ),
  rule(
    'resend.quota.monthly',
    'temporary',
    (f) => named(f, 'monthly_quota_exceeded'),
    () => ({
      summary: 'the monthly sending quota of this Resend account is used up',
      causes: ['the free plan allows 3,000 emails per month; every test email counts'],
      fixes: [
        'in CI, run `mailcheck doctor` (it sends nothing) instead of `mailcheck test`',
        'wait for the next month, or upgrade the plan at https://resend.com/settings/billing',
      ],
    }),
  ),
  rule(
    'resend.rate-limit',
    'temporary',
    (f) => named(f, 'rate_limit_exceeded') || status(f, 429),
    (f) => {
      const limit = f.rateLimit?.limit;
      const retries = f.retries ?? 0;
      const waited =
        retries > 0
          ? `mailcheck honoured retry-after${f.retryAfterSeconds !== undefined ? ` (${f.retryAfterSeconds} s)` : ''} and retried ${plural(retries, 'time', 'times')}; it was still limited`
          : f.retryAfterSeconds !== undefined
            ? `the API asked to wait ${f.retryAfterSeconds} s, longer than mailcheck waits, so it did not retry`
            : 'the API gave no retry-after, so mailcheck did not retry';
      return {
        summary: `Resend's rate limit was hit${retries > 0 ? ` ${plural(retries + 1, 'time', 'times')} in a row` : ''}`,
        causes: [
          `the account allows ${limit !== undefined ? `${limit} requests` : 'a few requests'} per second, and other code using the same key was sending at the same moment`,
          'a retry loop in the app sends faster than the limit',
          waited,
        ],
        fixes: ['space out requests in the app (or batch them), or ask Resend for a higher limit', 'run mailcheck again in a moment'],
      };
    },
  ),

  // --- The API itself -------------------------------------------------------------------------
  rule(
    'resend.server-error',
    'temporary',
    (f) => f.statusCode !== undefined && f.statusCode >= 500 && f.statusCode !== 501 && f.statusCode !== 505,
    (f, ctx) => ({
      summary: `the Resend API failed on its side (${f.statusCode})`,
      causes: [
        'an outage or a deploy at Resend',
        ...(f.statusCode === 502 || f.statusCode === 503 || f.statusCode === 504 ? ['a proxy or gateway between you and the API could not reach it'] : []),
      ],
      fixes: [...baseUrlFix(ctx), `check ${statusPage}`, 'try again in a few minutes: nothing in your configuration caused this'],
    }),
  ),
  rule(
    'resend.endpoint.not-found',
    (_f, ctx) => (ctx.baseUrlFromEnv ? 'config' : 'protocol'),
    (f) => f.operation !== 'get-domain' && (named(f, 'not_found', 'method_not_allowed') || status(f, 404, 405)),
    (f, ctx) => ({
      summary: `${ctx.baseUrl} has no ${f.path}: it does not behave like the Resend API`,
      causes: [
        ctx.baseUrlFromEnv
          ? 'RESEND_BASE_URL points at another service, or carries a path (it should be the bare origin)'
          : 'something between you and the API answered instead of Resend',
      ],
      fixes: [...baseUrlFix(ctx), 'check for a proxy or firewall that rewrites HTTPS traffic'],
    }),
  ),
  // --- Network (the SDK hides these; the probe recovered them) --------------------------------
  rule(
    'resend.network.dns',
    'network',
    (f) => f.network?.stage === 'dns',
    (f, ctx) => ({
      summary: `cannot resolve ${ctx.host}${networkCode(f, 'EAI_AGAIN') ? ': the DNS server did not answer' : ''}`,
      causes: [
        networkCode(f, 'EAI_AGAIN') ? 'the DNS server is unreachable or slow (temporary)' : 'this machine has no working DNS or no internet access',
        ...(ctx.baseUrlFromEnv ? [`a typo in the host of RESEND_BASE_URL=${ctx.baseUrl}`] : []),
      ],
      fixes: [...baseUrlFix(ctx), `check name resolution on this machine: nslookup ${ctx.host}`],
    }),
  ),
  rule(
    'resend.network.refused',
    'network',
    (f) => networkCode(f, 'ECONNREFUSED'),
    (_f, ctx) => ({
      summary: `${hostPortOf(ctx)} refused the connection`,
      causes: [
        ctx.baseUrlFromEnv
          ? 'nothing listens there: RESEND_BASE_URL points at a stopped server or the wrong port'
          : 'a firewall or proxy on the way rejects HTTPS to the API',
      ],
      fixes: [...baseUrlFix(ctx), `check that ${hostPortOf(ctx)} is reachable from this machine`],
    }),
  ),
  rule(
    'resend.network.timeout',
    'network',
    (f) => networkCode(f, 'ETIMEDOUT', 'ESOCKETTIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT'),
    (f, ctx) => {
      const connected = f.network?.stage === 'http';
      return {
        summary: connected
          ? `${hostPortOf(ctx)} accepted the connection but did not answer within ${f.timeoutMs ?? 'the'} ms`
          : `no connection to ${hostPortOf(ctx)} within ${f.timeoutMs ?? 'the'} ms`,
        causes: connected
          ? ['the API or a proxy in between is overloaded or stuck', 'the time limit is too short for this network']
          : ['outbound HTTPS is blocked or silently dropped by a firewall (common on locked-down servers)', 'the network is down or very slow'],
        fixes: connected
          ? [...baseUrlFix(ctx), 'give it more time: --timeout 15s']
          : [...baseUrlFix(ctx), 'give it more time: --timeout 15s', `allow outbound connections to ${hostPortOf(ctx)} in the firewall`],
      };
    },
  ),
  rule(
    'resend.tls.certificate',
    'tls',
    (f) => f.network?.stage === 'tls' && networkCode(f, ...certCodes),
    (f, ctx) => {
      const code = f.network!.code.toUpperCase();
      const cause =
        code === 'SELF_SIGNED_CERT_IN_CHAIN'
          ? 'an antivirus or corporate proxy intercepts HTTPS and re-signs it with its own root, which Node does not trust'
          : code === 'DEPTH_ZERO_SELF_SIGNED_CERT'
            ? `${ctx.host} presented a self-signed certificate (a test server, or an intercepting proxy)`
            : code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID'
              ? "the certificate is outside its validity dates: check this machine's clock, then the server"
              : code === 'ERR_TLS_CERT_ALTNAME_INVALID'
                ? `the certificate is for another name than ${ctx.host}: something else answers for this host`
                : 'the certificate was issued by an authority this machine does not know (a proxy or a private CA)';
      return {
        summary: `the TLS certificate of ${hostPortOf(ctx)} could not be verified (${code})`,
        causes: [cause],
        fixes: [neverDisable, 'if an intercepting proxy is intended, trust its root for Node: NODE_EXTRA_CA_CERTS=path/to/proxy-ca.pem', ...baseUrlFix(ctx)],
      };
    },
  ),
  rule(
    'resend.tls.handshake',
    'tls',
    (f) => f.network?.stage === 'tls',
    (_f, ctx) => ({
      summary: `the TLS handshake with ${hostPortOf(ctx)} failed`,
      causes: [
        ctx.baseUrlFromEnv
          ? 'RESEND_BASE_URL says https:// but the server there speaks plain HTTP (or another protocol)'
          : 'a proxy or firewall breaks TLS on the way',
      ],
      fixes: [...baseUrlFix(ctx), neverDisable],
    }),
  ),
  rule(
    'resend.network.other',
    'network',
    (f) => f.network !== undefined,
    (f, ctx) => ({
      summary: `the connection to ${hostPortOf(ctx)} failed (${f.network!.code})`,
      causes: ['the network between this machine and the API is unreachable or dropped the connection'],
      fixes: [...baseUrlFix(ctx), `check that ${ctx.host} is reachable from this machine`],
    }),
  ),
];

/** Class for the catch-all, from the status alone. */
function fallbackClass(f: ResendFailure): FailureClass {
  const code = f.statusCode;
  if (code === undefined) return 'network';
  if (code === 401 || code === 403) return 'auth';
  if (code === 429) return 'temporary';
  if (code >= 500) return 'temporary';
  // A request mailcheck itself built was refused: only a send can be the user's envelope.
  if (code >= 400) return f.operation === 'send' ? 'envelope' : 'protocol';
  return 'protocol';
}

const unknownRule = rule(
  'resend.unknown',
  fallbackClass,
  () => true,
  (f, ctx) => ({
    summary: `the Resend API refused to ${operationWords(f.operation)}${f.statusCode !== undefined ? ` (${f.statusCode}${f.name ? ` ${f.name}` : ''})` : ''}`,
    causes: ["no known pattern matched; the API's own words above are the best clue"],
    fixes: [`check ${ctx.names.apiKey} and ${ctx.names.sender} against https://resend.com/docs/api-reference/errors`],
  }),
);

const resendTable = new RuleTable<ResendFailure, ResendDiagnosisContext, ResendDiagnosisId>(resendRules, unknownRule);

export type ResendDiagnosisId = (typeof resendRules)[number]['id'] | (typeof unknownRule)['id'];

/** Every id a diagnosis of an API failure can carry. */
export const resendDiagnosisIds: readonly ResendDiagnosisId[] = resendTable.ids;

export function diagnoseResendFailure(failure: ResendFailure, ctx: ResendDiagnosisContext): Diagnosis {
  return resendTable.diagnose(failure, ctx);
}

// ---------------------------------------------------------------------------------------------
// The sender's domain, as the domain list shows it (facts from src/resend/domains.ts)

/** One DNS record Resend expects, ready to show. */
export interface ExpectedRecord {
  /** SPF, DKIM, ... (Resend's grouping). */
  record: string;
  type: string;
  /** As Resend gives it: relative to the DNS zone (e.g. `send`, `resend._domainkey`). */
  name: string;
  value: string;
  priority?: number;
  status: string;
}

export type DomainProblem =
  /** The sender's domain is not in this account; `related` are listed domains that are its parent or child. */
  | { kind: 'not-added'; domain: string; listed: string[]; related: { name: string; status: string }[]; incomplete: boolean }
  /** The sender is on a subdomain of a domain that is in the account. */
  | { kind: 'subdomain'; domain: string; parent: { name: string; status: string } }
  /** Added but not (fully) verified for sending. */
  | { kind: 'not-verified'; domain: string; status: string; records: ExpectedRecord[] }
  | { kind: 'sending-disabled'; domain: string };

/**
 * "MX send -> feedback-smtp.us-east-1.amazonses.com (priority 10) [pending]", long values (DKIM)
 * clipped. Names are as Resend gives them: relative to the DNS zone.
 */
export function describeRecord(r: ExpectedRecord): string {
  const value = r.value.length > 48 ? `${r.value.slice(0, 40)}…(${r.value.length} chars; copy it from the dashboard)` : r.value;
  const priority = r.priority !== undefined ? ` (priority ${r.priority})` : '';
  return `${r.type} ${r.name} -> ${value}${priority} [${r.status}]`;
}

const statusCauses: Record<string, string> = {
  not_started: 'verification was never started: after creating the DNS records, press Verify in the dashboard',
  pending: 'Resend is still looking for the DNS records; this usually takes minutes, and can take up to 72 hours',
  failed: 'Resend did not find the DNS records within 72 hours and gave up; fix them and press Verify again',
  partially_failed: 'some DNS records were found and others were not',
  partially_verified: 'some DNS records are verified and the ones needed for sending are not',
  temporary_failure: 'a DNS lookup of the records failed temporarily; Resend retries on its own',
};

type DomainProblemOf<K extends DomainProblem['kind']> = Extract<DomainProblem, { kind: K }>;

/** A domain lookup quotes no words of Resend's: the summary says what the account holds. */
const domain = ruleKit<DomainProblem, ResendDiagnosisContext>({ serverSaid: () => undefined, fixesAreSteps: true });

/**
 * A rule for one kind of domain problem. Setting a domain up is a sequence of steps, so these
 * rules write their fixes in the order they are done, an alternative ("or ...") last.
 */
function onDomain<K extends DomainProblem['kind'], Id extends string>(
  kind: K,
  id: Id,
  make: (p: DomainProblemOf<K>, ctx: ResendDiagnosisContext) => DiagnosisTexts,
) {
  return domain.rule(
    id,
    'envelope',
    (p) => p.kind === kind,
    (p, ctx) => make(p as DomainProblemOf<K>, ctx),
  );
}

const domainRules = [
  onDomain('not-added', 'resend.domain.not-added', (problem, ctx) => {
    const related = problem.related.map((r) => `${r.name} (${r.status})`);
    return {
      summary: `${problem.domain}, the domain of ${ctx.names.sender}, is not a domain of this Resend account`,
      causes: [
        problem.listed.length
          ? `the account has ${plural(problem.listed.length, 'domain', 'domains')}${problem.incomplete ? ' (first page)' : ''}: ${problem.listed.slice(0, 5).join(', ')}${problem.listed.length > 5 ? ', …' : ''}`
          : 'the account has no domains yet',
        ...(related.length ? [`close, but not the same: ${related.join(', ')}; Resend verifies each domain and subdomain on its own`] : []),
        `the key in ${ctx.names.apiKey} may belong to another account or team than the one where ${problem.domain} is verified`,
      ],
      fixes: [
        `add ${problem.domain} at ${domainsPage}, create the DNS records it lists, and press Verify`,
        ...(problem.related[0] ? [`or set ${ctx.names.sender} to an address @${problem.related[0].name}`] : []),
      ],
    };
  }),
  onDomain('subdomain', 'resend.domain.subdomain', (problem, ctx) => ({
    summary: `${ctx.names.sender} is on ${problem.domain}, a subdomain of ${problem.parent.name} (${problem.parent.status}); Resend does not cover subdomains`,
    causes: [`Resend verifies each subdomain on its own: ${problem.parent.name} being added does not let you send from ${problem.domain}`],
    fixes: [
      `add ${problem.domain} as a domain of its own at ${domainsPage} and create its DNS records`,
      `or set ${ctx.names.sender} to an address @${problem.parent.name}${problem.parent.status === 'verified' ? ', which is verified' : ''}`,
    ],
  })),
  onDomain('not-verified', 'resend.domain.not-verified', (problem, ctx) => {
    const unverified = problem.records.filter((r) => r.status !== 'verified');
    const shown = unverified.length ? unverified : problem.records;
    return {
      summary: `${problem.domain}, the domain of ${ctx.names.sender}, is not verified in Resend (status: ${problem.status})`,
      causes: [statusCauses[problem.status] ?? `its status is ${problem.status}`],
      fixes: [
        // One record per line: people copy them into their DNS provider one at a time.
        ...shown.map((r) => `add to the DNS zone of ${problem.domain}: ${describeRecord(r)}`),
        'recommended once it verifies: a DMARC record, TXT _dmarc "v=DMARC1; p=none;"',
        `then press Verify at ${domainsPage} (or wait: Resend keeps checking)`,
      ],
    };
  }),
  onDomain('sending-disabled', 'resend.domain.sending-disabled', (problem) => ({
    summary: `sending is turned off for ${problem.domain} in Resend`,
    causes: ['the domain was set up for receiving only, or sending was disabled in its settings'],
    fixes: [`enable the sending capability of ${problem.domain} at ${domainsPage}`],
  })),
];

const domainTable = new FirstMatchTable(domainRules);

export type DomainDiagnosisId = (typeof domainRules)[number]['id'];
/** Every id a domain diagnosis can carry, read off the table. */
export const domainDiagnosisIds: readonly DomainDiagnosisId[] = domainTable.ids;

/** The diagnosis of a sender-domain finding; every kind of problem has a rule, so there always is one. */
export function diagnoseDomainProblem(problem: DomainProblem, ctx: ResendDiagnosisContext): Diagnosis {
  const diagnosis = domainTable.first(problem, ctx);
  if (!diagnosis) throw new Error(`no rule for domain problem ${problem.kind}`);
  return diagnosis;
}
