/**
 * The diagnoses of the DNS judgement, as rule tables on the rule engine (diagnose/engine.ts): a
 * problem the judgement found (rules.ts) and the facts in, a diagnosis out. Problems that make
 * receivers reject or junk the mail are `deliverability` (exit 12); a lookup without an answer
 * says nothing about the records and is `network` (exit 4), one diagnosis per kind of failure.
 * Like every table, the fixes are written alternatives first and the fix itself last.
 */
import { ruleKit, RuleTable } from '../diagnose/engine.js';
import type { Diagnosis } from '../diagnose/types.js';
import { FirstMatchTable } from '../rule-engine.js';
import type { DmarcPolicyAt } from './dmarc.js';
import type { DnsFacts } from './facts.js';
import { mergeSpf, repairSpf, suggestedSpf, txt, withInclude } from './record-text.js';
import { shownName, shownRecord, type DnsFailure } from './records.js';
import type { ParsedSpf } from './spf.js';
import { maxLookups, maxVoidLookups } from './spf-tree.js';

/** Whether SPF or DKIM can align with the From domain under the DMARC policy, and why. */
export interface Alignment {
  verdict: 'yes' | 'no' | 'unknown';
  why: string;
  fix?: string;
}

/** What the judgement found broken, beyond what the facts themselves say. */
export type DnsProblem =
  | { kind: 'domain-missing' }
  | { kind: 'spf-multiple' }
  | { kind: 'spf-syntax'; parsed: ParsedSpf }
  | { kind: 'spf-too-many-lookups' }
  | { kind: 'spf-void-lookups' }
  | { kind: 'spf-include-broken'; what: string[] }
  | { kind: 'spf-provider-missing'; parsed: ParsedSpf; include: string }
  | { kind: 'dkim-unusable'; key: 'revoked' | 'invalid' | 'dangling'; name: string; why: string; selector: string }
  | { kind: 'dmarc-unaligned'; policy: DmarcPolicyAt; spf: Alignment; dkim: Alignment };

type ProblemOf<K extends DnsProblem['kind']> = Extract<DnsProblem, { kind: K }>;

/** DNS answers carry no words of the other side's to quote: the summary says what DNS holds. */
const { rule } = ruleKit<DnsProblem, DnsFacts>({ serverSaid: () => undefined });

/** A rule for one kind of problem, which its words then read narrowed. */
function on<K extends DnsProblem['kind'], Id extends string>(
  kind: K,
  id: Id,
  matches: (p: ProblemOf<K>) => boolean,
  make: (p: ProblemOf<K>, f: DnsFacts) => { summary: string; causes: string[]; fixes: string[] },
) {
  const narrowed = (p: DnsProblem): p is ProblemOf<K> => p.kind === kind;
  return rule(
    id,
    'deliverability',
    (p) => narrowed(p) && matches(p),
    (p, f) => make(p as ProblemOf<K>, f),
  );
}
const always = () => true;

const providerLabel = (f: DnsFacts) => f.provider?.label ?? 'your provider';
const relaxedDmarc = (f: DnsFacts) => `v=DMARC1; p=none; rua=mailto:dmarc-reports@${f.domain}`;

