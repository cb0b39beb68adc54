import { isIP } from 'node:net';
import type { SmtpSettings } from '../config/smtp-settings.js';
import { lookupHost } from '../dns/host.js';
import { attemptSmtp } from '../probe/attempt.js';
import { cellFromAttempt } from '../probe/classify.js';
import type { Check } from '../report/model.js';
import type { ProbeMode } from '../report/probe.js';

export interface FamilyCheckOptions {
  settings: SmtpSettings;
  timeoutMs: number;
  ca?: string;
  dnsServer?: string;
  ehloName?: string;
  signal?: AbortSignal;
}

/**
 * doctor, for a host with both IPv4 and IPv6 addresses (and neither -4 nor -6): one short attempt
 * per family beside the walk, over the first address of each (connect, greeting, EHLO and, as
 * configured, STARTTLS or implicit TLS; no login, nothing sent), so the report says whether each
 * family works. Apps connect over either (nodemailer tries both, RFC 8305), so a family that
 * fails is a warning (`smtp.ipv4`, `smtp.ipv6`); the walk's verdict decides the exit code.
 * No checks when the host has one family only, or does not resolve (the walk says why).
 */
export async function addressFamilyChecks(o: FamilyCheckOptions): Promise<Check[]> {
  const { host, port, secure } = o.settings;
  if (isIP(host)) return [];
  const found = await lookupHost(host, { server: o.dnsServer, timeoutMs: o.timeoutMs });
  if ('failure' in found) return [];
  const v4 = found.addresses.find((a) => isIP(a) === 4);
  const v6 = found.addresses.find((a) => isIP(a) === 6);
  if (!v4 || !v6 || o.signal?.aborted) return [];
  const mode: ProbeMode = secure ? 'implicit-tls' : 'starttls';
  return Promise.all(
    (
      [
        [4, v4],
        [6, v6],
      ] as const
    ).map(async ([family, address]): Promise<Check> => {
      const attempt = await attemptSmtp({
        host: address,
        servername: host,
        port,
        mode,
        timeoutMs: o.timeoutMs,
        ...(o.ca ? { ca: o.ca } : {}),
        ...(o.ehloName ? { ehloName: o.ehloName } : {}),
        ...(o.signal ? { signal: o.signal } : {}),
      });
      const cell = cellFromAttempt({ family, address, port, mode }, attempt, o.timeoutMs);
      const unverified = cell.tls && !cell.tls.authorized ? (cell.tls.authorizationError ?? 'UNABLE_TO_VERIFY') : undefined;
      const works = cell.status === 'works' && unverified === undefined;
      const done = mode === 'starttls' ? 'greeting, EHLO and STARTTLS' : 'TLS handshake, greeting and EHLO';
      return {
        id: `smtp.ipv${family}`,
        status: works ? 'pass' : 'warn',
        title: `SMTP over IPv${family}`,
        detail: works
          ? `${done} over ${address}${cell.tls ? ` (${cell.tls.protocol})` : ''}`
          : unverified
            ? `the certificate over ${address} did not verify (${unverified})`
            : `${address}: ${cell.detail ?? cell.status}`,
        ms: attempt.ms,
        records: [`${family === 4 ? 'A' : 'AAAA'} ${address}`],
      };
    }),
  );
}
