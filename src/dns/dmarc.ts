/**
 * DMARC records (RFC 7489 §6.3), read for the policy and the alignment modes, and found as
 * receivers find them: at the sending domain, else up the DNS tree (RFC 9989's tree walk). Pure.
 */

import type { DnsAnswer } from './records.js';

type DmarcPolicy = 'none' | 'quarantine' | 'reject';
type AlignmentMode = 'r' | 's';

export interface ParsedDmarc {
  /** Absent when the record is not valid (then receivers ignore it: no DMARC at all). */
  policy?: DmarcPolicy;
  /** sp=: what a subdomain without a record of its own gets. */
  subdomainPolicy?: DmarcPolicy;
  /** np= (RFC 9091): what a subdomain that does not exist gets. */
  nonexistentPolicy?: DmarcPolicy;
  /** psd= (RFC 9989): y for a public suffix's record, n for an organizational domain's; absent (or u) when it says neither. */
  publicSuffix?: 'y' | 'n';
  aspf: AlignmentMode;
  adkim: AlignmentMode;
  pct: number;
  rua?: string;
  /** Errors that make receivers ignore the record. */
  errors: string[];
  /** Tags that are wrong but not fatal (receivers fall back to the default). */
  warnings: string[];
}

const knownTags = new Set(['v', 'p', 'sp', 'adkim', 'aspf', 'pct', 'rua', 'ruf', 'fo', 'rf', 'ri', 'np', 't', 'psd']);
const policies: readonly string[] = ['none', 'quarantine', 'reject'];

/** `v=DMARC1` first, then tag=value pairs separated by `;` (§6.4). Receivers discard any other TXT record at _dmarc. */
function isDmarcRecord(text: string): boolean {
  return /^v\s*=\s*DMARC1\s*(;|$)/i.test(text);
}

/** The DMARC records in a _dmarc TXT answer: the ones receivers keep. */
export function dmarcRecordsIn(answer: DnsAnswer<string>): string[] {
  return answer.kind === 'found' ? answer.records.filter(isDmarcRecord) : [];
}

export function parseTags(text: string): { tags: Map<string, string>; duplicates: string[]; malformed: string[] } {
  const tags = new Map<string, string>();
  const duplicates: string[] = [];
  const malformed: string[] = [];
  for (const part of text.split(';')) {
    const piece = part.trim();
    if (piece === '') continue;
    const eq = piece.indexOf('=');
    if (eq <= 0) {
      malformed.push(piece);
      continue;
    }
    const name = piece.slice(0, eq).trim().toLowerCase();
    const value = piece.slice(eq + 1).trim();
    if (tags.has(name)) duplicates.push(name);
    else tags.set(name, value);
  }
  return { tags, duplicates, malformed };
}

export function parseDmarc(record: string): ParsedDmarc {
  const { tags, duplicates, malformed } = parseTags(record);
  const errors: string[] = [];
  const warnings: string[] = [];
  if (!isDmarcRecord(record)) errors.push('the record does not start with v=DMARC1');
  for (const name of duplicates) errors.push(`the tag ${name}= appears twice`);
  for (const piece of malformed) warnings.push(`"${piece}" is not a tag=value pair`);
  for (const name of tags.keys()) if (!knownTags.has(name)) warnings.push(`unknown tag ${name}= (ignored)`);

  // The policy tags (RFC 9989 §4.10.1): a p= that is missing or not a policy, or an sp= or np=
  // that is present but not one, leaves receivers two ways: with at least one usable report
  // address in rua= they act as if the record said p=none; without, they apply no DMARC at all.
  const policyTag = (name: 'p' | 'sp' | 'np'): DmarcPolicy | 'invalid' | undefined => {
    const value = tags.get(name)?.toLowerCase();
    if (value === undefined) return undefined;
    return policies.includes(value) ? (value as DmarcPolicy) : 'invalid';
  };
  const [p, sp, np] = (['p', 'sp', 'np'] as const).map(policyTag);
  const wrong = [
    ...(p === undefined ? ['no p= tag'] : []),
    ...(['p', 'sp', 'np'] as const).filter((_, i) => [p, sp, np][i] === 'invalid').map((name) => `${name}=${tags.get(name)} is not none, quarantine or reject`),
  ];
  let policy: DmarcPolicy | undefined;
  if (wrong.length === 0) policy = p as DmarcPolicy;
  else if (hasReportAddress(tags.get('rua'))) {
    policy = 'none';
    warnings.push(`${wrong.join('; ')}: with a rua= address receivers treat the record as p=none`);
  } else errors.push(`${wrong.join('; ')} (and no rua= address, so receivers apply no DMARC)`);
  const psd = tags.get('psd')?.toLowerCase();
  if (psd !== undefined && !['y', 'n', 'u'].includes(psd)) warnings.push(`psd=${tags.get('psd')} is not y, n or u (ignored)`);
  const mode = (name: 'aspf' | 'adkim'): AlignmentMode => {
    const value = tags.get(name)?.toLowerCase();
    if (value === undefined || value === 'r') return 'r';
    if (value === 's') return 's';
    warnings.push(`${name}=${tags.get(name)} is not r or s (receivers use r)`);
    return 'r';
  };
  const aspf = mode('aspf');
  const adkim = mode('adkim');
  let pct = 100;
  const pctText = tags.get('pct');
  if (pctText !== undefined) {
    if (/^\d{1,3}$/.test(pctText) && Number(pctText) <= 100) pct = Number(pctText);
    else warnings.push(`pct=${pctText} is not a number from 0 to 100 (receivers use 100)`);
  }
  const parsed: ParsedDmarc = { aspf, adkim, pct, errors, warnings };
  if (errors.length === 0 && policy) parsed.policy = policy;
  // With a wrong policy tag the record stands as p=none for every name it covers.
  if (wrong.length === 0 && sp) parsed.subdomainPolicy = sp as DmarcPolicy;
  if (wrong.length === 0 && np) parsed.nonexistentPolicy = np as DmarcPolicy;
  if (psd === 'y' || psd === 'n') parsed.publicSuffix = psd;
  const rua = tags.get('rua');
  if (rua) parsed.rua = rua;
  return parsed;
}

