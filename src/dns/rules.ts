/**
 * What the DNS records of the sending domain mean for delivery: facts (src/dns/facts.ts) in,
 * check rows and diagnoses out. Pure: no I/O, no clock.
 *
 * Missing or weak records are warnings (a row with the record to publish); records that make
 * receivers reject or junk the mail are failures (a diagnosis of class `deliverability`); a
 * lookup that got no answer says nothing about the records and is a `network` failure.
 * Every text from DNS passes through shownRecord/shownName on its way into a row or diagnosis.
 */
import type { ProviderInfo } from '../config/providers.js';
import { checkDkimRecord, type DkimKeyVerdict } from './dkim.js';
import { parseDmarc, type ParsedDmarc } from './dmarc.js';
import type { DkimFacts, DnsFacts } from './facts.js';
import { describeEmpty, isLookupFailure, shownName, shownRecord, type DnsFailure, type MxRecord } from './records.js';
import { allQualifier, type ParsedSpf } from './spf.js';
import { maxLookups, maxVoidLookups, nodesOf, type SpfNode } from './spf-tree.js';
import type { Check, CheckStatus } from '../report/model.js';
import type { Diagnosis } from '../diagnose/types.js';

export interface DnsJudgement {
  checks: Check[];
  diagnoses: Diagnosis[];
}

/** Stable ids of the check rows, in report order. */
/** Every id a DNS diagnosis can carry (failures are deliverability, exit 12; lookups that fail are network, exit 4). */
export const dnsDiagnosisIds = [
  'dns.domain.nxdomain',
  'dns.spf.multiple',
  'dns.spf.syntax',
  'dns.spf.too-many-lookups',
  'dns.spf.void-lookups',
  'dns.spf.include-broken',
  'dns.spf.provider-missing',
  'dns.dkim.revoked',
  'dns.dkim.bad-key',
  'dns.dkim.dangling-cname',
  'dns.dmarc.unaligned',
  'dns.lookup.timeout',
  'dns.lookup.servfail',
  'dns.lookup.refused',
  'dns.lookup.unreachable',
  'dns.lookup.error',
] as const;

const dnsCheckIds = [
  'dns.mx',
  'dns.mx.envelope',
  'dns.spf',
  'dns.spf.lookups',
  'dns.spf.provider',
  'dns.dkim',
  'dns.dmarc',
  'dns.dmarc.alignment',
  'dns.resend',
] as const;
type DnsCheckId = (typeof dnsCheckIds)[number];

const titles: Record<DnsCheckId, string> = {
  'dns.mx': 'MX',
  'dns.mx.envelope': 'MX of the envelope domain',
  'dns.spf': 'SPF record',
  'dns.spf.lookups': 'SPF lookups and includes',
  'dns.spf.provider': 'SPF authorises the provider',
  'dns.dkim': 'DKIM key',
  'dns.dmarc': 'DMARC record',
  'dns.dmarc.alignment': 'DMARC alignment',
  'dns.resend': "DNS and Resend's domain status",
};

const q = (text: string) => `"${shownRecord(text)}"`;
const txt = (name: string, value: string) => `TXT ${shownName(name)} ${q(value)}`;
const publishTxt = (name: string, value: string) => `publish ${txt(name, value)}`;

