import { priorityOrder, type Diagnosis, type DiagnosisContext } from './types.js';

/**
 * The two port/TLS-mode mismatches as proven by trying the other mode on the same port: by the
 * walk's mismatch watch (checks/mismatch.ts) and by the probe's grid (probe/verdict.ts). The
 * rule table (smtp-rules.ts) has the same ids for the same mismatch inferred from one failure.
 */

type Names = DiagnosisContext['names'];

/** SMTP_SECURE is not 1 but the port speaks implicit TLS. `proof` says how we know. */
export function implicitTlsProven(p: { port: number; names: Names; proof: string; greeting?: string; otherFix?: string }): Diagnosis {
  const n = p.names;
  return {
    id: 'tls.plaintext-on-implicit-port',
    class: 'tls',
    summary: `port ${p.port} speaks implicit TLS: set ${n.secure}=1`,
    causes: [
      `proven by trying: ${p.proof}`,
      `without ${n.secure}=1 a client speaks plain text first and waits for a greeting the server never sends (other tools wait 30 s, then say "Greeting never received")`,
    ],
    fixes: priorityOrder([
      p.otherFix ?? `or keep ${n.secure}=0 and use the provider's STARTTLS port (usually 587); \`mailcheck probe\` lists every port and mode that works`,
      `set ${n.secure}=1 (and keep ${n.port}=${p.port})`,
    ]),
    ...(p.greeting ? { serverSaid: p.greeting } : {}),
  };
}

/** SMTP_SECURE=1 but the port greets in plain text (STARTTLS or none). */
export function plainSmtpProven(p: { port: number; names: Names; proof: string; greeting?: string; starttlsOffered?: boolean; otherFix?: string }): Diagnosis {
  const n = p.names;
  const speaks = p.starttlsOffered === false ? 'plain SMTP without STARTTLS' : 'STARTTLS';
  return {
    id: 'tls.implicit-on-starttls-port',
    class: 'tls',
    summary: `port ${p.port} speaks ${speaks}, not implicit TLS: set ${n.secure}=0`,
    causes: [
      `proven by trying: ${p.proof}`,
      `with ${n.secure}=1 a client starts a TLS handshake and reads the plain-text greeting as a broken TLS record ("wrong version number")`,
      ...(p.starttlsOffered === false
        ? [`the server does not offer STARTTLS on port ${p.port}: with ${n.secure}=0 the password would cross the network unencrypted`]
        : []),
    ],
    fixes: priorityOrder([
      p.otherFix ?? `or keep ${n.secure}=1 and use the provider's implicit TLS port (usually 465); \`mailcheck probe\` lists every port and mode that works`,
      `set ${n.secure}=0 (and keep ${n.port}=${p.port})`,
    ]),
    ...(p.greeting ? { serverSaid: p.greeting } : {}),
  };
}
