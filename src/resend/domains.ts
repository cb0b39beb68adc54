/**
 * What the domain list says about the sender's domain. Pure: the API calls happen in checks.ts,
 * the words in src/diagnose/resend-rules.ts.
 */
import type { Domain, DomainRecords, GetDomainResponseSuccess } from 'resend';
import type { DomainProblem, ExpectedRecord } from '../diagnose/resend-rules.js';
import type { CheckStatus } from '../report/model.js';

/** Resend's shared testing domain: usable without verifying anything, but only to the owner. */
export const testingDomain = 'resend.dev';

/** The SDK's types list six statuses; the API also reports `temporary_failure` (see the field notes). */
type DomainStatusSeen = Domain['status'] | 'temporary_failure';

export type DomainMatch =
  | { kind: 'testing' }
  | { kind: 'found'; domain: Domain }
  | { kind: 'missing'; problem: DomainProblem & { kind: 'not-added' | 'subdomain' } };

const isSubdomainOf = (child: string, parent: string): boolean => child.endsWith(`.${parent}`);

/**
 * Finds the sender's domain among the account's domains. A subdomain is never covered by its
 * parent in Resend: that case is its own finding, because users expect the opposite.
 */
export function matchSenderDomain(senderDomain: string, domains: readonly Domain[], incomplete: boolean): DomainMatch {
  const wanted = senderDomain.toLowerCase();
  if (wanted === testingDomain) return { kind: 'testing' };
  const exact = domains.find((d) => d.name.toLowerCase() === wanted);
  if (exact) return { kind: 'found', domain: exact };
  // The closest parent first (a.b.example.com prefers b.example.com over example.com); verified ones first.
  const parents = domains
    .filter((d) => isSubdomainOf(wanted, d.name.toLowerCase()))
    .sort((a, b) => Number(b.status === 'verified') - Number(a.status === 'verified') || b.name.length - a.name.length);
  if (parents[0]) return { kind: 'missing', problem: { kind: 'subdomain', domain: wanted, parent: { name: parents[0].name, status: parents[0].status } } };
  const related = domains.filter((d) => isSubdomainOf(d.name.toLowerCase(), wanted)).map((d) => ({ name: d.name, status: d.status }));
  return { kind: 'missing', problem: { kind: 'not-added', domain: wanted, listed: domains.map((d) => d.name), related, incomplete } };
}

/** The records Resend asks for, in the order the API lists them. */
export function expectedRecords(detail: Pick<GetDomainResponseSuccess, 'records'>): ExpectedRecord[] {
  return (detail.records ?? []).map((r: DomainRecords) => {
    const record: ExpectedRecord = { record: r.record, type: r.type, name: r.name, value: r.value, status: r.status };
    if ('priority' in r && typeof r.priority === 'number') record.priority = r.priority;
    return record;
  });
}

/** SPF (the MX and TXT on `send`) and DKIM are what sending needs; tracking and receiving records are not. */
const sendingRecordKinds = new Set(['SPF', 'DKIM']);

export interface DomainVerdict {
  status: CheckStatus;
  detail: string;
  problem?: DomainProblem;
}

/**
 * Whether Resend will send from this domain. The domain status alone is coarse
 * (`partially_verified` can mean sending works and receiving does not), so when the records
 * are known, the sending records decide.
 */
export function judgeDomain(domain: Domain, records: ExpectedRecord[] | undefined): DomainVerdict {
  const status = domain.status as DomainStatusSeen;
  const name = domain.name;
  const region = domain.region ? `, region ${domain.region}` : '';
  if (domain.capabilities?.sending === 'disabled') {
    return { status: 'fail', detail: `${name}: sending is disabled`, problem: { kind: 'sending-disabled', domain: name } };
  }
  if (status === 'verified') return { status: 'pass', detail: `${name} verified${region}` };
  if (status === 'temporary_failure') {
    return { status: 'warn', detail: `${name}: Resend's last DNS check failed temporarily (it retries); sending usually keeps working` };
  }
  const sending = (records ?? []).filter((r) => sendingRecordKinds.has(r.record));
  if ((status === 'partially_verified' || status === 'partially_failed') && sending.length > 0 && sending.every((r) => r.status === 'verified')) {
    return { status: 'warn', detail: `${name} is ${status}: the records for sending are verified, others are not` };
  }
  return { status: 'fail', detail: `${name} is ${status.replace(/_/g, ' ')}`, problem: { kind: 'not-verified', domain: name, status, records: records ?? [] } };
}