export function judgeDns(f: DnsFacts): DnsJudgement {
  const out: DnsJudgement = { checks: [], diagnoses: [] };
  const failures = new Map<DnsFailure['kind'], string[]>();
  const row = (id: DnsCheckId, status: CheckStatus, detail: string, extra: { records?: string[]; fix?: string } = {}) => {
    const check: Check = { id, status, title: titles[id], detail };
    if (extra.records?.length) check.records = extra.records;
    if (extra.fix) check.fix = extra.fix;
    out.checks.push(check);
  };
  const fail = (diagnosis: Omit<Diagnosis, 'class'>) => out.diagnoses.push({ class: 'deliverability', ...diagnosis });
  /** A lookup without an answer: a failed row, and one diagnosis per kind of failure, naming every query. */
  const lookupFailed = (id: DnsCheckId, type: string, name: string, answer: DnsFailure) => {
    row(id, 'fail', `${type} ${shownName(name)}: ${describeEmpty(answer)}`);
    const list = failures.get(answer.kind) ?? [];
    list.push(`${type} ${shownName(name)}`);
    failures.set(answer.kind, list);
  };

  // --- MX ------------------------------------------------------------------------------------
  if (isLookupFailure(f.mx)) lookupFailed('dns.mx', 'MX', f.domain, f.mx);
  else if (f.mx.kind === 'nxdomain') {
    row('dns.mx', 'fail', `${f.domain} does not exist (NXDOMAIN)`);
    fail({
      id: 'dns.domain.nxdomain',
      summary: `the sending domain ${f.domain} does not exist in DNS: receivers reject mail from it`,
      causes: [
        'the domain in the sender address is misspelt',
        'the domain expired or was never registered',
        '--dns-server (or the local resolver) sees another view of DNS (split horizon)',
      ],
      fixes: [`check the spelling of the sender address's domain (${f.domain})`, 'register the domain, or send from one you own'],
    });
  } else if (f.mx.kind === 'nodata') {
    row('dns.mx', 'warn', 'no MX record: replies to the sender address cannot be delivered, and receivers that check the sender domain may refuse the mail', {
      fix: `publish MX ${f.domain} 10 <the host that receives your mail>`,
    });
  } else {
    const records = f.mx.records.map((m) => mxText(f.domain, m));
    if (f.mx.records.length === 1 && isNullMx(f.mx.records[0]!))
      row(
        'dns.mx',
        'warn',
        'null MX (RFC 7505): the domain says it receives no mail, so replies and bounces to it are lost, and some receivers refuse mail from it',
        { records },
      );
    else row('dns.mx', 'pass', `${f.mx.records.length} MX record${f.mx.records.length === 1 ? '' : 's'}`, { records });
  }

  // --- MX of the envelope domain (Resend's send.<domain>, where bounces return) ----------------
  const envelopeMxOk = judgeEnvelopeMx();
  function judgeEnvelopeMx(): boolean | undefined {
    const mxNeeded = f.provider?.dns.envelopeMx;
    if (!f.envelope || !mxNeeded) return undefined;
    const { name, mx } = f.envelope;
    const fix = `publish MX ${shownName(name)} 10 ${mxNeeded.example} (the region as ${f.provider!.label} shows it)`;
    if (isLookupFailure(mx)) return (void lookupFailed('dns.mx.envelope', 'MX', name, mx), false);
    if (mx.kind !== 'found') {
      row(
        'dns.mx.envelope',
        'warn',
        `${shownName(name)}: ${describeEmpty(mx)}; ${f.provider!.label} sends with ${shownName(name)} as the envelope sender and needs this MX to verify the domain and receive bounces`,
        { fix },
      );
      return false;
    }
    const records = mx.records.map((m) => mxText(name, m));
    if (mx.records.some((m) => mxNeeded.pattern.test(m.exchange.replace(/\.$/, '')))) {
      row('dns.mx.envelope', 'pass', `${shownName(name)} receives bounces for ${f.provider!.label}`, { records });
      return true;
    }
    row(
      'dns.mx.envelope',
      'warn',
      `${shownName(name)} has MX records, but none points to ${f.provider!.label}'s bounce host (${mxNeeded.example} or another region)`,
      { records, fix },
    );
    return false;
  }

  // --- SPF -------------------------------------------------------------------------------------
  const spfName = f.spf.name;
  const root = f.spf.tree.root;
  const include = f.provider?.dns.spfInclude;
  const suggested = `v=spf1 ${include ?? "include:<your provider's SPF domain>"} ~all`;
  const spfRecords = root.records.map((r) => txt(spfName, r));
  /** The SPF result is a permanent error for every message: SPF never passes. */
  let spfBroken = false;
  let spfUsable = false;
  if (root.problem?.kind === 'lookup') lookupFailed('dns.spf', 'TXT', spfName, root.problem.answer as DnsFailure);
  else if (root.problem?.kind === 'none') {
    const where = root.problem.answer && root.problem.answer.kind !== 'found' ? describeEmpty(root.problem.answer) : 'TXT records, but none starts with v=spf1';
    row('dns.spf', 'warn', `no SPF record at ${shownName(spfName)} (${where}): receivers cannot tell your provider's servers from forgers`, {
      fix: publishTxt(spfName, suggested),
    });
  } else if (root.problem?.kind === 'multiple') {
    spfBroken = true;
    row('dns.spf', 'fail', `${root.records.length} SPF records at ${shownName(spfName)}: receivers treat that as a permanent error (RFC 7208 §4.5)`, {
      records: spfRecords,
    });
    fail({
      id: 'dns.spf.multiple',
      summary: `${shownName(spfName)} has ${root.records.length} SPF records, so SPF fails for every message (permerror)`,
      causes: ['a second provider was added with a record of its own instead of an include: in the existing one'],
      fixes: [`delete all but one, and publish the merged record: ${txt(spfName, mergeSpf(root.records))}`],
    });
  } else if (root.parsed && root.parsed.errors.length) {
    spfBroken = true;
    row('dns.spf', 'fail', `syntax errors: ${root.parsed.errors.map(shownRecord).join('; ')}`, { records: spfRecords });
    fail({
      id: 'dns.spf.syntax',
      summary: `the SPF record at ${shownName(spfName)} does not parse, so SPF fails for every message (permerror)`,
      causes: root.parsed.errors.map(shownRecord),
      fixes: [`publish the record without the broken terms: ${txt(spfName, repairSpf(root.parsed, suggested))}`],
    });
  } else if (root.parsed) {
    spfUsable = true;
    const all = allQualifier(root.parsed);
    if (all === '+')
      row('dns.spf', 'warn', '+all: every server on the internet may send as this domain, so SPF proves nothing', {
        records: spfRecords,
        fix: publishTxt(spfName, withAll(root.parsed, '~all')),
      });
    else if (all === undefined && !root.parsed.redirect)
      row('dns.spf', 'warn', 'no all at the end: servers the record does not list get a neutral result, as if there were no SPF', {
        records: spfRecords,
        fix: publishTxt(spfName, withAll(root.parsed, '~all')),
      });
    else if (all === '?')
      row('dns.spf', 'warn', '?all: servers the record does not list get a neutral result, as if there were no SPF', {
        records: spfRecords,
        fix: publishTxt(spfName, withAll(root.parsed, '~all')),
      });
    else row('dns.spf', 'pass', `one SPF record at ${shownName(spfName)}`, { records: spfRecords });
  }

  // --- SPF lookups, and the records it includes ------------------------------------------------
  if (!spfUsable) row('dns.spf.lookups', 'skip', 'no usable SPF record');
  else {
    const tree = f.spf.tree;
    const nested = nodesOf(tree).slice(1);
    const records = nested.flatMap((n) => n.records.map((r) => `${txt(n.domain, r)} (${shownRecord(n.via ?? '')})`));
    const brokenIncludes = nested.filter((n) => n.problem || n.parsed?.errors.length);
    const failedLookups = nested.filter((n) => n.problem?.kind === 'lookup');
    const counted = `${tree.lookups}${tree.truncated ? '+' : ''} of ${maxLookups} lookups, ${tree.voidLookups.length} of ${maxVoidLookups} void`;
    const macroNote = tree.macros.length ? `; not followed (macros, known only when a message arrives): ${tree.macros.map(shownRecord).join(', ')}` : '';
    if (failedLookups.length) {
      for (const n of failedLookups) lookupFailed('dns.spf.lookups', 'TXT', n.domain, n.problem!.answer as DnsFailure);
      spfUsable = false;
    } else if (tree.lookups > maxLookups) {
      spfBroken = true;
      row('dns.spf.lookups', 'fail', `${counted}: receivers stop at ${maxLookups + 1} with a permanent error (RFC 7208 §4.6.4)`, { records });
      fail({
        id: 'dns.spf.too-many-lookups',
        summary: `the SPF record at ${shownName(spfName)} needs ${tree.lookups}${tree.truncated ? ' or more' : ''} DNS lookups, more than the ${maxLookups} receivers allow, so SPF fails (permerror)`,
        causes: [
          'every include:, a, mx, ptr, exists and redirect= counts, also inside the records it includes',
          'includes of providers you no longer send through',
        ],
        fixes: [
          'remove the include: of every provider you do not send through',
          'replace a and mx terms by the ip4:/ip6: addresses they stand for (those cost no lookup)',
        ],
      });
    } else if (tree.voidLookups.length > maxVoidLookups) {
      spfBroken = true;
      row('dns.spf.lookups', 'fail', `${counted}: more than ${maxVoidLookups} lookups find nothing, a permanent error (RFC 7208 §4.6.4)`, { records });
      fail({
        id: 'dns.spf.void-lookups',
        summary: `${tree.voidLookups.length} terms of the SPF record at ${shownName(spfName)} point at names without records, more than the ${maxVoidLookups} receivers allow, so SPF fails (permerror)`,
        causes: tree.voidLookups.map((v) => `${shownRecord(v.term)}: ${shownName(v.domain)} has no records`),
        fixes: ['remove the terms that point at names without records'],
      });
    } else if (brokenIncludes.length) {
      spfBroken = true;
      const what = brokenIncludes.map(
        (n) =>
          `${shownRecord(n.via ?? n.domain)}: ${n.problem?.kind === 'multiple' ? 'several SPF records' : n.problem ? 'no SPF record there' : n.parsed!.errors.map(shownRecord).join('; ')}`,
      );
      row('dns.spf.lookups', 'fail', `${counted}; broken: ${what.join(', ')}`, { records });
      fail({
        id: 'dns.spf.include-broken',
        summary: `the SPF record at ${shownName(spfName)} includes records that are missing or broken, so SPF fails (permerror, RFC 7208 §5.2)`,
        causes: what,
        fixes: ['remove or correct the include: (a typo in the domain is the usual cause)'],
      });
    } else {
      const ptr = nodesOf(tree).some((n) => n.parsed?.terms.some((t) => t.kind === 'mechanism' && t.name === 'ptr'));
      if (ptr) row('dns.spf.lookups', 'warn', `${counted}; ptr is deprecated (RFC 7208 §5.5): slow, and some receivers ignore it${macroNote}`, { records });
      else if (tree.voidLookups.length)
        row(
          'dns.spf.lookups',
          'warn',
          `${counted}: ${tree.voidLookups.map((v) => shownRecord(v.term)).join(', ')} find${tree.voidLookups.length === 1 ? 's' : ''} nothing${macroNote}`,
          { records },
        );
      else row('dns.spf.lookups', 'pass', `${counted}${macroNote}`, { records });
    }
  }

  // --- SPF authorises the provider -------------------------------------------------------------
  let spfAuthorises = false;
  if (!f.provider)
    row(
      'dns.spf.provider',
      'skip',
      `unknown: ${f.providerReason}; mailcheck does not know which include: authorises its servers (use --provider, or compare with your provider's instructions)`,
    );
  else if (!spfUsable || spfBroken) row('dns.spf.provider', 'skip', 'no usable SPF record (see SPF above)');
  else {
    const found = findInclude(f.spf.tree.root, include!);
    const all = allQualifier(root.parsed!);
    const envelope = f.provider.dns.envelope;
    const providerEnvelope =
      envelope.kind === 'provider'
        ? `; ${f.provider.label} uses its own envelope domain unless you set up ${envelope.setup}, and only then does this record count`
        : '';
    if (found) {
      spfAuthorises = true;
      row(
        'dns.spf.provider',
        'pass',
        `${include} authorises ${f.provider.label}${found === 'nested' ? ' (through an included record)' : ''}${providerEnvelope}`,
      );
    } else if (all === '+') {
      spfAuthorises = true;
      row('dns.spf.provider', 'warn', `only +all lets ${f.provider.label}'s servers pass: add ${include}`, {
        fix: publishTxt(spfName, withInclude(root.parsed!, include!, '~all')),
      });
    } else if (all === '-' && envelope.kind !== 'provider') {
      row('dns.spf.provider', 'fail', `no ${include}, and -all: receivers see SPF fail for every message ${f.provider.label} sends`);
      fail({
        id: 'dns.spf.provider-missing',
        summary: `the SPF record at ${shownName(spfName)} does not authorise ${f.provider.label} and ends with -all, so SPF fails for its mail (receivers reject or junk it)`,
        causes: [`${include} is missing (the provider was added after the record was written, or the record belongs to another provider)`],
        fixes: [`publish ${txt(spfName, withInclude(root.parsed!, include!))}`],
      });
    } else {
      row('dns.spf.provider', 'warn', `no ${include}: SPF does not pass for ${f.provider.label}'s servers${providerEnvelope}`, {
        fix: publishTxt(spfName, withInclude(root.parsed!, include!)),
      });
    }
  }

  // --- DKIM ------------------------------------------------------------------------------------
  const dkim = f.dkim.map((d) => ({ facts: d, verdict: dkimVerdict(d) }));
  const dkimAligned = dkim.some((d) => d.verdict.kind === 'valid');
  if (dkim.length === 0) {
    const who = f.provider ? `${f.provider.label} signs with a selector that differs per account` : `the provider is unknown (${f.providerReason})`;
    row(
      'dns.dkim',
      'skip',
      `not checked: ${who}; give the selector with --dkim-selector <name> (the part before ._domainkey in the record your provider asked for)`,
    );
  } else judgeDkim();
  function judgeDkim(): void {
    const records = dkim.flatMap(({ facts }) =>
      facts.txt.kind === 'found'
        ? facts.txt.records.map((r) => txt(facts.name, r))
        : facts.cname?.kind === 'found'
          ? facts.cname.records.map((c) => `CNAME ${shownName(facts.name)} ${shownName(c)}`)
          : [],
    );
    const parts: string[] = [];
    let status = 'pass' as CheckStatus;
    let fix: string | undefined;
    const worse = (s: CheckStatus) => (status = rank[s] > rank[status] ? s : status);
    for (const { facts, verdict } of dkim) {
      const name = shownName(facts.name);
      switch (verdict.kind) {
        case 'lookup':
          lookupFailed('dns.dkim', 'TXT', facts.name, verdict.answer);
          return;
        case 'valid':
          if (verdict.bits !== undefined && verdict.bits < 1024) {
            worse('warn');
            parts.push(`${name}: a ${verdict.bits}-bit key, which receivers ignore (RFC 8301 asks for 1024 or more)`);
          } else parts.push(`${name}: ${verdict.keyType.toUpperCase()}${verdict.bits ? ` ${verdict.bits}-bit` : ''} key`);
          break;
        case 'missing':
          worse('warn');
          parts.push(`${name}: ${verdict.why}`);
          fix ??=
            f.provider?.dns.dkim?.published === 'cname'
              ? `publish CNAME ${name} <the target ${f.provider.label} shows>`
              : `publish TXT ${name} "p=<the public key ${f.provider?.label ?? 'your provider'} shows>"`;
          break;
        case 'revoked':
        case 'invalid':
        case 'dangling': {
          worse('fail');
          const why =
            verdict.kind === 'revoked'
              ? 'the key is revoked (empty p=)'
              : verdict.kind === 'invalid'
                ? shownRecord(verdict.reason)
                : `a CNAME to ${shownName(verdict.target)}, which holds no key`;
          parts.push(`${name}: ${why}`);
          fail({
            id: verdict.kind === 'revoked' ? 'dns.dkim.revoked' : verdict.kind === 'invalid' ? 'dns.dkim.bad-key' : 'dns.dkim.dangling-cname',
            summary: `the DKIM key at ${name} cannot verify signatures (${why}), so DKIM fails for every message signed with selector ${shownName(facts.selector)}`,
            causes:
              verdict.kind === 'dangling'
                ? ['the provider removed or renamed the key, or the CNAME target is misspelt']
                : verdict.kind === 'revoked'
                  ? ['the key was rotated and this selector retired, but the provider still signs with it']
                  : ['the key was pasted incompletely (a TXT string cut at 255 characters, or a quote inside it)'],
            fixes: [
              `publish the record exactly as ${f.provider?.label ?? 'your provider'} shows it: ${verdict.kind === 'dangling' ? `CNAME ${name} <its target>` : `TXT ${name} "p=<the public key>"`}`,
            ],
          });
        }
      }
    }
    const check: Check = { id: 'dns.dkim', status, title: titles['dns.dkim'], detail: parts.join('; ') };
    if (records.length) check.records = records;
    if (fix && status === 'warn') check.fix = fix;
    out.checks.push(check);
  }

  // --- DMARC -----------------------------------------------------------------------------------
  let dmarc: ParsedDmarc | undefined;
  const dmarcName = f.dmarc.name;
  const dmarcFix = publishTxt(dmarcName, `v=DMARC1; p=none; rua=mailto:dmarc-reports@${f.domain}`);
  if (isLookupFailure(f.dmarc.answer)) lookupFailed('dns.dmarc', 'TXT', dmarcName, f.dmarc.answer);
  else {
    const found = f.dmarc.answer.kind === 'found' ? f.dmarc.answer.records.filter((r) => /^v\s*=\s*DMARC1/i.test(r)) : [];
    const records = found.map((r) => txt(dmarcName, r));
    if (found.length === 0)
      row(
        'dns.dmarc',
        'warn',
        `no DMARC record at ${shownName(dmarcName)}: Gmail and Yahoo require one from bulk senders, and receivers judge the mail without your policy`,
        { fix: dmarcFix },
      );
    else if (found.length > 1)
      row('dns.dmarc', 'warn', `${found.length} DMARC records: receivers ignore them all (RFC 7489 §6.6.3)`, { records, fix: `keep one: ${dmarcFix}` });
    else {
      const parsed = parseDmarc(found[0]!);
      if (!parsed.policy) row('dns.dmarc', 'warn', `receivers ignore the record: ${parsed.errors.map(shownRecord).join('; ')}`, { records, fix: dmarcFix });
      else {
        dmarc = parsed;
        const mode = `p=${parsed.policy}${parsed.pct < 100 ? ` (pct=${parsed.pct})` : ''}, aspf=${parsed.aspf}, adkim=${parsed.adkim}`;
        const notes = [...parsed.warnings.map(shownRecord), ...(parsed.policy === 'none' ? ['p=none only asks for reports'] : [])];
        row('dns.dmarc', parsed.warnings.length ? 'warn' : 'pass', [mode, ...notes].join('; '), { records });
      }
    }
  }

  // --- DMARC alignment -------------------------------------------------------------------------
  if (!dmarc) row('dns.dmarc.alignment', 'skip', 'no DMARC policy, so receivers do not require alignment');
  else {
    const spf = spfAlignment(f.provider, f.spf.name, f.domain, dmarc, spfAuthorises && !spfBroken);
    const dkimAlign: Alignment =
      dkim.length === 0
        ? { verdict: 'unknown', why: 'DKIM was not checked (no selector known)' }
        : dkimAligned
          ? { verdict: 'yes', why: `DKIM aligns (a valid key at ${shownName(dkim.find((d) => d.verdict.kind === 'valid')!.facts.name)}, d=${f.domain})` }
          : { verdict: 'no', why: 'DKIM cannot pass (no valid key at the selector checked)' };
    const both = `${spf.why}; ${dkimAlign.why}`;
    const enforcing = dmarc.policy !== 'none' && dmarc.pct > 0;
    if (spf.verdict === 'yes' || dkimAlign.verdict === 'yes') row('dns.dmarc.alignment', 'pass', both);
    else if (spf.verdict === 'unknown' || dkimAlign.verdict === 'unknown') row('dns.dmarc.alignment', 'warn', `cannot tell whether mail passes DMARC: ${both}`);
    else if (!enforcing)
      row('dns.dmarc.alignment', 'warn', `nothing aligns: ${both}; with p=none receivers only report it, a stricter policy would reject the mail`);
    else {
      row('dns.dmarc.alignment', 'fail', `nothing aligns under p=${dmarc.policy}: ${both}`);
      fail({
        id: 'dns.dmarc.unaligned',
        summary: `DMARC at ${shownName(dmarcName)} says p=${dmarc.policy}, and neither SPF nor DKIM can align with ${f.domain}: receivers will ${dmarc.policy === 'reject' ? 'reject' : 'junk'} the mail`,
        causes: [spf.why, dkimAlign.why],
        fixes: [
          ...(spf.fix ? [spf.fix] : []),
          `publish the DKIM record ${f.provider?.label ?? 'your provider'} asks for, so that DKIM aligns`,
          `until then, relax the policy: ${txt(dmarcName, `v=DMARC1; p=none; rua=mailto:dmarc-reports@${f.domain}`)}`,
        ],
      });
    }
  }

  // --- Resend's own view -----------------------------------------------------------------------
  if (f.resendStatus !== undefined && f.provider?.id === 'resend') {
    const dkimOk = dkim.length > 0 && dkimAligned;
    const missing = [
      envelopeMxOk ? undefined : `MX ${f.envelope?.name ?? ''}`,
      spfAuthorises && !spfBroken ? undefined : `SPF at ${shownName(spfName)}`,
      dkimOk ? undefined : 'DKIM resend._domainkey',
    ].filter((m): m is string => m !== undefined);
    const status = f.resendStatus.replace(/_/g, ' ');
    const published = missing.length === 0;
    if (f.resendStatus === 'verified') {
      if (published) row('dns.resend', 'pass', 'Resend says verified, and the records are published');
      else
        row(
          'dns.resend',
          'warn',
          `Resend says verified, but DNS lacks ${missing.join(', ')}: the records changed since Resend checked (it will mark the domain failed), or --dns-server sees another view of DNS`,
        );
    } else if (published) {
      const next =
        f.resendStatus === 'not_started'
          ? 'start the verification in Resend (Domains, Verify)'
          : f.resendStatus === 'failed' || f.resendStatus === 'partially_failed'
            ? 'ask Resend to verify again (Domains, Restart)'
            : 'wait for its next check';
      row('dns.resend', 'warn', `Resend says ${status} while the records are already published: ${next}`);
    } else row('dns.resend', 'pass', `Resend says ${status}, and DNS agrees: ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not published yet`);
  }

  for (const [kind, names] of failures) out.diagnoses.push(lookupDiagnosis(kind, names));
  return out;
}

