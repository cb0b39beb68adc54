/**
 * The Resend API checks, in the order a send depends on them: the key (by listing domains, which
 * also tells a full-access key from a sending-only one), the sender's domain and its DNS records,
 * then, when asked, one real test email. Never prints: returns checks and diagnoses.
 */
import { hostname } from 'node:os';
import type { Domain, ListDomainsResponseSuccess } from 'resend';
import { diagnoseDomainProblem, diagnoseResendFailure, type ResendDiagnosisContext } from '../diagnose/resend-rules.js';
import type { Diagnosis } from '../diagnose/types.js';
import type { Check, Report } from '../report/model.js';
import { maskSecret } from '../safety/secrets.js';
import type { TranscriptRecorder } from '../report/transcript.js';
import { ResendClient, type ApiResult } from './client.js';
import { expectedRecords, judgeDomain, matchSenderDomain, testingDomain } from './domains.js';
import type { ResendEndpoint } from './endpoint.js';
import type { RetryPolicy } from './rate-limit.js';
import type { ResendSettings } from './settings.js';

export interface ResendCheckOptions {
  settings: ResendSettings;
  endpoint: ResendEndpoint;
  /** Send one test email to this address. Without it, nothing is sent. */
  recipient?: string;
  /** Without a recipient: list the send as skipped, with this reason (doctor); leave it out to omit the row. */
  sendSkipReason?: string;
  timeoutMs: number;
  recorder: TranscriptRecorder;
  /** --dns-server: the only DNS server asked for the API's host. */
  dnsServer?: string;
  signal?: AbortSignal;
  retry?: RetryPolicy;
  /** Progress text for a spinner. */
  onStep?: (text: string) => void;
}

export interface ResendCheckOutcome {
  checks: Check[];
  diagnoses: Diagnosis[];
  /** Set when the API accepted the test email. */
  message?: Report['message'];
  /** Ctrl-C: the caller exits with 130 and reports nothing more. */
  aborted: boolean;
  /** The API's status of the sender's domain (verified, pending, ...), for comparing with DNS. */
  domainStatus?: string;
}

const titles = {
  domain: 'sender domain',
  send: 'test email accepted',
} as const;

function resendDiagnosisContext(o: Pick<ResendCheckOptions, 'settings' | 'endpoint' | 'recipient'>): ResendDiagnosisContext {
  const s = o.settings;
  const ctx: ResendDiagnosisContext = {
    baseUrl: o.endpoint.baseUrl,
    host: o.endpoint.host,
    port: o.endpoint.port,
    baseUrlFromEnv: o.endpoint.fromEnv,
    names: s.names,
    maskedKey: maskSecret(s.key),
    sender: s.sender.address,
    senderDomain: s.sender.domain,
    viaSmtpRelay: s.viaSmtpRelay,
  };
  if (o.recipient !== undefined) ctx.recipient = o.recipient;
  return ctx;
}

export async function runResendChecks(o: ResendCheckOptions): Promise<ResendCheckOutcome> {
  const client = new ResendClient({
    key: o.settings.key,
    endpoint: o.endpoint,
    timeoutMs: o.timeoutMs,
    recorder: o.recorder,
    ...(o.dnsServer ? { dnsServer: o.dnsServer } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.retry ? { retry: o.retry } : {}),
  });
  const ctx = resendDiagnosisContext(o);
  const keyTitle = o.settings.viaSmtpRelay ? `${o.settings.names.apiKey} as API key` : 'API key';
  const out: ResendCheckOutcome = { checks: [], diagnoses: [], aborted: false };
  const add = (id: string, status: Check['status'], title: string, detail?: string, ms?: number) => {
    const check: Check = { id, status, title };
    if (detail) check.detail = detail;
    if (ms !== undefined) check.ms = ms;
    out.checks.push(check);
  };
  const skipRest = (reason: string) => {
    add('resend.domain', 'skip', titles.domain, reason);
    if (o.recipient !== undefined || o.sendSkipReason) add('resend.send', 'skip', titles.send, reason);
  };

  // 1. The key. Listing domains needs a valid key; a sending-only key is refused with its own error name.
  o.onStep?.('checking the API key…');
  if (o.settings.viaSmtpRelay) o.recorder.record('info', `checking ${o.settings.names.apiKey} as an API key at ${o.endpoint.baseUrl}`, false);
  const listed = await timed(() => client.listDomains());
  let domains: ListDomainsResponseSuccess | undefined;
  if (listed.result.ok) {
    domains = listed.result.data;
    add('resend.key', 'pass', keyTitle, `valid, full access${retried(listed.result.retries)}`, listed.ms);
  } else if (listed.result.aborted) {
    return { ...out, aborted: true };
  } else if (listed.result.failure.name === 'restricted_api_key') {
    add(
      'resend.key',
      'warn',
      keyTitle,
      'valid, sending access only: fine for sending, but mailcheck cannot look at your domains, so the domain check is skipped',
      listed.ms,
    );
  } else {
    add('resend.key', 'fail', keyTitle, summaryOf(listed.result.failure), listed.ms);
    out.diagnoses.push(diagnoseResendFailure(listed.result.failure, ctx));
    skipRest('not checked: the API key check failed');
    return out;
  }

  // 2. The sender's domain, with the records Resend expects when it is not verified.
  let domainBlocksSending = false;
  if (!domains) {
    add('resend.domain', 'skip', titles.domain, 'needs a full-access key');
  } else {
    o.onStep?.('checking the sender domain…');
    const domainCheck = await checkDomain(client, o, domains, ctx);
    if (domainCheck.aborted) return { ...out, aborted: true };
    add('resend.domain', domainCheck.status, titles.domain, domainCheck.detail, domainCheck.ms);
    if (domainCheck.apiStatus !== undefined) out.domainStatus = domainCheck.apiStatus;
    if (domainCheck.diagnosis) out.diagnoses.push(domainCheck.diagnosis);
    domainBlocksSending = domainCheck.status === 'fail';
  }

  // 3. One real email, only when asked, and only when the API would not certainly refuse it.
  if (o.recipient === undefined) {
    if (o.sendSkipReason) add('resend.send', 'skip', titles.send, o.sendSkipReason);
    return out;
  }
  if (domainBlocksSending) {
    add('resend.send', 'skip', titles.send, 'not sent: Resend would refuse this sender (see the diagnosis)');
    return out;
  }
  o.onStep?.('sending the test email…');
  const sent = await timed(() =>
    client.sendEmail({
      from: o.settings.sender.header,
      to: o.recipient!,
      subject: 'mailcheck test message',
      text: [
        'This is a test message sent by mailcheck (https://www.npmjs.com/package/mailcheck-cli)',
        `from ${hostname()} through the Resend API to check that the email configuration works.`,
        '',
        'If you received it, sending works. No action is needed.',
      ].join('\n'),
    }),
  );
  if (sent.result.ok) {
    const id = sent.result.data.id;
    add('resend.send', 'pass', titles.send, `id ${id}${retried(sent.result.retries)}; delivery happens after this, see https://resend.com/emails`, sent.ms);
    out.message = { id, serverReply: `accepted by the Resend API (id ${id})` };
  } else if (sent.result.aborted) {
    return { ...out, aborted: true };
  } else {
    add('resend.send', 'fail', titles.send, summaryOf(sent.result.failure), sent.ms);
    out.diagnoses.push(diagnoseResendFailure(sent.result.failure, ctx));
  }
  return out;
}

