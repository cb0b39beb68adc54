import type { PeerCertificate, TLSSocket } from 'node:tls';
import type { TlsInfo } from '../report/tls.js';
import { safeLine } from '../safety/text.js';

function describeName(name: PeerCertificate['subject'] | undefined): string | undefined {
  if (!name) return undefined;
  const parts = Object.entries(name).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`);
  // Certificates are server-supplied text too.
  return parts.length ? safeLine(parts.join(', ')) : undefined;
}

export function readTlsInfo(socket: TLSSocket): TlsInfo {
  const cert = socket.getPeerCertificate();
  const hasCert = cert && Object.keys(cert).length > 0;
  const error = socket.authorizationError as unknown;
  const info: TlsInfo = {
    protocol: socket.getProtocol() ?? 'unknown',
    cipher: socket.getCipher()?.name ?? 'unknown',
    authorized: socket.authorized,
  };
  if (!socket.authorized && error) info.authorizationError = String((error as { code?: string }).code ?? error);
  if (hasCert) {
    const subject = describeName(cert.subject);
    const issuer = describeName(cert.issuer);
    if (subject) info.subject = subject;
    if (issuer) info.issuer = issuer;
    if (cert.valid_to) {
      // Server-supplied text: a date OpenSSL printed from a malformed field must not throw.
      const expiry = new Date(cert.valid_to);
      if (Number.isNaN(expiry.getTime())) info.validToUnreadable = safeLine(cert.valid_to, 80);
      else info.validTo = expiry.toISOString();
    }
    if (cert.subjectaltname) info.altNames = safeLine(cert.subjectaltname);
    if (cert.fingerprint256) info.fingerprint256 = cert.fingerprint256;
  }
  return info;
}

export function describeTls(info: TlsInfo): string {
  const verified = info.authorized ? 'verified' : `NOT verified (${info.authorizationError ?? 'unknown reason'})`;
  const parts = [`${info.protocol} ${info.cipher}`, `certificate ${verified}`];
  if (info.subject) parts.push(`subject ${info.subject}`);
  if (info.issuer) parts.push(`issuer ${info.issuer}`);
  if (info.validTo) parts.push(`expires ${info.validTo.slice(0, 10)}`);
  if (info.validToUnreadable !== undefined) parts.push(`expiry date does not parse (${info.validToUnreadable})`);
  return parts.join('; ');
}
