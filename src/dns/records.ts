/**
 * DNS answers as the checks see them. Pure: the queries happen in resolver.ts. Record texts here
 * are raw (a DKIM key is longer than a shown line may be); they become shown text through
 * `shownRecord` only, on their way into a report.
 */
import { safeLine } from '../safety/text.js';

/** What one query found. NXDOMAIN (the name does not exist) and NODATA (it exists, without records of this type) mean different fixes. */
export type DnsAnswer<T> =
  | { kind: 'found'; records: T[] }
  | { kind: 'nxdomain' }
  | { kind: 'nodata' }
  | { kind: 'servfail' }
  | { kind: 'timeout' }
  | { kind: 'refused' }
  | { kind: 'unreachable' }
  | { kind: 'error'; code: string };

export type DnsFailure = Exclude<DnsAnswer<never>, { kind: 'found' } | { kind: 'nxdomain' } | { kind: 'nodata' }>;

export interface MxRecord {
  exchange: string;
  priority: number;
}

/** An answer that says nothing about the records, because the lookup itself failed. */
export function isLookupFailure<T>(answer: DnsAnswer<T>): answer is DnsFailure {
  return answer.kind !== 'found' && answer.kind !== 'nxdomain' && answer.kind !== 'nodata';
}

/**
 * One TXT record from its character-strings. A string holds at most 255 bytes, so long records
 * (SPF, DKIM keys) are split into several; RFC 7208 §3.3 (and RFC 6376 §3.6.2.2 for DKIM) joins
 * them with nothing in between: a space there would be a change of the record.
 */
export function joinTxt(strings: readonly string[]): string {
  return strings.join('');
}

/** What a record may look like in a report: terminal- and log-safe; long enough for a 4096-bit key. */
export function shownRecord(text: string): string {
  return safeLine(text, 1200);
}

/** A domain name from DNS (an MX exchange, a CNAME target), made safe to show. */
export function shownName(name: string): string {
  return safeLine(name, 255);
}

/** How an answer without records reads in a report. */
export function describeEmpty(answer: Exclude<DnsAnswer<unknown>, { kind: 'found' }>): string {
  switch (answer.kind) {
    case 'nxdomain':
      return 'the name does not exist (NXDOMAIN)';
    case 'nodata':
      return 'no record of this type (NODATA)';
    case 'servfail':
      return 'the DNS server failed to answer (SERVFAIL)';
    case 'timeout':
      return 'no answer in time (timeout)';
    case 'refused':
      return 'the DNS server refused the query (REFUSED)';
    case 'unreachable':
      return 'the DNS server is unreachable (connection refused)';
    case 'error':
      return `the lookup failed (${answer.code})`;
  }
}
