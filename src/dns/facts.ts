/** What the DNS checks read, as facts for the judgement in src/dns/rules.ts. */
import type { ProviderInfo } from '../config/providers.js';
import type { DnsAnswer, MxRecord } from './records.js';
import type { SpfTree } from './spf-tree.js';

export interface DkimFacts {
  selector: string;
  /** `resend._domainkey.example.com`. */
  name: string;
  /** The provider's fixed selector, or one given with --dkim-selector. */
  source: 'provider' | 'flag';
  txt: DnsAnswer<string>;
  /** Read only when the TXT lookup found nothing: a CNAME there points at a key that is not there. */
  cname?: DnsAnswer<string>;
}

export interface DnsFacts {
  /** The sending domain in ASCII (punycode for an IDN), as DNS knows it. */
  domain: string;
  /** Who sends for the domain, when known, and why mailcheck thinks so. */
  provider?: ProviderInfo;
  providerReason: string;
  mx: DnsAnswer<MxRecord>;
  /** The provider's envelope subdomain (Resend's send.<domain>) and its MX, when it needs one. */
  envelope?: { name: string; mx: DnsAnswer<MxRecord> };
  /** SPF at the envelope domain: send.<domain> for Resend, the domain itself otherwise. */
  spf: { name: string; tree: SpfTree };
  dkim: DkimFacts[];
  /**
   * _dmarc at the sending domain and, when that holds no single DMARC record, the answers of the
   * tree walk above it (its parents' _dmarc, nearest first; dmarc.ts), where receivers look next.
   */
  dmarc: { name: string; answer: DnsAnswer<string>; walk?: { domain: string; answer: DnsAnswer<string> }[] };
  /** The Resend API's status of this domain, when doctor asked the API (verified, pending, ...). */
  resendStatus?: string;
}
