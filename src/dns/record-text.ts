/**
 * Records as the DNS judgement writes them into rows and diagnoses: every text from DNS passes
 * through shownRecord/shownName here, and the records mailcheck suggests are built from the ones
 * found (an SPF record with the provider's include added, several merged into one).
 */
import type { ProviderInfo } from '../config/providers.js';
import { shownName, shownRecord, type MxRecord } from './records.js';
import type { ParsedSpf } from './spf.js';
import type { SpfNode } from './spf-tree.js';

const quoted = (text: string) => `"${shownRecord(text)}"`;

/** `TXT send.example.com "v=spf1 include:amazonses.com ~all"`. */
export const txt = (name: string, value: string) => `TXT ${shownName(name)} ${quoted(value)}`;
export const publishTxt = (name: string, value: string) => `publish ${txt(name, value)}`;

/** The SPF record to publish when there is none to start from: the provider's include, or a placeholder for it. */
export function suggestedSpf(provider: ProviderInfo | undefined): string {
  return `v=spf1 ${provider?.dns.spfInclude ?? "include:<your provider's SPF domain>"} ~all`;
}

export function mxText(name: string, m: MxRecord): string {
  return `MX ${shownName(name)} ${m.priority} ${isNullMx(m) ? '.' : shownName(m.exchange)}`;
}

export function isNullMx(m: MxRecord): boolean {
  return m.exchange === '' || m.exchange === '.';
}

/** Where the provider's include appears: in the record itself, in one it includes, or nowhere (only + qualified includes authorise). */
export function findInclude(node: SpfNode, include: string): 'top' | 'nested' | undefined {
  const wanted = include.toLowerCase().replace(/^include:/, '');
  const has = (n: SpfNode) =>
    n.parsed?.terms.some((t) => t.kind === 'mechanism' && t.name === 'include' && t.qualifier === '+' && t.domain?.toLowerCase().replace(/\.$/, '') === wanted);
  if (has(node)) return 'top';
  const nested = (n: SpfNode): boolean => n.children.some((c) => has(c) || nested(c));
  return nested(node) ? 'nested' : undefined;
}

/** Terms other than `all` (and redirect=, which `all` overrides), in their order. */
function bodyTerms(parsed: ParsedSpf): string[] {
  return parsed.terms.filter((t) => !(t.kind === 'mechanism' && t.name === 'all')).map((t) => t.text);
}

export function withAll(parsed: ParsedSpf, all: string): string {
  return ['v=spf1', ...bodyTerms(parsed), all].join(' ');
}

export function withInclude(parsed: ParsedSpf, include: string, all?: string): string {
  const current = parsed.terms.find((t) => t.kind === 'mechanism' && t.name === 'all');
  const ending = all ?? current?.text ?? '~all';
  return ['v=spf1', ...bodyTerms(parsed).filter((t) => t.toLowerCase() !== include.toLowerCase()), include, ending].join(' ');
}

export function repairSpf(parsed: ParsedSpf, fallback: string): string {
  const body = bodyTerms(parsed);
  if (body.length === 0) return fallback;
  const all = parsed.terms.find((t) => t.kind === 'mechanism' && t.name === 'all');
  return ['v=spf1', ...body, all?.text ?? '~all'].join(' ');
}

/** Several SPF records as one: every term once, the first record's `all` last. */
export function mergeSpf(records: string[]): string {
  const terms: string[] = [];
  let all: string | undefined;
  for (const record of records) {
    for (const term of record.split(/ +/).slice(1)) {
      if (/^[+\-~?]?all$/i.test(term)) all ??= term;
      else if (term && !terms.some((t) => t.toLowerCase() === term.toLowerCase())) terms.push(term);
    }
  }
  return ['v=spf1', ...terms, all ?? '~all'].join(' ');
}
