/**
 * The only place mailcheck's DNS checks query DNS: Node's c-ares resolver (not getaddrinfo, so
 * /etc/hosts plays no part), every query bounded by --timeout, and with --dns-server sent to that
 * server only. Answers come back as DnsAnswer, never as exceptions.
 */
import { Resolver } from 'node:dns/promises';
import type { TranscriptRecorder } from '../report/transcript.js';
import { joinTxt, type DnsAnswer, type MxRecord } from './records.js';

export interface DnsClientOptions {
  /** `ip` or `ip:port` (`[::1]:53` for IPv6); the system's resolvers when absent. */
  server?: string;
  timeoutMs: number;
  recorder?: TranscriptRecorder;
  signal?: AbortSignal;
}

export interface DnsClient {
  txt(name: string): Promise<DnsAnswer<string>>;
  mx(name: string): Promise<DnsAnswer<MxRecord>>;
  cname(name: string): Promise<DnsAnswer<string>>;
  /** A, then AAAA when there is no A: what an SPF `a` term needs to know whether it is void. */
  address(name: string): Promise<DnsAnswer<string>>;
  /** How many queries were sent. */
  readonly queries: number;
}

const codes: Record<string, DnsAnswer<never>['kind']> = {
  ENOTFOUND: 'nxdomain',
  ENODATA: 'nodata',
  ESERVFAIL: 'servfail',
  ETIMEOUT: 'timeout',
  ECANCELLED: 'timeout',
  EREFUSED: 'refused',
  ECONNREFUSED: 'unreachable',
};

export function createDnsClient(o: DnsClientOptions): DnsClient {
  let queries = 0;
  // One resolver per query: cancel() on a timeout then stops that query only. tries: 1, so that
  // c-ares does not retry past the bound; TCP after a truncated UDP answer is c-ares' own.
  const query = async <T>(type: string, name: string, run: (r: Resolver) => Promise<T[]>): Promise<DnsAnswer<T>> => {
    queries++;
    const resolver = new Resolver({ timeout: o.timeoutMs, tries: 1 });
    if (o.server) resolver.setServers([o.server]);
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), o.timeoutMs);
    });
    const abort = () => resolver.cancel();
    o.signal?.addEventListener('abort', abort, { once: true });
    let answer: DnsAnswer<T>;
    try {
      const result = await Promise.race([run(resolver), bound]);
      if (result === 'timeout') {
        resolver.cancel();
        answer = { kind: 'timeout' };
      } else answer = result.length ? { kind: 'found', records: result } : { kind: 'nodata' };
    } catch (error) {
      const code = String((error as NodeJS.ErrnoException).code ?? 'error');
      const kind = codes[code];
      answer = kind ? ({ kind } as DnsAnswer<T>) : { kind: 'error', code };
    } finally {
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', abort);
    }
    const ms = Math.round(performance.now() - started);
    const what =
      answer.kind === 'found'
        ? `${answer.records.length} record${answer.records.length === 1 ? '' : 's'}`
        : answer.kind === 'error'
          ? answer.code
          : answer.kind.toUpperCase();
    o.recorder?.record('info', `DNS ${type} ${name}: ${what} (${ms} ms)`, false);
    return answer;
  };

  return {
    get queries() {
      return queries;
    },
    txt: (name) => query('TXT', name, async (r) => (await r.resolveTxt(name)).map(joinTxt)),
    mx: (name) => query('MX', name, (r) => r.resolveMx(name)),
    cname: (name) => query('CNAME', name, (r) => r.resolveCname(name)),
    async address(name) {
      const a = await query('A', name, (r) => r.resolve4(name));
      if (a.kind !== 'nodata') return a;
      return query('AAAA', name, (r) => r.resolve6(name));
    },
  };
}