const rank: Record<CheckStatus, number> = { skip: 0, pass: 1, warn: 2, fail: 3 };

type DkimVerdict = DkimKeyVerdict | { kind: 'missing'; why: string } | { kind: 'dangling'; target: string } | { kind: 'lookup'; answer: DnsFailure };

function dkimVerdict(d: DkimFacts): DkimVerdict {
  if (isLookupFailure(d.txt)) return { kind: 'lookup', answer: d.txt };
  if (d.txt.kind === 'found') {
    const keys = d.txt.records.filter((r) => /(^|;)\s*(v\s*=\s*DKIM1|p\s*=)/i.test(r));
    if (keys.length === 0) return { kind: 'missing', why: 'TXT records, but no DKIM key' };
    if (keys.length > 1) return { kind: 'invalid', reason: `${keys.length} DKIM keys at one selector; receivers may use either` };
    return checkDkimRecord(keys[0]!);
  }
  if (d.cname?.kind === 'found') return { kind: 'dangling', target: d.cname.records[0]! };
  return { kind: 'missing', why: describeEmpty(d.txt) };
}

interface Alignment {
  verdict: 'yes' | 'no' | 'unknown';
  why: string;
  fix?: string;
}

/** Whether SPF can align (RFC 7489 §3.1.2): the envelope domain must equal the From domain (strict) or share its organisational domain (relaxed). */
function spfAlignment(provider: ProviderInfo | undefined, spfName: string, domain: string, dmarc: ParsedDmarc, spfPasses: boolean): Alignment {
  if (!provider) return { verdict: 'unknown', why: 'the provider is unknown, so its envelope domain is too' };
  const envelope = provider.dns.envelope;
  if (envelope.kind === 'provider')
    return { verdict: 'unknown', why: `${provider.label} uses its own envelope domain unless you set up ${envelope.setup}, so SPF aligns only then` };
  if (!spfPasses) return { verdict: 'no', why: `SPF cannot pass for ${provider.label} at ${shownName(spfName)}` };
  if (envelope.kind === 'from-domain') return { verdict: 'yes', why: `SPF aligns (the envelope domain is ${domain} itself)` };
  if (dmarc.aspf === 's') {
    return {
      verdict: 'no',
      why: `SPF passes for ${shownName(spfName)}, but aspf=s (strict) requires the envelope domain to be ${domain} itself`,
      fix: 'drop aspf=s from the DMARC record (relaxed alignment accepts the subdomain)',
    };
  }
  return { verdict: 'yes', why: `SPF aligns under relaxed aspf (${shownName(spfName)} is a subdomain of ${domain})` };
}

