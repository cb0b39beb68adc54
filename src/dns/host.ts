/**
 * The one place that decides how mailcheck turns a host name into addresses to connect to: the
 * SMTP walk, the probe, the mismatch watch's side attempts and the Resend API requests all ask
 * here (the DNS checks have their own client, resolver.ts, because they ask for records, not for
 * somewhere to connect).
 *
 * - An IP address is itself.
 * - With --dns-server, that server answers (A and AAAA over c-ares) and nothing else is asked:
 *   not the system's resolvers, not the hosts file.
 * - Otherwise a name in the hosts file is answered from it, as the system would, without a round
 *   trip to a DNS server (nodemailer asks the configured resolver for `localhost` first).
 * - Otherwise nodemailer resolves the name its own way (resolve4 and resolve6, then getaddrinfo),
 *   so the walk connects where the user's app would.
 * - With -4 or -6 (`family`), only that family's addresses are kept, wherever they came from, and
 *   a host without one is a lookup failure of its own (EAI_ADDRFAMILY, as getaddrinfo names it).
 */
import { lookup as systemLookup, type LookupAddress } from 'node:dns';
import { Resolver } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import { isIP, type LookupFunction } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { dnsCache, resolveHostname } from 'nodemailer/lib/shared';

export interface HostLookupOptions {
  /** --dns-server (`ip`, `ip:port`, `[v6]:port`): the only server asked when given. */
  server?: string | undefined;
  timeoutMs: number;
  /** -4/-6: only addresses of this family (undefined: both, as the machine can use them). */
  family?: 4 | 6 | undefined;
}

/** Why a name has no address; `code` is the resolver's (ENOTFOUND, EAI_AGAIN, ETIMEOUT, ...). */
export interface HostLookupFailure {
  code: string;
  message: string;
}

/** IPv4 addresses first, then IPv6, as nodemailer orders them. */
export type HostLookup = { addresses: string[] } | { failure: HostLookupFailure };

export async function lookupHost(host: string, o: HostLookupOptions): Promise<HostLookup> {
  if (o.family !== undefined) return inFamily(host, o.family, await lookupAnyFamily(host, o));
  return lookupAnyFamily(host, o);
}

async function lookupAnyFamily(host: string, o: HostLookupOptions): Promise<HostLookup> {
  if (isIP(host)) return { addresses: [host] };
  // With a forced family both are asked: a host without it is told apart from one without any address.
  if (o.server !== undefined) return askServer(host, o.server, o.timeoutMs, o.family ? [4, 6] : usableFamilies());
  const local = fromHostsFile(host);
  // A forced family is the user's choice, even one this machine seems unable to use.
  if (local.length) return { addresses: o.family ? local : usable(local) };
  return askLikeNodemailer(host, o.timeoutMs);
}

/** The code getaddrinfo gives a name that has addresses, but none of the family asked for. */
export const noAddressInFamily = 'EAI_ADDRFAMILY';

/** Keeps the addresses of `family`; none is a failure that says which addresses the host does have. */
function inFamily(host: string, family: 4 | 6, found: HostLookup): HostLookup {
  if ('failure' in found) return found;
  const kept = found.addresses.filter((a) => isIP(a) === family);
  if (kept.length) return { addresses: kept };
  const flag = `-${family}`;
  if (isIP(host)) {
    return { failure: { code: noAddressInFamily, message: `${host} is an IPv${isIP(host)} address, but ${flag} asks for IPv${family}` } };
  }
  const others = found.addresses.slice(0, 3).join(', ');
  const unusable = !usableFamilies().includes(family)
    ? ` (this machine has no IPv${family} address beyond loopback, so its resolver may not have asked for one)`
    : '';
  return {
    failure: {
      code: noAddressInFamily,
      message: `${host} has no IPv${family} address (${family === 4 ? 'A' : 'AAAA'} record), only ${others}${unusable}; ${flag} asks for IPv${family}`,
    },
  };
}

/**
 * Resolves `host` for an SMTPConnection that is then given the name itself. nodemailer connects
 * from its DNS cache when it holds the name, exactly as after its own lookup (every address, both
 * families in RFC 8305 order, the name for SNI and the certificate check), so the addresses found
 * here go into that cache. Its own lookup fills the cache anyway; the others are put there.
 */
export async function resolveForNodemailer(host: string, o: HostLookupOptions): Promise<HostLookupFailure | undefined> {
  if (isIP(host) && o.family === undefined) return undefined;
  // nodemailer's own lookup answers from this cache too: one family's addresses, put there for
  // -4/-6, must not stand for the host in a later session of the same process that asks for both.
  if (o.family !== undefined) familyOnly.add(host);
  else if (familyOnly.delete(host)) dnsCache.delete(host);
  const found = await lookupHost(host, o);
  if ('failure' in found) return found.failure;
  if (isIP(host)) return undefined;
  dnsCache.set(host, { value: { addresses: found.addresses }, expires: Date.now() + nodemailerCacheMs });
  return undefined;
}

/**
 * A `lookup` for node:net, node:tls and node:http connections (the Resend API and its probe).
 * Without --dns-server they keep Node's own getaddrinfo, as fetch and the Resend SDK do.
 */
