/**
 * Reading Resend's rate-limit headers and deciding whether to wait and retry. Pure, so the
 * policy is a table test; the waiting itself happens in client.ts.
 */

export interface RateLimitInfo {
  /** How long the API asked to wait (retry-after, else ratelimit-reset), in seconds. */
  retryAfterSeconds?: number;
  limit?: number;
  remaining?: number;
  resetSeconds?: number;
}

/** Retries are bounded in number and in each wait, so a rate-limited run still ends quickly. */
export interface RetryPolicy {
  maxRetries: number;
  maxWaitMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { maxRetries: 2, maxWaitMs: 10_000 };

function seconds(text: string | undefined): number | undefined {
  if (text === undefined || !/^\s*\d+(\.\d+)?\s*$/.test(text)) return undefined;
  return Number(text);
}

/** retry-after is either delay-seconds or an HTTP date (RFC 9110 §10.2.3). */
function retryAfter(text: string | undefined, now: number): number | undefined {
  const delay = seconds(text);
  if (delay !== undefined) return delay;
  if (text === undefined) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

/** Header names arrive lower-cased from the SDK (it copies fetch's Headers). */
export function readRateLimit(headers: Record<string, string> | null | undefined, now = Date.now()): RateLimitInfo {
  const h = headers ?? {};
  const info: RateLimitInfo = {};
  const limit = seconds(h['ratelimit-limit']);
  const remaining = seconds(h['ratelimit-remaining']);
  const reset = seconds(h['ratelimit-reset']);
  if (limit !== undefined) info.limit = limit;
  if (remaining !== undefined) info.remaining = remaining;
  if (reset !== undefined) info.resetSeconds = reset;
  const wait = retryAfter(h['retry-after'], now) ?? reset;
  if (wait !== undefined) info.retryAfterSeconds = wait;
  return info;
}

/**
 * The wait before the next attempt, or undefined to stop: no retries left, or the API asks for
 * longer than mailcheck is willing to wait. Without any hint, one second (Resend's window).
 */
export function nextWaitMs(info: RateLimitInfo, retriesSoFar: number, policy: RetryPolicy): number | undefined {
  if (retriesSoFar >= policy.maxRetries) return undefined;
  const waitMs = Math.round((info.retryAfterSeconds ?? 1) * 1000);
  return waitMs <= policy.maxWaitMs ? waitMs : undefined;
}
