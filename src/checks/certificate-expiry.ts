import type { Check } from '../report/model.js';
import type { TlsInfo } from '../report/tls.js';

/** Renewal tools (certbot, ACME clients) renew 30 days ahead; a certificate this close to its end is one whose renewal failed. */
export const expiryWarningDays = 14;
const dayMs = 24 * 60 * 60 * 1000;

/**
 * A certificate that verified today but ends within 14 days: a warning now rather than a TLS
 * failure (exit 5) in two weeks. An expired one already fails verification; that is not this.
 * Undefined when there is nothing to warn about.
 */
export function certificateExpiryCheck(tls: TlsInfo | undefined, now: Date = new Date()): Check | undefined {
  if (!tls?.validTo || !tls.authorized) return undefined;
  const left = Date.parse(tls.validTo) - now.getTime();
  if (!Number.isFinite(left) || left < 0) return undefined;
  const days = Math.floor(left / dayMs);
  // Only the warning: the expiry date of a healthy certificate is already in the TLS check's detail.
  if (days >= expiryWarningDays) return undefined;
  const when = days === 0 ? 'today' : `in ${days} day${days === 1 ? '' : 's'}`;
  return {
    id: 'smtp.tls.expiry',
    status: 'warn',
    title: 'certificate validity',
    detail: `the server's certificate expires ${when} (${tls.validTo})`,
    fix: "renew the server's certificate (or ask the provider to); check why automatic renewal did not run",
  };
}
