/**
 * The resend SDK, made fit for diagnosis. The SDK has no timeout, resolves HTTP errors instead of
 * throwing (so callers easily mistake them for success), and turns every network failure into the
 * same causeless `application_error`. This wrapper bounds each call, accepts a result only when it
 * has the shape a success must have, recovers the network cause with a probe, honours
 * retry-after on rate limits (bounded), and records every request and answer in the transcript.
 * Answers are read through boundedFetch (node:http(s), so that --dns-server applies): bounded in size, nesting and time, never followed
 * through a redirect, and told apart when they are not the API's JSON at all.
 */
import { randomUUID } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest, type Agent, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  Resend,
  type CreateEmailOptions,
  type CreateEmailResponseSuccess,
  type ErrorResponse,
  type GetDomainResponseSuccess,
  type ListDomainsResponseSuccess,
} from 'resend';
import type { ResendFailure, ResendOperation } from '../diagnose/resend-rules.js';
import { Scrubber } from '../safety/secrets.js';
import { connectLookup } from '../dns/host.js';
import { safeLine } from '../safety/text.js';
import type { TranscriptRecorder } from '../report/transcript.js';
import type { ResendEndpoint } from './endpoint.js';
import { probeEndpoint } from './probe.js';
import { defaultRetryPolicy, nextWaitMs, readRateLimit, type RetryPolicy } from './rate-limit.js';
import { hostPort } from '../config/host-port.js';

export interface ResendClientOptions {
  key: string;
  endpoint: ResendEndpoint;
  /** Bound for each request (and for each step of the network probe). */
  timeoutMs: number;
  recorder: TranscriptRecorder;
  /** --dns-server: the only DNS server asked for the API's host, by the requests and the probe alike. */
  dnsServer?: string;
  signal?: AbortSignal;
  retry?: RetryPolicy;
}

export type ApiResult<T> = { ok: true; data: T; headers: Record<string, string>; retries: number } | { ok: false; failure: ResendFailure; aborted: boolean };

/** What every SDK call resolves with (its `Response<T>`, with the error made optional-shaped). */
interface SdkResponse<T> {
  data: T | null;
  error: ErrorResponse | null;
  headers: Record<string, string> | null;
}

interface Call<T> {
  operation: ResendOperation;
  method: 'GET' | 'POST';
  path: string;
  /** Shown after the request line, e.g. the from and to of a send. */
  note?: string;
  run: (requestOptions: { signal: AbortSignal }) => Promise<SdkResponse<T>>;
  /** A success must have this shape; anything else is reported as a bad response, never as success. */
  isValid: (data: T) => boolean;
  describe: (data: T) => string;
}

export class ResendClient {
  private readonly sdk: Resend;
  /** Every request carries the key, so everything the API answers may echo it (safety/secrets.ts). */
  private readonly scrubber: Scrubber;

  constructor(private readonly o: ResendClientOptions) {
    this.sdk = createSdk(o.key, o.endpoint.baseUrl, connectLookup({ server: o.dnsServer, timeoutMs: o.timeoutMs }));
    this.scrubber = new Scrubber().add(o.key);
  }

  listDomains(): Promise<ApiResult<ListDomainsResponseSuccess>> {
    // One page of 100 (the API's maximum) covers nearly every account; more is reported as such.
    return this.call({
      operation: 'list-domains',
      method: 'GET',
      path: '/domains?limit=100',
      run: (ro) => this.sdk.domains.list({ limit: 100 }, ro),
      isValid: (d) => Array.isArray(d?.data) && d.data.every((x) => typeof x?.name === 'string' && typeof x?.status === 'string'),
      describe: (d) => `${d.data.length} domain${d.data.length === 1 ? '' : 's'}: ${d.data.map((x) => `${x.name} (${x.status})`).join(', ') || 'none'}`,
    });
  }

  getDomain(id: string): Promise<ApiResult<GetDomainResponseSuccess>> {
    // The id comes from the API, which we do not trust to keep it path-safe.
    const path = `/domains/${encodeURIComponent(id)}`;
    return this.call({
      operation: 'get-domain',
      method: 'GET',
      path,
      run: (ro) => this.sdk.domains.get(encodeURIComponent(id), ro),
      isValid: (d) => typeof d?.name === 'string' && (d.records === undefined || Array.isArray(d.records)),
      describe: (d) => `${d.name} ${d.status}, ${d.records?.length ?? 0} DNS records`,
    });
  }

