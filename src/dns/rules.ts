/**
 * What the DNS records of the sending domain mean for delivery: facts (src/dns/facts.ts) in,
 * check rows and diagnoses out. Pure: no I/O, no clock.
 *
 * Missing or weak records are warnings (a row with the record to publish); records that make
 * receivers reject or junk the mail are failures: a failed row, and the problem for the rule
 * tables of diagnoses.ts to diagnose (class `deliverability`); a lookup that got no answer says
 * nothing about the records and is a `network` failure. Every text from DNS passes through
 * shownRecord/shownName (here and in record-text.ts) on its way into a row or diagnosis.
 */
import type { ProviderInfo } from '../config/providers.js';
import { checkDkimRecord, type DkimKeyVerdict } from './dkim.js';
import { type DmarcPolicyAt, dmarcRecordsIn, inheritedDmarc, parseDmarc, type ParsedDmarc, subdomainPolicy } from './dmarc.js';
import type { DkimFacts, DnsFacts } from './facts.js';
import { type Alignment, diagnoseDnsProblem, diagnoseFailedLookups, type DnsProblem } from './diagnoses.js';
import { findInclude, isNullMx, mxText, publishTxt, suggestedSpf, txt, withAll, withInclude } from './record-text.js';
import { describeEmpty, isLookupFailure, shownName, shownRecord, type DnsFailure } from './records.js';
import { allQualifier } from './spf.js';
import { maxLookups, maxVoidLookups, nodesOf } from './spf-tree.js';
import type { Check, CheckStatus } from '../report/model.js';
import type { Diagnosis } from '../diagnose/types.js';

export interface DnsJudgement {
  checks: Check[];
  diagnoses: Diagnosis[];
}

/** Stable ids of the check rows, in report order. */
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