interface DomainCheck {
  status: Check['status'];
  detail: string;
  ms?: number;
  diagnosis?: Diagnosis;
  aborted?: boolean;
  apiStatus?: string;
}

async function checkDomain(
  client: ResendClient,
  o: ResendCheckOptions,
  domains: ListDomainsResponseSuccess,
  ctx: ResendDiagnosisContext,
): Promise<DomainCheck> {
  const match = matchSenderDomain(o.settings.sender.domain, domains.data, domains.has_more);
  if (match.kind === 'testing') {
    return {
      status: 'warn',
      detail: `${testingDomain} is Resend's shared testing domain: it delivers only to your account's own address (and to delivered@resend.dev); verify your own domain to send to anyone else`,
    };
  }
  if (match.kind === 'missing') {
    const problem = match.problem;
    const detail =
      problem.kind === 'subdomain'
        ? `${problem.domain} is not in the account (${problem.parent.name} is; subdomains are verified separately)`
        : `${problem.domain} is not in this account`;
    return { status: 'fail', detail, diagnosis: diagnoseDomainProblem(problem, ctx) };
  }
  const domain: Domain = match.domain;
  if (domain.status === 'verified' && domain.capabilities?.sending !== 'disabled') return judged(domain, undefined);
  // Not verified: the records say what is missing, and decide the partial states.
  const detail = await timed(() => client.getDomain(domain.id));
  if (!detail.result.ok && detail.result.aborted) return { status: 'skip', detail: 'interrupted', aborted: true };
  const records = detail.result.ok ? expectedRecords(detail.result.data) : undefined;
  const verdict = judged(detail.result.ok ? { ...domain, status: detail.result.data.status } : domain, records);
  if (!detail.result.ok) verdict.detail += ` (its DNS records could not be read: ${summaryOf(detail.result.failure)})`;
  verdict.ms = detail.ms;
  return verdict;

  function judged(d: Domain, records: ReturnType<typeof expectedRecords> | undefined): DomainCheck {
    const verdict = judgeDomain(d, records);
    const check: DomainCheck = { status: verdict.status, detail: verdict.detail, apiStatus: d.status };
    if (verdict.problem) check.diagnosis = diagnoseDomainProblem(verdict.problem, ctx);
    return check;
  }
}

/** One line for the check row; the diagnosis carries the explanation. */
function summaryOf(f: { statusCode?: number; name?: string; network?: { code: string } }): string {
  if (f.network) return f.network.code === 'EBADRESPONSE' ? 'unreadable answer' : `no answer (${f.network.code})`;
  return `${f.statusCode ?? ''} ${f.name ?? 'error'}`.trim();
}

function retried(retries: number): string {
  return retries > 0 ? ` (after ${retries} rate-limit ${retries === 1 ? 'retry' : 'retries'}, waiting as retry-after asked)` : '';
}

async function timed<T>(run: () => Promise<ApiResult<T>>): Promise<{ result: ApiResult<T>; ms: number }> {
  const started = performance.now();
  const result = await run();
  return { result, ms: Math.round(performance.now() - started) };
}
