import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { generateCertificate } from './certificate.js';

/** A real SMTP server on loopback, so a newcomer sees a whole successful session. */
export interface Sandbox {
  host: string;
  port: number;
  user: string;
  password: string;
  sender: string;
  recipient: string;
  /** The sandbox's certificate, trusted for this run only. */
  ca: string;
  /** Messages the sandbox accepted (it keeps none of their content). */
  received(): number;
  close(): Promise<void>;
}

/** The sandbox on IPv4 loopback, or on IPv6's (::1) for a run that asked for IPv6 only (-6). */
export async function startSandbox(family?: 4 | 6): Promise<Sandbox> {
  const host = family === 6 ? '::1' : '127.0.0.1';
  const user = 'mailcheck';
  // A fresh random password each run: the sandbox exercises the same redaction as real runs.
  const password = `sandbox-${randomBytes(9).toString('base64url')}`;
  const { key, cert } = await generateCertificate({ commonName: 'localhost', dnsNames: ['localhost'], ips: [host] });
  let received = 0;
  const server = new SMTPServer({
    key,
    cert,
    name: 'sandbox.mailcheck.test',
    banner: 'mailcheck sandbox ready',
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    disableReverseLookup: true,
    onAuth(auth, _session, callback) {
      if (auth.username === user && auth.password === password) return callback(null, { user });
      callback(Object.assign(new Error('Authentication credentials invalid'), { responseCode: 535 }));
    },
    onData(stream, _session, callback) {
      stream.resume();
      stream.on('end', () => {
        received += 1;
        callback(null, `Message accepted by the sandbox (#${received})`);
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;
  return {
    host,
    port,
    user,
    password,
    sender: 'mailcheck sandbox <sandbox@mailcheck.test>',
    recipient: 'you@mailcheck.test',
    ca: cert,
    received: () => received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