export function judgeDns(f: DnsFacts): DnsJudgement {
  const out: DnsJudgement = { checks: [], diagnoses: [] };
  const failures = new Map<DnsFailure['kind'], string[]>();
  const row = (id: DnsCheckId, status: CheckStatus, detail: string, extra: { records?: string[]; fix?: string } = {}) => {
    const check: Check = { id, status, title: titles[id], detail };
    if (extra.records?.length) check.records = extra.records;
    if (extra.fix) check.fix = extra.fix;
    out.checks.push(check);
  };
  const fail = (problem: DnsProblem) => {
    const diagnosis = diagnoseDnsProblem(problem, f);
    if (diagnosis) out.diagnoses.push(diagnosis);
  };
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
    fail({ kind: 'domain-missing' });
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
    if (isLookupFailure(mx)) {
      lookupFailed('dns.mx.envelope', 'MX', name, mx);
      return false;
    }
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
  const suggested = suggestedSpf(f.provider);
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
    fail({ kind: 'spf-multiple' });
  } else if (root.parsed?.errors.length) {
    spfBroken = true;
    row('dns.spf', 'fail', `syntax errors: ${root.parsed.errors.map(shownRecord).join('; ')}`, { records: spfRecords });
    fail({ kind: 'spf-syntax', parsed: root.parsed });
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
      fail({ kind: 'spf-too-many-lookups' });
    } else if (tree.voidLookups.length > maxVoidLookups) {
      spfBroken = true;
      row('dns.spf.lookups', 'fail', `${counted}: more than ${maxVoidLookups} lookups find nothing, a permanent error (RFC 7208 §4.6.4)`, { records });
      fail({ kind: 'spf-void-lookups' });
    } else if (brokenIncludes.length) {
      spfBroken = true;
      const what = brokenIncludes.map(
        (n) =>
          `${shownRecord(n.via ?? n.domain)}: ${n.problem?.kind === 'multiple' ? 'several SPF records' : n.problem ? 'no SPF record there' : n.parsed!.errors.map(shownRecord).join('; ')}`,
      );
      row('dns.spf.lookups', 'fail', `${counted}; broken: ${what.join(', ')}`, { records });
      fail({ kind: 'spf-include-broken', what });
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
      fail({ kind: 'spf-provider-missing', parsed: root.parsed!, include: include! });
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
          fail({ kind: 'dkim-unusable', key: verdict.kind, name, why, selector: facts.selector });
        }
      }
    }
    const check: Check = { id: 'dns.dkim', status, title: titles['dns.dkim'], detail: parts.join('; ') };
    if (records.length) check.records = records;
    if (fix && status === 'warn') check.fix = fix;
    out.checks.push(check);
  }

  // --- DMARC -----------------------------------------------------------------------------------
  /** The policy receivers apply to the sending domain, the tag it comes from and where its record is (else there is none). */
  let dmarc: (ParsedDmarc & DmarcPolicyAt) | undefined;
  const dmarcName = f.dmarc.name;
  const dmarcFix = publishTxt(dmarcName, `v=DMARC1; p=none; rua=mailto:dmarc-reports@${f.domain}`);
  const modeText = (parsed: ParsedDmarc, { tag, policy }: DmarcPolicyAt) => {
    const mode = `${tag}=${policy}${parsed.pct < 100 ? ` (pct=${parsed.pct})` : ''}, aspf=${parsed.aspf}, adkim=${parsed.adkim}`;
    return [mode, ...parsed.warnings.map(shownRecord), ...(policy === 'none' ? [`${tag}=none only asks for reports`] : [])].join('; ');
  };
  if (isLookupFailure(f.dmarc.answer)) lookupFailed('dns.dmarc', 'TXT', dmarcName, f.dmarc.answer);
  else {
    const found = dmarcRecordsIn(f.dmarc.answer);
    const records = found.map((r) => txt(dmarcName, r));
    // One record of its own ends the discovery, even one receivers ignore (p=block and no rua=):
    // the tree walk of RFC 9989 §4.10 discards only names with no DMARC record or several.
    if (found.length === 1) {
      const parsed = parseDmarc(found[0]!);
      if (!parsed.policy) row('dns.dmarc', 'warn', `receivers ignore the record: ${parsed.errors.map(shownRecord).join('; ')}`, { records, fix: dmarcFix });
      else {
        dmarc = { ...parsed, policy: parsed.policy, tag: 'p', at: dmarcName };
        row('dns.dmarc', parsed.warnings.length ? 'warn' : 'pass', modeText(parsed, dmarc), { records });
      }
    } else dmarc = judgeInheritedDmarc(found.length, records);
  }
  /**
   * No single record of the domain's own (none, or several, which receivers discard): receivers
   * take the one up the tree. Returns the policy it sets, if any.
   */
  function judgeInheritedDmarc(ownCount: number, ownRecords: string[]): (ParsedDmarc & DmarcPolicyAt) | undefined {
    const own =
      ownCount > 1
        ? `${ownCount} DMARC records at ${shownName(dmarcName)}, which receivers discard (RFC 7489 §6.6.3)`
        : `no DMARC record at ${shownName(dmarcName)}`;
    const fix = ownCount > 1 ? `keep one: ${dmarcFix}` : dmarcFix;
    const walk = f.dmarc.walk ?? [];
    const finds = walk.flatMap(({ domain, answer }) => {
      const found = dmarcRecordsIn(answer);
      return found.length === 1 ? [{ domain, record: found[0]! }] : [];
    });
    // A parent that did not answer may hold the record that applies (one with psd=, or one higher
    // up, which wins): which policy receivers apply is then unknown, whatever the others said.
    const unanswered = walk.flatMap(({ domain, answer }) => (isLookupFailure(answer) ? [{ domain, answer }] : []))[0];
    if (unanswered) {
      lookupFailed('dns.dmarc', 'TXT', `_dmarc.${unanswered.domain}`, unanswered.answer);
      return undefined;
    }
    const inherited = inheritedDmarc(f.domain, finds);
    if (!inherited) {
      const above = f.domain.split('.').length > 2 ? ', nor at a parent domain' : '';
      row('dns.dmarc', 'warn', `${own}${above}: Gmail and Yahoo require one from bulk senders, and receivers judge the mail without your policy`, {
        records: ownRecords,
        fix,
      });
      return undefined;
    }
    const at = `_dmarc.${inherited.domain}`;
    const records = [...ownRecords, txt(at, inherited.record)];
    const { parsed } = inherited;
    const from = `${shownName(inherited.domain)}'s (the ${inherited.as})`;
    if (!parsed.policy) {
      row('dns.dmarc', 'warn', `${own}; receivers would apply ${from}, but ignore it: ${parsed.errors.map(shownRecord).join('; ')}`, { records, fix });
      return undefined;
    }
    const applied = { ...parsed, ...subdomainPolicy({ ...parsed, policy: parsed.policy }, f.mx.kind !== 'nxdomain'), at };
    // A public suffix's policy covers the domain, but its reports go to the suffix's operator, not
    // to the domain's owner, who publishes nothing: a record of the owner's own is still the fix.
    const bySuffix = inherited.as === 'public suffix';
    const status = ownCount > 1 || bySuffix || parsed.warnings.length ? 'warn' : 'pass';
    const detail = `${own}, so receivers apply ${from}: ${modeText(parsed, applied)}${bySuffix ? `; publish one for ${shownName(f.domain)} to set your own policy and get its reports` : ''}`;
    row('dns.dmarc', status, detail, { records, ...(ownCount > 1 || bySuffix ? { fix } : {}) });
    return applied;
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
      row(
        'dns.dmarc.alignment',
        'warn',
        `nothing aligns: ${both}; with ${dmarc.policy === 'none' ? `${dmarc.tag}=none` : 'pct=0'} receivers only report it, a stricter policy would reject the mail`,
      );
    else {
      row('dns.dmarc.alignment', 'fail', `nothing aligns under ${dmarc.tag}=${dmarc.policy}: ${both}`);
      fail({ kind: 'dmarc-unaligned', policy: dmarc, spf, dkim: dkimAlign });
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

  for (const [failure, queries] of failures) out.diagnoses.push(diagnoseFailedLookups({ failure, queries }));
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

/** Whether SPF can align (RFC 7489 §3.1.2): the envelope domain must equal the From domain (strict) or share its organisational domain (relaxed). */
function spfAlignment(provider: ProviderInfo | undefined, spfName: string, domain: string, dmarc: ParsedDmarc & DmarcPolicyAt, spfPasses: boolean): Alignment {
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
      fix: `drop aspf=s from the DMARC record at ${shownName(dmarc.at)} (relaxed alignment accepts the subdomain)`,
    };
  }
  return { verdict: 'yes', why: `SPF aligns under relaxed aspf (${shownName(spfName)} is a subdomain of ${domain})` };
}