  sendEmail(payload: CreateEmailOptions & { from: string; to: string }): Promise<ApiResult<CreateEmailResponseSuccess>> {
    // One key for every attempt: a send retried after a rate limit never goes out twice.
    const idempotencyKey = `mailcheck-${randomUUID()}`;
    return this.call({
      operation: 'send',
      method: 'POST',
      path: '/emails',
      note: `from=${payload.from} to=${payload.to}`,
      run: (ro) => this.sdk.emails.send(payload, { ...ro, idempotencyKey }),
      isValid: (d) => typeof d?.id === 'string' && d.id !== '',
      describe: (d) => `accepted, id ${d.id}`,
    });
  }

  private async call<T>(c: Call<T>): Promise<ApiResult<T>> {
    const policy = this.o.retry ?? defaultRetryPolicy;
    for (let retries = 0; ; retries++) {
      if (this.o.signal?.aborted) return this.aborted(c);
      this.record('client', `${c.method} ${c.path}${c.note ? `  ${c.note}` : ''}`);
      const timeout = AbortSignal.timeout(this.o.timeoutMs);
      const signal = this.o.signal ? AbortSignal.any([timeout, this.o.signal]) : timeout;
      let response: SdkResponse<T>;
      try {
        response = await c.run({ signal });
      } catch (error) {
        // The SDK resolves its failures; a throw is unexpected, and still no success.
        response = { data: null, error: { name: 'application_error', statusCode: null, message: String((error as Error)?.message ?? error) }, headers: null };
      }
      if (this.o.signal?.aborted) return this.aborted(c);

      if (response.error === null && response.data !== null && response.data !== undefined) {
        if (c.isValid(response.data)) {
          // Domain names, ids and record values end up in checks and diagnoses: make them safe once, here.
          const data = this.sanitize(response.data) as T;
          this.record('server', `ok: ${c.describe(data)}`);
          return { ok: true, data, headers: response.headers ?? {}, retries };
        }
        this.record('server', 'an answer without the fields a success has');
        return this.failed(this.badResponse(c, 'the API answered, but without the fields a successful answer has'));
      }
      if (response.error === null) return this.failed(this.badResponse(c, 'the API answered with an empty body'));

      const failure = await this.failureFrom(c, response, timeout.aborted);
      if (!isRateLimit(failure)) return this.failed(failure);

      // Rate limited: wait as asked, a bounded number of times, and say so.
      const info = readRateLimit(response.headers);
      failure.retries = retries;
      if (info.retryAfterSeconds !== undefined) failure.retryAfterSeconds = info.retryAfterSeconds;
      const rateLimit: NonNullable<ResendFailure['rateLimit']> = {};
      if (info.limit !== undefined) rateLimit.limit = info.limit;
      if (info.remaining !== undefined) rateLimit.remaining = info.remaining;
      if (info.resetSeconds !== undefined) rateLimit.resetSeconds = info.resetSeconds;
      failure.rateLimit = rateLimit;
      const waitMs = nextWaitMs(info, retries, policy);
      const asked = info.retryAfterSeconds !== undefined ? `retry-after ${info.retryAfterSeconds} s` : 'no retry-after given';
      if (waitMs === undefined) {
        this.info(
          retries >= policy.maxRetries
            ? `rate limited again (${asked}); giving up after ${retries} retries`
            : `rate limited (${asked}); mailcheck waits at most ${policy.maxWaitMs / 1000} s, so it does not retry`,
        );
        return this.failed(failure);
      }
      this.info(`rate limited (${asked}): waiting ${waitMs} ms, then retry ${retries + 1} of ${policy.maxRetries}`);
      try {
        await sleep(waitMs, undefined, this.o.signal ? { signal: this.o.signal } : undefined);
      } catch {
        return this.aborted(c);
      }
    }
  }