const problemRules = [
  on('domain-missing', 'dns.domain.nxdomain', always, (_p, f) => ({
    summary: `the sending domain ${f.domain} does not exist in DNS: receivers reject mail from it`,
    causes: [
      'the domain in the sender address is misspelt',
      'the domain expired or was never registered',
      '--dns-server (or the local resolver) sees another view of DNS (split horizon)',
    ],
    fixes: ['register the domain, or send from one you own', `check the spelling of the sender address's domain (${f.domain})`],
  })),
  on('spf-multiple', 'dns.spf.multiple', always, (_p, f) => ({
    summary: `${shownName(f.spf.name)} has ${f.spf.tree.root.records.length} SPF records, so SPF fails for every message (permerror)`,
    causes: ['a second provider was added with a record of its own instead of an include: in the existing one'],
    fixes: [`delete all but one, and publish the merged record: ${txt(f.spf.name, mergeSpf(f.spf.tree.root.records))}`],
  })),
  on('spf-syntax', 'dns.spf.syntax', always, (p, f) => ({
    summary: `the SPF record at ${shownName(f.spf.name)} does not parse, so SPF fails for every message (permerror)`,
    causes: p.parsed.errors.map(shownRecord),
    fixes: [`publish the record without the broken terms: ${txt(f.spf.name, repairSpf(p.parsed, suggestedSpf(f.provider)))}`],
  })),
  on('spf-too-many-lookups', 'dns.spf.too-many-lookups', always, (_p, f) => ({
    summary: `the SPF record at ${shownName(f.spf.name)} needs ${f.spf.tree.lookups}${f.spf.tree.truncated ? ' or more' : ''} DNS lookups, more than the ${maxLookups} receivers allow, so SPF fails (permerror)`,
    causes: [
      'every include:, a, mx, ptr, exists and redirect= counts, also inside the records it includes',
      'includes of providers you no longer send through',
    ],
    fixes: [
      'replace a and mx terms by the ip4:/ip6: addresses they stand for (those cost no lookup)',
      'remove the include: of every provider you do not send through',
    ],
  })),
  on('spf-void-lookups', 'dns.spf.void-lookups', always, (_p, f) => ({
    summary: `${f.spf.tree.voidLookups.length} terms of the SPF record at ${shownName(f.spf.name)} point at names without records, more than the ${maxVoidLookups} receivers allow, so SPF fails (permerror)`,
    causes: f.spf.tree.voidLookups.map((v) => `${shownRecord(v.term)}: ${shownName(v.domain)} has no records`),
    fixes: ['remove the terms that point at names without records'],
  })),
  on('spf-include-broken', 'dns.spf.include-broken', always, (p, f) => ({
    summary: `the SPF record at ${shownName(f.spf.name)} includes records that are missing or broken, so SPF fails (permerror, RFC 7208 §5.2)`,
    causes: p.what,
    fixes: ['remove or correct the include: (a typo in the domain is the usual cause)'],
  })),
  on('spf-provider-missing', 'dns.spf.provider-missing', always, (p, f) => ({
    summary: `the SPF record at ${shownName(f.spf.name)} does not authorise ${f.provider?.label} and ends with -all, so SPF fails for its mail (receivers reject or junk it)`,
    causes: [`${p.include} is missing (the provider was added after the record was written, or the record belongs to another provider)`],
    fixes: [`publish ${txt(f.spf.name, withInclude(p.parsed, p.include))}`],
  })),
  ...(
    [
      ['revoked', 'dns.dkim.revoked', 'the key was rotated and this selector retired, but the provider still signs with it'],
      ['invalid', 'dns.dkim.bad-key', 'the key was pasted incompletely (a TXT string cut at 255 characters, or a quote inside it)'],
      ['dangling', 'dns.dkim.dangling-cname', 'the provider removed or renamed the key, or the CNAME target is misspelt'],
    ] as const
  ).map(([key, id, cause]) =>
    on(
      'dkim-unusable',
      id,
      (p) => p.key === key,
      (p, f) => ({
        summary: `the DKIM key at ${p.name} cannot verify signatures (${p.why}), so DKIM fails for every message signed with selector ${shownName(p.selector)}`,
        causes: [cause],
        fixes: [
          `publish the record exactly as ${providerLabel(f)} shows it: ${key === 'dangling' ? `CNAME ${p.name} <its target>` : `TXT ${p.name} "p=<the public key>"`}`,
        ],
      }),
    ),
  ),
  on('dmarc-unaligned', 'dns.dmarc.unaligned', always, (p, f) => ({
    summary: `DMARC at ${shownName(p.policy.at)} says ${p.policy.tag}=${p.policy.policy}, and neither SPF nor DKIM can align with ${f.domain}: receivers will ${p.policy.policy === 'reject' ? 'reject' : 'junk'} the mail`,
    causes: [p.spf.why, p.dkim.why],
    fixes: [
      // A record of the domain's own takes precedence over the one it inherits from a parent.
      `until then, ${p.policy.at === f.dmarc.name ? 'relax the policy' : `give ${f.domain} a relaxed policy of its own`}: ${txt(f.dmarc.name, relaxedDmarc(f))}`,
      `publish the DKIM record ${providerLabel(f)} asks for, so that DKIM aligns`,
      ...(p.spf.fix ? [p.spf.fix] : []),
    ],
  })),
];

/** Every kind of problem has its rule (dns.test.ts reaches each id), so the table always answers. */
const problemTable = new FirstMatchTable(problemRules);

export function diagnoseDnsProblem(problem: DnsProblem, facts: DnsFacts): Diagnosis | undefined {
  return problemTable.first(problem, facts);
}

// --- lookups without an answer ------------------------------------------------------------------

/** One kind of failed lookup, and every query that met it. */
export interface FailedLookups {
  failure: DnsFailure['kind'];
  queries: string[];
}

const lookupKit = ruleKit<FailedLookups, undefined>({ serverSaid: () => undefined });
const lookupFixes = [
  'run mailcheck dns again: receivers meeting the same failure defer or reject the mail',
  "ask the same server by hand, e.g. dig TXT <name> (add @<server> for --dns-server), and fix the server or the domain's name servers",
];
const lookupRule = <Id extends string>(id: Id, failure: DnsFailure['kind'], summary: (queries: string) => string, causes: string[]) =>
  lookupKit.rule(
    id,
    'network',
    (l) => l.failure === failure,
    (l) => ({ summary: summary(l.queries.join(', ')), causes, fixes: lookupFixes }),
  );

const lookupTable = new RuleTable(
  [
    lookupRule('dns.lookup.timeout', 'timeout', (list) => `DNS lookups got no answer in time: ${list}`, [
      'the DNS server (--dns-server, or the system resolver) is down or unreachable',
      "the domain's name servers do not answer",
      '--timeout is too short for this network',
    ]),
    lookupRule('dns.lookup.servfail', 'servfail', (list) => `the DNS server failed to answer (SERVFAIL): ${list}`, [
      "the domain's name servers are broken or unreachable",
      'a DNSSEC signature does not validate',
    ]),
    lookupRule('dns.lookup.refused', 'refused', (list) => `the DNS server refused to answer (REFUSED): ${list}`, [
      'the server given with --dns-server does not serve this domain or does not recurse for you',
    ]),
    lookupRule('dns.lookup.unreachable', 'unreachable', (list) => `the DNS server cannot be reached: ${list}`, [
      'nothing listens at the address given with --dns-server, or the system resolver is down',
    ]),
  ],
  // Any other error code c-ares gives (a malformed answer, ...).
  lookupKit.rule('dns.lookup.error', 'network', always, (l) => ({
    summary: `DNS lookups failed: ${l.queries.join(', ')}`,
    causes: ['the DNS server sent an answer mailcheck could not read'],
    fixes: lookupFixes,
  })),
);

export function diagnoseFailedLookups(failed: FailedLookups): Diagnosis {
  return lookupTable.diagnose(failed, undefined);
}

/** Every id a DNS diagnosis can carry, read off the tables. */
export const dnsDiagnosisIds = [...problemTable.ids, ...lookupTable.ids];
export type DnsDiagnosisId = (typeof dnsDiagnosisIds)[number];