function lookupDiagnosis(kind: DnsFailure['kind'], names: string[]): Diagnosis {
  const list = names.join(', ');
  const text: Record<DnsFailure['kind'], { summary: string; causes: string[] }> = {
    timeout: {
      summary: `DNS lookups got no answer in time: ${list}`,
      causes: [
        'the DNS server (--dns-server, or the system resolver) is down or unreachable',
        "the domain's name servers do not answer",
        '--timeout is too short for this network',
      ],
    },
    servfail: {
      summary: `the DNS server failed to answer (SERVFAIL): ${list}`,
      causes: ["the domain's name servers are broken or unreachable", 'a DNSSEC signature does not validate'],
    },
    refused: {
      summary: `the DNS server refused to answer (REFUSED): ${list}`,
      causes: ['the server given with --dns-server does not serve this domain or does not recurse for you'],
    },
    unreachable: {
      summary: `the DNS server cannot be reached: ${list}`,
      causes: ['nothing listens at the address given with --dns-server, or the system resolver is down'],
    },
    error: { summary: `DNS lookups failed: ${list}`, causes: ['the DNS server sent an answer mailcheck could not read'] },
  };
  return {
    id: `dns.lookup.${kind}`,
    class: 'network',
    ...text[kind],
    fixes: [
      "ask the same server by hand, e.g. dig TXT <name> (add @<server> for --dns-server), and fix the server or the domain's name servers",
      'run mailcheck dns again: receivers meeting the same failure defer or reject the mail',
    ],
  };
}