  /** The SDK's error as facts; with no HTTP answer, the probe supplies the real cause. */
  private async failureFrom<T>(c: Call<T>, response: SdkResponse<T>, timedOut: boolean): Promise<ResendFailure> {
    const error = response.error as Partial<ErrorResponse> & Record<string, unknown>;
    const message = typeof error.message === 'string' ? error.message : JSON.stringify(error);
    const failure: ResendFailure = { operation: c.operation, path: c.path, message: this.safe(message) };
    if (typeof error.name === 'string') failure.name = this.safe(error.name);
    if (typeof error.statusCode === 'number') failure.statusCode = error.statusCode;
    // The SDK leaves headers null exactly when no HTTP answer arrived (or a success was unreadable).
    const answered = response.headers !== null;
    if (answered) {
      this.record('server', `${failure.statusCode ?? '(no status)'} ${failure.name ?? ''}: ${failure.message}`);
      return failure;
    }
    this.info(
      timedOut
        ? `no answer within ${this.o.timeoutMs} ms`
        : `no usable HTTP answer (the SDK says: ${message}); probing ${hostPort(this.o.endpoint.host, this.o.endpoint.port)} to find out why`,
    );
    let cause = await probeEndpoint(this.o.endpoint, {
      timeoutMs: this.o.timeoutMs,
      ...(this.o.dnsServer ? { dnsServer: this.o.dnsServer } : {}),
      onStep: (text) => this.info(text),
    });
    if (timedOut && cause.code === 'EBADRESPONSE') {
      cause = { stage: 'http', code: 'ETIMEDOUT', message: `connected, but no complete answer within ${this.o.timeoutMs} ms` };
    }
    failure.network = { ...cause, message: this.safe(cause.message) };
    if (timedOut || cause.code === 'ETIMEDOUT') failure.timeoutMs = this.o.timeoutMs;
    this.info(`${cause.stage === 'http' ? 'HTTP' : cause.stage.toUpperCase()} failed: ${cause.code} ${cause.message}`);
    return failure;
  }

  private badResponse<T>(c: Call<T>, message: string): ResendFailure {
    return { operation: c.operation, path: c.path, message, network: { stage: 'http', code: 'EBADRESPONSE', message } };
  }

  private failed<T>(failure: ResendFailure): ApiResult<T> {
    return { ok: false, failure, aborted: false };
  }

  private aborted<T>(c: Call<T>): ApiResult<T> {
    return { ok: false, failure: { operation: c.operation, path: c.path, message: 'interrupted' }, aborted: true };
  }

  private safe(text: string): string {
    return safeLine(this.scrubber.scrub(text));
  }

  /** Every string in an API answer, redacted and made terminal-safe; the shape is kept. */
  private sanitize(value: unknown): unknown {
    if (typeof value === 'string') return this.safe(value);
    if (Array.isArray(value)) return value.map((item) => this.sanitize(item));
    if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.sanitize(v)]));
    return value;
  }

  private record(dir: 'client' | 'server', text: string): void {
    this.o.recorder.record(dir, text, this.o.endpoint.secure);
  }

  private info(text: string): void {
    this.o.recorder.record('info', text, false);
  }
}

/** A 429 that waiting fixes; the quota errors share the status but not the remedy. */
function isRateLimit(f: ResendFailure): boolean {
  if (f.name === 'daily_quota_exceeded' || f.name === 'monthly_quota_exceeded') return false;
  return f.name === 'rate_limit_exceeded' || f.statusCode === 429;
}

/**
 * The SDK prints failed responses to stderr when RESEND_DEBUG=true, past our redaction; every
 * request is in our transcript anyway, so its debug flag (read from process.env once, by the
 * constructor) is turned off on the instance. process.env itself is left alone: mailcheck may run
 * inside someone else's program (the library), whose environment is not ours to change.
 */
function createSdk(key: string, baseUrl: string, lookup: LookupFunction | undefined): Resend {
  // An empty key would make the SDK fall back to process.env.RESEND_API_KEY: a different key than the one checked.
  if (key === '') throw new Error('ResendClient needs a non-empty key (lint stops empty ones before this)');
  const sdk = new Resend(key, { baseUrl });
  (sdk as unknown as { debug: boolean }).debug = false;
  useBoundedFetch(sdk, baseUrl, lookup);
  return sdk;
}

/** Far beyond any real answer (a list of 100 domains is ~50 KB); bounds what a hostile endpoint can cost. */
export const maxBodyBytes = 1024 * 1024;
/** The API's answers nest a few levels; a deeper document is not one of them (and would exhaust the stack of whoever walks it). */
export const maxJsonDepth = 32;

/** The SDK's `{ data, error, headers }` answer, as its fetchRequest returns it. */
type SdkAnswer = { data: unknown; error: { name: string; statusCode: number | null; message: string } | null; headers: Record<string, string> | null };

