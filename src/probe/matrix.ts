import { setMaxListeners } from 'node:events';
import { isIP } from 'node:net';
import type { AuthMethod } from '../diagnose/types.js';
import { attemptSmtp } from './attempt.js';
import { cellFromAttempt, reconcilePort } from './classify.js';
import { probeModes, type ProbeAddress, type ProbeCell } from '../report/probe.js';

export interface MatrixOptions {
  /** The host name as given: certificates are checked against it, whatever address is dialled. */
  host: string;
  addresses: ProbeAddress[];
  ports: number[];
  /** Bound for each attempt; all attempts run at once, so this is also about the total. */
  timeoutMs: number;
  ca?: string;
  signal?: AbortSignal;
  /** `--auth`: also log in on every combination that works over verified TLS (`method`: --auth-method). */
  login?: { user: string; password: string; method?: AuthMethod };
  /** --ehlo. */
  ehloName?: string;
  onProgress?: (finished: number, total: number) => void;
}

/**
 * Sockets open at once. The largest probe (maxProbePorts x 2 families x 3 modes) then takes at
 * most two rounds of the timeout, and never runs a process out of file descriptors.
 */
const maxOpenAttempts = 96;

/** Runs `work` on every item with at most `limit` in flight; results in the items' order. */
async function mapWithLimit<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * Every address x port x mode at once (up to maxOpenAttempts), each bounded by the timeout: a probe of a host with
 * silent and filtered ports takes about one timeout, not the sum of them.
 */
export async function probeMatrix(o: MatrixOptions): Promise<ProbeCell[]> {
  const servername = isIP(o.host) ? undefined : o.host;
  const targets = o.addresses.flatMap((address) => o.ports.flatMap((port) => probeModes.map((mode) => ({ ...address, port, mode }))));
  // One listener on the caller's signal, not one per attempt (dozens would trip Node's leak warning).
  const stop = new AbortController();
  setMaxListeners(targets.length + 1, stop.signal);
  const onAbort = () => stop.abort();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  if (o.signal?.aborted) stop.abort();
  let finished = 0;
  const cells = await mapWithLimit(targets, maxOpenAttempts, async (target) => {
    const attempt = await attemptSmtp({
      host: target.address,
      port: target.port,
      mode: target.mode,
      timeoutMs: o.timeoutMs,
      ...(servername ? { servername } : {}),
      ...(o.ca ? { ca: o.ca } : {}),
      signal: stop.signal,
      ...(o.login ? { login: o.login } : {}),
      ...(o.ehloName ? { ehloName: o.ehloName } : {}),
    });
    o.onProgress?.(++finished, targets.length);
    return cellFromAttempt(target, attempt, o.timeoutMs);
  });
  o.signal?.removeEventListener('abort', onAbort);
  // Reconcile per address and port: the modes on one port explain each other.
  const byPort = new Map<string, ProbeCell[]>();
  for (const cell of cells) {
    const key = `${cell.address}|${cell.port}`;
    byPort.set(key, [...(byPort.get(key) ?? []), cell]);
  }
  return [...byPort.values()].flatMap(reconcilePort);
}
