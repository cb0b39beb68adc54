/**
 * SPF records (RFC 7208) read for what a receiver will make of them, without a sender IP: the
 * syntax, and which terms cost DNS lookups. Pure; spf-tree.ts follows the includes.
 */

export type Qualifier = '+' | '-' | '~' | '?';

const mechanismNames = ['all', 'include', 'a', 'mx', 'ptr', 'ip4', 'ip6', 'exists'] as const;
type MechanismName = (typeof mechanismNames)[number];

export type SpfTerm =
  | { kind: 'mechanism'; qualifier: Qualifier; name: MechanismName; domain?: string; text: string }
  | { kind: 'modifier'; name: string; value: string; text: string };

export interface ParsedSpf {
  terms: SpfTerm[];
  /** Syntax errors, each a permerror for the receiver (RFC 7208 §4.6). */
  errors: string[];
  /** `redirect=` target, if any (only followed when there is no `all`, §6.1). */
  redirect?: string;
}

/** RFC 7208 §4.5: a record is an SPF record when it starts with exactly `v=spf1`, then a space or its end. */
export function isSpfRecord(text: string): boolean {
  return /^v=spf1(?: |$)/i.test(text);
}

/** The mechanisms and the modifier that cost a DNS lookup, counted against the limit of 10 (§4.6.4). */
export function costsLookup(term: SpfTerm): boolean {
  if (term.kind === 'modifier') return term.name === 'redirect';
  return term.name === 'include' || term.name === 'a' || term.name === 'mx' || term.name === 'ptr' || term.name === 'exists';
}

// A domain-spec: macro-string domain-end (§7.1). Macros (`%{d}`) make the name known only at
// receipt; without macros it must be a name ending in a top label that is not all digits.
const macro = /%\{[slodiphcrtv]\d*r?[.\-+,/_=]*\}|%[%_-]/gi;
const plainDomain = /^(?:[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?\.)+(?=[a-z0-9-]*[a-z])[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.?$/i;

export function hasMacro(domain: string): boolean {
  return domain.includes('%');
}

function validDomainSpec(spec: string): boolean {
  if (!hasMacro(spec)) return plainDomain.test(spec);
  // After removing valid macros, no stray % may remain, and only visible ASCII.
  return !spec.replace(macro, '').includes('%') && /^[\x21-\x7e]+$/.test(spec);
}

const ip4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\/(?:3[0-2]|[12]?\d))?$/;
const ip6 = /^[0-9a-f:.]*:[0-9a-f:.]*(?:\/(?:12[0-8]|1[01]\d|[1-9]?\d))?$/i;
const dualCidr = /^(?:\/(?:3[0-2]|[12]?\d))?(?:\/\/(?:12[0-8]|1[01]\d|[1-9]?\d))?$/;
const modifierName = /^[a-z][a-z0-9_.-]*$/i;

export function parseSpf(record: string): ParsedSpf {
  const errors: string[] = [];
  const terms: SpfTerm[] = [];
  // Terms are separated by one or more spaces (§4.6.1); other whitespace is not allowed.
  const [version, ...rest] = record.split(/ +/).filter((t, i) => t !== '' || i === 0);
  if (version?.toLowerCase() !== 'v=spf1') errors.push('the record does not start with v=spf1');
  let redirects = 0;
  let exps = 0;
  for (const text of rest) {
    const term = parseTerm(text);
    if (typeof term === 'string') {
      errors.push(term);
      continue;
    }
    terms.push(term);
    if (term.kind === 'modifier' && term.name === 'redirect') redirects++;
    if (term.kind === 'modifier' && term.name === 'exp') exps++;
  }
  if (redirects > 1) errors.push('more than one redirect= modifier');
  if (exps > 1) errors.push('more than one exp= modifier');
  const redirect = terms.find((t): t is Extract<SpfTerm, { kind: 'modifier' }> => t.kind === 'modifier' && t.name === 'redirect');
  return redirect ? { terms, errors, redirect: redirect.value } : { terms, errors };
}

function parseTerm(text: string): SpfTerm | string {
  if (/[^\x21-\x7e]/.test(text)) return `"${text}" contains characters SPF does not allow`;
  const modifier = /^([^:/=]+)=(.*)$/.exec(text);
  if (modifier) {
    const [, name, value] = modifier as unknown as [string, string, string];
    if (!modifierName.test(name)) return `"${text}" is not a valid modifier`;
    const lower = name.toLowerCase();
    if ((lower === 'redirect' || lower === 'exp') && !validDomainSpec(value)) return `"${text}": ${value === '' ? 'no domain' : `"${value}" is not a domain`}`;
    return { kind: 'modifier', name: lower, value, text };
  }
  const match = /^([+\-~?]?)([a-z0-9]+)(.*)$/i.exec(text);
  if (!match) return `"${text}" is not an SPF term`;
  const [, q, rawName, tail] = match as unknown as [string, string, string, string];
  const name = rawName.toLowerCase() as MechanismName;
  if (!mechanismNames.includes(name)) return `"${text}": unknown mechanism "${rawName}"`;
  const qualifier = (q || '+') as Qualifier;
  const base = { kind: 'mechanism' as const, qualifier, name, text };
  switch (name) {
    case 'all':
      return tail === '' ? base : `"${text}": all takes no argument`;
    case 'include':
    case 'exists': {
      const domain = tail.startsWith(':') ? tail.slice(1) : '';
      if (!tail.startsWith(':') || !validDomainSpec(domain)) return `"${text}": ${name} needs a domain (${name}:example.com)`;
      return { ...base, domain };
    }
    case 'ptr': {
      if (tail === '') return base;
      const domain = tail.slice(1);
      return tail.startsWith(':') && validDomainSpec(domain) ? { ...base, domain } : `"${text}": "${tail}" is not a domain`;
    }
    case 'a':
    case 'mx': {
      const cidrAt = tail.search(/\/(?:\/)?\d/);
      const spec = cidrAt === -1 ? tail : tail.slice(0, cidrAt);
      const cidr = cidrAt === -1 ? '' : tail.slice(cidrAt);
      if (!dualCidr.test(cidr)) return `"${text}": "${cidr}" is not a prefix length`;
      if (spec === '') return base;
      const domain = spec.slice(1);
      return spec.startsWith(':') && validDomainSpec(domain) ? { ...base, domain } : `"${text}": "${spec.slice(1)}" is not a domain`;
    }
    case 'ip4':
      return tail.startsWith(':') && ip4.test(tail.slice(1)) ? base : `"${text}": "${tail.slice(1)}" is not an IPv4 address or network`;
    case 'ip6':
      return tail.startsWith(':') && ip6.test(tail.slice(1)) ? base : `"${text}": "${tail.slice(1)}" is not an IPv6 address or network`;
  }
}

/** The record's final `all`, which decides what receivers do with servers it does not list. */
export function allQualifier(parsed: ParsedSpf): Qualifier | undefined {
  const all = parsed.terms.find((t) => t.kind === 'mechanism' && t.name === 'all');
  return all?.kind === 'mechanism' ? all.qualifier : undefined;
}
