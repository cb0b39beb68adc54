import { isIP } from 'node:net';
import { parsePort } from '../config/smtp-settings.js';
import type { SmtpFailure } from '../diagnose/types.js';
import { lookupHost, type HostLookupOptions } from '../dns/host.js';
import { UserError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import type { ProbeAddress } from '../report/probe.js';

/** The submission ports providers document: implicit TLS 465/2465, STARTTLS 587/2587/2525, relay 25. */
export const defaultProbePorts: readonly number[] = [465, 587, 25, 2465, 2587, 2525];

/** A probe is for finding the submission port, not a port scan: each port costs six sockets (two families, three modes). */
export const maxProbePorts = 32;

/** "465,587, 2525" -> [465, 587, 2525]; anything else is a usage error, not a guess. */
export function parsePortList(text: string): number[] {
  const parts = text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  const ports = parts.map(parsePort);
  if (parts.length === 0 || ports.some((p) => p === undefined)) {
    throw new UserError(
      `--ports ${JSON.stringify(text).slice(0, 200)} is not a list of ports`,
      ExitCode.usage,
      'write it as --ports 465,587,2525 (each 1 to 65535)',
    );
  }
  const unique = [...new Set(ports as number[])];
  if (unique.length > maxProbePorts) {
    throw new UserError(
      `--ports lists ${unique.length} ports; a probe tries at most ${maxProbePorts}`,
      ExitCode.usage,
      'list the submission ports you want to compare, e.g. --ports 465,587,2525',
    );
  }
  return unique;
}

/** The ports to try: the given list (or the defaults), plus the configured one. */
export function portsToProbe(explicit: number[] | undefined, configuredPort: number | undefined): number[] {
  const ports = [...(explicit ?? defaultProbePorts)];
  if (configuredPort !== undefined && !ports.includes(configuredPort)) ports.push(configuredPort);
  return ports;
}

/** A host as the probe accepts it: a bare name or address, the same rule SMTP_HOST follows. */
export function checkProbeHost(host: string): string {
  const bare = host
    .trim()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '');
  const withPort = /^([^:\s]+):(\d+)$/.exec(bare);
  if (/:\/\//.test(bare) || /\s/.test(bare) || bare === '' || withPort) {
    throw new UserError(
      `${JSON.stringify(host)} is not a bare host name`,
      ExitCode.usage,
      withPort
        ? `give the host alone and the port with --ports: mailcheck probe ${withPort[1]} --ports ${withPort[2]}`
        : 'give it as smtp.example.com (no scheme, no port, no spaces)',
    );
  }
  return bare;
}

export type Resolution = { addresses: ProbeAddress[] } | { failure: SmtpFailure };

/**
 * One address per family: IPv4 and IPv6 fail separately (an IPv6 path without a route is the
 * classic "works on my laptop, not in Docker"), so each is probed on its own. Resolved as the
 * walk resolves the host (dns/host.ts), --dns-server included.
 */
export async function resolveAddresses(host: string, o: HostLookupOptions): Promise<Resolution> {
  const found = await lookupHost(host, o);
  if ('failure' in found) {
    const { code } = found.failure;
    return { failure: { stage: 'dns', code: 'EDNS', originalCode: code, message: `${code} ${host}` } };
  }
  const addresses: ProbeAddress[] = [];
  for (const f of [4, 6] as const) {
    const first = found.addresses.find((a) => isIP(a) === f);
    if (first) addresses.push({ family: f, address: first });
  }
  return { addresses };
}