/** Whether rua= holds at least one URI receivers can send reports to (mailto:, as RFC 9989 §4.7 gives them; a size limit after `!`). */
function hasReportAddress(rua: string | undefined): boolean {
  return (rua ?? '').split(',').some((uri) => /^mailto:[^@\s!]+@[^@\s!]+(![0-9]+[kmgt]?)?$/i.test(uri.trim()));
}

/**
 * The names a DMARC tree walk (RFC 9989 §4.10) asks after the sending domain's own _dmarc, nearest
 * first: its parents, up to the top-level label. A name of more than 8 labels is first cut to its
 * last 7, so that no walk takes more than 8 queries, however long a name the sender makes up.
 */
export function dmarcTreeWalk(domain: string): string[] {
  const labels = domain.split('.');
  const names: string[] = [];
  for (let count = Math.min(labels.length - 1, 7); count >= 1; count--) names.push(labels.slice(-count).join('.'));
  return names;
}

/** The policy receivers apply to a domain: its value, the tag it comes from, and the _dmarc name of the record. */
export interface DmarcPolicyAt {
  policy: DmarcPolicy;
  tag: 'p' | 'sp' | 'np';
  at: string;
}

export interface InheritedDmarc {
  /** The domain whose _dmarc record applies. */
  domain: string;
  record: string;
  parsed: ParsedDmarc;
  /** That domain is the organizational domain, or the public suffix above it (psd=y) when the organizational domain has no record. */
  as: 'organizational domain' | 'public suffix';
}

/**
 * The record receivers judge a domain without one of its own by (RFC 9989 §4.10.1-2), given the
 * walk's finds (the domain and its one DMARC record, nearest first; a name with none, or with
 * several, is left out). The organizational domain is the first find with psd=n; else the name
 * one label below the first find with psd=y; else the find highest up (fewest labels). Its record
 * applies; when it has none (psd=y above a domain without a record), the public suffix's does.
 */
export function inheritedDmarc(sendingDomain: string, found: readonly { domain: string; record: string }[]): InheritedDmarc | undefined {
  const finds = found.map((find) => ({ ...find, parsed: parseDmarc(find.record) }));
  for (const find of finds) {
    if (find.parsed.publicSuffix === 'n') return { ...find, as: 'organizational domain' };
    if (find.parsed.publicSuffix === 'y') {
      const labels = sendingDomain.split('.');
      const organizational = labels.slice(-(find.domain.split('.').length + 1)).join('.');
      const own = finds.find((f) => f.domain === organizational);
      return own ? { ...own, as: 'organizational domain' } : { ...find, as: 'public suffix' };
    }
  }
  const highest = finds.at(-1);
  return highest && { ...highest, as: 'organizational domain' };
}

/**
 * The policy an inherited record sets for a subdomain below it: sp= (np= when the subdomain does
 * not exist), each falling back to p= (RFC 9989 §4.10.1). At its own domain a record's p= applies.
 */
export function subdomainPolicy(parsed: ParsedDmarc & { policy: DmarcPolicy }, exists: boolean): Omit<DmarcPolicyAt, 'at'> {
  if (!exists && parsed.nonexistentPolicy) return { tag: 'np', policy: parsed.nonexistentPolicy };
  if (parsed.subdomainPolicy) return { tag: 'sp', policy: parsed.subdomainPolicy };
  return { tag: 'p', policy: parsed.policy };
}