/**
 * The SDK reads every answer whole (`response.text()` or `.json()`), follows redirects, and takes
 * any JSON error body as the API's. This reads the body with a bound on its size (checked as it
 * streams in, so a 300 MB answer costs 1 MB), on its nesting, and on time (the caller's signal
 * covers the body too); keeps redirects for the diagnosis; takes the HTTP status as the status;
 * and names answers that are not the API's JSON (`mailcheck_not_api`), so an HTML page from a
 * proxy is never read as a verdict about the key. fetchRequest is the SDK's one public door to
 * the network (every resource method calls it), so replacing it on the instance covers them all.
 */
function useBoundedFetch(sdk: Resend, baseUrl: string, lookup: LookupFunction | undefined): void {
  // Kept-alive connections are reused between the calls of one check, as fetch reuses them; idle
  // ones do not hold the process open (Node unrefs an agent's free sockets).
  const agent = new (baseUrl.startsWith('https:') ? HttpsAgent : HttpAgent)({ keepAlive: true, ...(lookup ? { lookup } : {}) });
  (sdk as unknown as { fetchRequest: (path: string, options?: RequestInit) => Promise<SdkAnswer> }).fetchRequest = (path, options = {}) =>
    boundedFetch(`${baseUrl}${path}`, options, agent);
}

async function boundedFetch(url: string, options: RequestInit, agent: Agent): Promise<SdkAnswer> {
  let response: IncomingMessage;
  try {
    response = await send(url, options, agent);
  } catch {
    // The same causeless answer the SDK gives; ResendClient probes the network for the cause.
    return {
      data: null,
      error: { name: 'application_error', statusCode: null, message: 'Unable to fetch data. The request could not be resolved.' },
      headers: null,
    };
  }
  const status = response.statusCode ?? 0;
  // As fetch presents them: lower-case names, repeated headers joined with ", ".
  const headers = Object.fromEntries(Object.entries(response.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : String(value)]));
  const notApi = (message: string): SdkAnswer => ({ data: null, error: { name: 'mailcheck_not_api', statusCode: status, message }, headers });
  if (status >= 300 && status < 400) {
    response.destroy();
    return notApi(`a redirect${headers.location ? ` to ${headers.location}` : ''}; the API never redirects`);
  }
  const body = await readBounded(response);
  if (body === undefined) return notApi(`an answer of more than ${maxBodyBytes} bytes`);
  const type = headers['content-type'] ?? 'no content type';
  const parsed = parseBoundedJson(body);
  if (parsed === undefined) {
    // A gateway's HTML error page (502 from a load balancer) or a 429 is the service being busy, as the SDK reports it.
    if (status >= 500 || status === 429) {
      return {
        data: null,
        error: {
          name: 'application_error',
          statusCode: status,
          message: 'Internal server error. We are unable to process your request right now, please try again later.',
        },
        headers,
      };
    }
    return notApi(`an answer that is not JSON (${type}, ${body.length} bytes)`);
  }
  if (status >= 200 && status < 300) return { data: parsed, error: null, headers };
  const fields = parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  if (typeof fields.message !== 'string' && typeof fields.name !== 'string') return notApi('a JSON error without the name and message the API always sends');
  return {
    data: null,
    error: {
      name: typeof fields.name === 'string' ? fields.name : 'application_error',
      statusCode: status,
      message: typeof fields.message === 'string' ? fields.message : '',
    },
    headers,
  };
}

/**
 * One request as the SDK asks for it (method, its Headers, a JSON string body, the signal), over
 * node:http(s) rather than fetch: fetch takes no `lookup`, and --dns-server must decide where
 * the API's name points (the agent carries it). Resolves once the status line and headers are in.
 */
function send(url: string, options: RequestInit, agent: Agent): Promise<IncomingMessage> {
  const target = new URL(url);
  const body = typeof options.body === 'string' ? options.body : undefined;
  const headers: Record<string, string> = Object.fromEntries(new Headers(options.headers).entries());
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(target, { method: options.method ?? 'GET', headers, agent, ...(options.signal ? { signal: options.signal } : {}) }, resolve);
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * The body as text, or undefined once it grows past maxBodyBytes (the rest is never read). The
 * request's signal covers the body too: aborting destroys the response, which rejects here.
 */
async function readBounded(response: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response) {
    size += (chunk as Buffer).byteLength;
    if (size > maxBodyBytes) {
      response.destroy();
      return undefined;
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** JSON.parse after a scan that refuses documents nested deeper than maxJsonDepth; undefined when not JSON. */
function parseBoundedJson(text: string): unknown {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') {
      if (++depth > maxJsonDepth) return undefined;
    } else if (c === '}' || c === ']') depth--;
  }
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