// --- pieces of records ---------------------------------------------------------------------

function mxText(name: string, m: MxRecord): string {
  return `MX ${shownName(name)} ${m.priority} ${isNullMx(m) ? '.' : shownName(m.exchange)}`;
}

function isNullMx(m: MxRecord): boolean {
  return m.exchange === '' || m.exchange === '.';
}

/** Where the provider's include appears: in the record itself, in one it includes, or nowhere (only + qualified includes authorise). */
function findInclude(node: SpfNode, include: string): 'top' | 'nested' | undefined {
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

function withAll(parsed: ParsedSpf, all: string): string {
  return ['v=spf1', ...bodyTerms(parsed), all].join(' ');
}

function withInclude(parsed: ParsedSpf, include: string, all?: string): string {
  const current = parsed.terms.find((t) => t.kind === 'mechanism' && t.name === 'all');
  const ending = all ?? current?.text ?? '~all';
  return ['v=spf1', ...bodyTerms(parsed).filter((t) => t.toLowerCase() !== include.toLowerCase()), include, ending].join(' ');
}

function repairSpf(parsed: ParsedSpf, fallback: string): string {
  const body = bodyTerms(parsed);
  if (body.length === 0) return fallback;
  const all = parsed.terms.find((t) => t.kind === 'mechanism' && t.name === 'all');
  return ['v=spf1', ...body, all?.text ?? '~all'].join(' ');
}

/** Several SPF records as one: every term once, the first record's `all` last. */
function mergeSpf(records: string[]): string {
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
