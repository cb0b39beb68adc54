import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { knownProviders, providerInfo, type KnownProvider } from '../../src/config/providers.js';
import { runDnsChecks } from '../../src/dns/checks.js';
import { dnsDiagnosisIds } from '../../src/dns/diagnoses.js';
import { createDnsClient } from '../../src/dns/resolver.js';
import { startDnsServer, type TestDnsServer } from '../fixtures/dns-server.js';
import { zones } from '../fixtures/dns-zones.js';
import { closedPort } from '../fixtures/unreachable.mjs';

/**
 * Every DNS diagnosis id is reachable: the DNS checks (real resolver, real queries) against the
 * loopback DNS server's zones, judged for every provider, with the failure paths the server can
 * play (SERVFAIL, REFUSED, NOTIMP, silence) and a server that is not there.
 */

let server: TestDnsServer;
beforeAll(async () => {
  server = await startDnsServer({ ...zones, refused: ['refused.test'], notimp: ['notimp.test'] });
});
afterAll(() => server.close());

async function idsFor(
  domain: string,
  provider: KnownProvider | undefined,
  o: { server?: string; timeoutMs?: number; selectors?: string[] } = {},
): Promise<string[]> {
  const dns = createDnsClient({ server: o.server ?? server.address, timeoutMs: o.timeoutMs ?? 2000 });
  const judged = await runDnsChecks(
    {
      domain,
      providerReason: provider ? `--provider ${provider}` : 'not given',
      ...(provider ? { provider: providerInfo(provider) } : {}),
      ...(o.selectors ? { selectors: o.selectors } : {}),
    },
    dns,
  );
  return judged.diagnoses.map((d) => d.id);
}

describe('every DNS diagnosis id', () => {
  it('is reached by one of the test zones, or by a failure of the DNS server', async () => {
    const domains = [...new Set(Object.keys(zones.zones).filter((name) => name.endsWith('.test') && !name.includes('_')))];
    const reached = new Set<string>();
    for (const domain of domains) {
      const runs = await Promise.all([undefined, ...knownProviders].map((provider) => idsFor(domain, provider)));
      for (const ids of runs) for (const id of ids) reached.add(id);
    }
    for (const domain of ['nx.test', 'servfail.test', 'refused.test', 'notimp.test']) for (const id of await idsFor(domain, 'resend')) reached.add(id);
    for (const id of await idsFor('silent.test', 'resend', { timeoutMs: 300 })) reached.add(id);
    for (const id of await idsFor('good.test', 'resend', { server: `127.0.0.1:${await closedPort()}`, timeoutMs: 1000 })) reached.add(id);
    expect(dnsDiagnosisIds.filter((id) => !reached.has(id))).toEqual([]);
  }, 60_000);

  it('a lookup failure is one diagnosis per kind, naming every query that met it', async () => {
    expect(await idsFor('servfail.test', 'resend')).toEqual(['dns.lookup.servfail']);
    expect(await idsFor('notimp.test', 'resend')).toEqual(['dns.lookup.error']);
  });
});
