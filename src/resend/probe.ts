/**
 * The SDK turns every network failure into the same `application_error` with no cause. To name
 * the real one, we repeat the path a request takes, one step at a time, against the same host
 * and port: DNS lookup, TCP connect, TLS handshake (verified exactly as fetch verifies it).
 * The first step that fails is the cause; if all succeed, the host answered but not usefully.
 */
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import type { NetworkCause } from '../diagnose/resend-rules.js';
import { lookupOne } from '../dns/host.js';
import type { ResendEndpoint } from './endpoint.js';
import { hostPort } from '../config/host-port.js';

export interface ProbeOptions {
  timeoutMs: number;
  /** --dns-server: the DNS step asks it, as the requests did (dns/host.ts). */
  dnsServer?: string;
  /** Each step as it completes, for the transcript. */
  onStep?: (text: string) => void;
}

type Errno = Error & { code?: string };

const timedOut = (what: string, ms: number): Errno => Object.assign(new Error(`${what}: no answer within ${ms} ms`), { code: 'ETIMEDOUT' });

/** Resolves or rejects with the step's error; a step that outlives the bound rejects with ETIMEDOUT. */
function bounded<T>(what: string, ms: number, run: (done: (error: Errno | undefined, value?: T) => void) => () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let cleanup: () => void = () => {};
    const timer = setTimeout(() => finish(timedOut(what, ms)), ms);
    function finish(error: Errno | undefined, value?: T): void {
      clearTimeout(timer);
      cleanup();
      if (error) reject(error);
      else resolve(value as T);
    }
    cleanup = run(finish);
  });
}

export async function probeEndpoint(endpoint: ResendEndpoint, o: ProbeOptions): Promise<NetworkCause> {
  const cause = (stage: NetworkCause['stage'], error: Errno): NetworkCause => ({ stage, code: error.code ?? 'ERROR', message: error.message });
  const step = (text: string) => o.onStep?.(text);

  let address = endpoint.host;
  if (!isIP(endpoint.host)) {
    try {
      // dns.lookup cannot be cancelled; the bound only stops us waiting for it.
      address = await bounded<string>(`DNS lookup of ${endpoint.host}`, o.timeoutMs, (done) => {
        lookupOne(endpoint.host, { server: o.dnsServer, timeoutMs: o.timeoutMs }).then(
          (r) => done(undefined, r),
          (e: Errno) => done(e),
        );
        return () => {};
      });
      step(`DNS ${endpoint.host} -> ${address}`);
    } catch (error) {
      return cause('dns', error as Errno);
    }
  }

  let socket: Socket;
  try {
    socket = await bounded<Socket>(`connect to ${hostPort(address, endpoint.port)}`, o.timeoutMs, (done) => {
      const s = netConnect({ host: address, port: endpoint.port });
      s.once('connect', () => done(undefined, s));
      s.once('error', (e: Errno) => done(e));
      return () => {
        s.removeAllListeners('connect');
        s.removeAllListeners('error');
        // Keep a listener: a late error on an abandoned socket must not crash the process.
        s.on('error', () => {});
        if (!s.readyState || s.readyState === 'opening') s.destroy();
      };
    });
    step(`TCP connected to ${hostPort(address, endpoint.port)}`);
  } catch (error) {
    return cause('connect', error as Errno);
  }

  try {
    if (endpoint.secure) {
      const tls = await bounded<TLSSocket>(`TLS handshake with ${endpoint.host}`, o.timeoutMs, (done) => {
        // Default verification, as fetch does it: the system CAs plus NODE_EXTRA_CA_CERTS.
        const t = tlsConnect({ socket, host: endpoint.host, ...(isIP(endpoint.host) ? {} : { servername: endpoint.host }), ALPNProtocols: ['http/1.1'] });
        t.once('secureConnect', () => done(undefined, t));
        t.once('error', (e: Errno) => done(e));
        return () => {
          t.removeAllListeners('secureConnect');
          t.removeAllListeners('error');
          t.on('error', () => {});
        };
      });
      step(`TLS ${tls.getProtocol() ?? ''} with ${endpoint.host}, certificate verified`);
      tls.destroy();
    }
  } catch (error) {
    return cause('tls', error as Errno);
  } finally {
    socket.destroy();
  }
  return {
    stage: 'http',
    code: 'EBADRESPONSE',
    message: `${hostPort(endpoint.host, endpoint.port)} accepts connections${endpoint.secure ? ' and TLS' : ''}, but its answer could not be read as the Resend API`,
  };
}
