/**
 * The DNS checks of a sending domain: reads the records (resolver.ts, spf-tree.ts) into facts,
 * then lets the rules (rules.ts, diagnoses.ts) judge them. Never prints.
 */
import type { ProviderInfo } from '../config/providers.js';
import { dmarcRecordsIn, dmarcTreeWalk } from './dmarc.js';
import { judgeDns, type DnsJudgement } from './rules.js';
import type { DkimFacts, DnsFacts } from './facts.js';
import { isLookupFailure } from './records.js';
import type { DnsClient } from './resolver.js';
import { walkSpf } from './spf-tree.js';

export interface DnsCheckInput {
  /** ASCII (punycode) form. */
  domain: string;
  provider?: ProviderInfo;
  providerReason: string;
  /** --dkim-selector: these instead of the provider's fixed ones. */
  selectors?: string[];
  resendStatus?: string;
}

async function gatherDnsFacts(input: DnsCheckInput, dns: DnsClient): Promise<DnsFacts> {
  const { domain, provider } = input;
  const envelope = provider?.dns.envelope;
  const envelopeName = envelope?.kind === 'subdomain' ? `${envelope.label}.${domain}` : undefined;
  const spfName = envelopeName ?? domain;
  const selectors = input.selectors?.length
    ? input.selectors.map((s) => ({ selector: s, source: 'flag' as const }))
    : (provider?.dns.dkim?.selectors ?? []).map((s) => ({ selector: s, source: 'provider' as const }));
  // Independent lookups run at once; the SPF walk follows its includes one after the other.
  const [mx, envelopeMx, spf, dkim, dmarc] = await Promise.all([
    dns.mx(domain),
    envelopeName && provider?.dns.envelopeMx ? dns.mx(envelopeName) : undefined,
    dns.txt(spfName).then((top) => walkSpf(spfName, top, dns)),
    Promise.all(selectors.map(({ selector, source }) => dkimFacts(selector, source, domain, dns))),
    dmarcFacts(domain, dns),
  ]);
  const facts: DnsFacts = {
    domain,
    providerReason: input.providerReason,
    mx,
    spf: { name: spfName, tree: spf },
    dkim,
    dmarc,
  };
  if (provider) facts.provider = provider;
  if (envelopeName && envelopeMx) facts.envelope = { name: envelopeName, mx: envelopeMx };
  if (input.resendStatus !== undefined) facts.resendStatus = input.resendStatus;
  return facts;
}

async function dkimFacts(selector: string, source: DkimFacts['source'], domain: string, dns: DnsClient): Promise<DkimFacts> {
  const name = `${selector}._domainkey.${domain}`;
  const txt = await dns.txt(name);
  const facts: DkimFacts = { selector, name, source, txt };
  // Nothing there: a CNAME that leads nowhere is a different fix from a record never published.
  if (txt.kind === 'nxdomain' || txt.kind === 'nodata') facts.cname = await dns.cname(name);
  return facts;
}

async function dmarcFacts(domain: string, dns: DnsClient): Promise<DnsFacts['dmarc']> {
  const name = `_dmarc.${domain}`;
  const answer = await dns.txt(name);
  if (isLookupFailure(answer) || dmarcRecordsIn(answer).length === 1) return { name, answer };
  // No record of its own (or several, which receivers discard): they look up the tree. The walk's
  // names are asked at once, not one after the other, since the judgement may need any of them.
  const walk = await Promise.all(dmarcTreeWalk(domain).map(async (parent) => ({ domain: parent, answer: await dns.txt(`_dmarc.${parent}`) })));
  return { name, answer, walk };
}

export async function runDnsChecks(input: DnsCheckInput, dns: DnsClient): Promise<DnsJudgement & { ms: number }> {
  const started = performance.now();
  const facts = await gatherDnsFacts(input, dns);
  return { ...judgeDns(facts), ms: Math.round(performance.now() - started) };
}