export function connectLookup(o: HostLookupOptions): LookupFunction | undefined {
  if (o.server === undefined) return undefined;
  return (hostname, options, callback) => {
    void lookupHost(hostname, o).then((found) => {
      if ('failure' in found) return callback(Object.assign(new Error(found.failure.message), { code: found.failure.code }), '', 0);
      const all: LookupAddress[] = found.addresses.map((address) => ({ address, family: isIP(address) }));
      const wanted = options.family === 4 || options.family === 6 ? all.filter((a) => a.family === options.family) : all;
      if (!wanted.length) return callback(Object.assign(new Error(`ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), '', 0);
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, wanted);
      callback(null, wanted[0]!.address, wanted[0]!.family);
    });
  };
}

/** The first address of `host` the way connectLookup resolves it: for the Resend probe's DNS step. */
export function lookupOne(host: string, o: HostLookupOptions): Promise<string> {
  const lookup = connectLookup(o) ?? systemLookup;
  return new Promise((resolve, reject) => lookup(host, {}, (error, address) => (error ? reject(error) : resolve(address as string))));
}

/** Hosts whose entry in nodemailer's cache holds one address family only (resolveForNodemailer). */
const familyOnly = new Set<string>();

/** nodemailer's own cache lifetime (DNS_TTL in its shared/index.js); a CLI run ends long before. */
const nodemailerCacheMs = 5 * 60 * 1000;

async function askServer(host: string, server: string, timeoutMs: number, families: (4 | 6)[]): Promise<HostLookup> {
  // tries: 1 and one bound for both queries, as the DNS checks do (resolver.ts): c-ares would
  // otherwise retry past --timeout.
  const resolver = new Resolver({ timeout: timeoutMs, tries: 1 });
  resolver.setServers([server]);
  const timer = setTimeout(() => resolver.cancel(), timeoutMs);
  const ask = (family: 4 | 6) =>
    (family === 4 ? resolver.resolve4(host) : resolver.resolve6(host)).then(
      (addresses) => ({ addresses, code: undefined }),
      (error: NodeJS.ErrnoException) => ({ addresses: [] as string[], code: error.code === 'ECANCELLED' ? 'ETIMEOUT' : (error.code ?? 'EDNS') }),
    );
  const answers = await Promise.all(families.map(ask));
  clearTimeout(timer);
  const addresses = answers.flatMap((a) => a.addresses);
  if (addresses.length) return { addresses };
  // A name without addresses is ENOTFOUND; a server that failed to answer says how.
  const code = answers.map((a) => a.code).find((c) => c !== undefined && c !== 'ENOTFOUND' && c !== 'ENODATA') ?? 'ENOTFOUND';
  return { failure: { code, message: `${code} ${host} (asked the DNS server ${server})` } };
}

function askLikeNodemailer(host: string, timeoutMs: number): Promise<HostLookup> {
  return new Promise((resolve) =>
    resolveHostname({ host, timeout: timeoutMs }, (error, resolved) => {
      // Its callback's type leaves out _addresses, the whole list it connects to.
      const addresses = (resolved as { _addresses?: string[] } | undefined)?._addresses ?? [];
      if (error || !addresses.length) {
        const code = String((error as NodeJS.ErrnoException | null)?.code ?? 'ENOTFOUND');
        resolve({ failure: { code, message: error?.message ?? `${code} ${host}` } });
      } else resolve({ addresses });
    }),
  );
}

let hostsFile: Map<string, string[]> | undefined;

/** The addresses the hosts file gives `host`, IPv4 first; none when it does not list it (or cannot be read). */
function fromHostsFile(host: string): string[] {
  hostsFile ??= readHostsFile();
  const addresses = hostsFile.get(host.toLowerCase().replace(/\.$/, '')) ?? [];
  return [...addresses.filter((a) => isIP(a) === 4), ...addresses.filter((a) => isIP(a) === 6)];
}

function readHostsFile(): Map<string, string[]> {
  const path = process.platform === 'win32' ? join(process.env.SystemRoot ?? 'C:\\Windows', 'System32', 'drivers', 'etc', 'hosts') : '/etc/hosts';
  const names = new Map<string, string[]>();
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return names;
  }
  for (const line of text.split(/\r?\n/)) {
    const [address, ...aliases] = line.replace(/#.*/, '').trim().split(/\s+/);
    // A scoped address (fe80::1%eth0) is not one nodemailer could be handed; skip it.
    if (!address || !isIP(address)) continue;
    for (const alias of aliases) {
      const key = alias.toLowerCase();
      const list = names.get(key) ?? [];
      if (!list.includes(address)) list.push(address);
      names.set(key, list);
    }
  }
  return names;
}

/**
 * The address families this machine can reach beyond itself, as nodemailer decides it (an
 * interface that is not loopback has one): it does not ask for, nor connect to, the others.
 * Both when the interface table is empty or unreadable, as nodemailer does.
 */
function usableFamilies(): (4 | 6)[] {
  let addresses: { family: string | number; internal: boolean }[] = [];
  try {
    addresses = Object.values(networkInterfaces()).flatMap((list) => list ?? []);
  } catch {
    // some systems refuse; nodemailer then hopes for the best too
  }
  if (!addresses.length) return [4, 6];
  const has = (f: 4 | 6) => addresses.some((a) => !a.internal && (a.family === `IPv${f}` || a.family === f));
  const families = ([4, 6] as const).filter(has);
  return families.length ? families : [4, 6];
}

/** The addresses of a family this machine can use; all of them when none is (a loopback-only machine still reaches itself). */
function usable(addresses: string[]): string[] {
  const families = usableFamilies();
  const kept = addresses.filter((a) => families.includes(isIP(a) as 4 | 6));
  return kept.length ? kept : addresses;
}
