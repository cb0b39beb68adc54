import { generate } from 'selfsigned';

export interface Certificate {
  key: string;
  cert: string;
}

export interface CertificateRequest {
  commonName: string;
  dnsNames?: string[];
  ips?: string[];
  notBefore?: Date;
  notAfter?: Date;
}

/** A self-signed certificate (EC P-256: generated in milliseconds, unlike RSA). */
export async function generateCertificate(request: CertificateRequest): Promise<Certificate> {
  const notBefore = request.notBefore ?? new Date(Date.now() - 60_000);
  // 90 days, as Let's Encrypt issues them: a fresh certificate is well clear of the 14-day expiry warning.
  const notAfter = request.notAfter ?? new Date(Date.now() + 90 * 24 * 3600_000);
  const altNames = [...(request.dnsNames ?? []).map((value) => ({ type: 2 as const, value })), ...(request.ips ?? []).map((ip) => ({ type: 7 as const, ip }))];
  const pems = await generate([{ name: 'commonName', value: request.commonName }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate: notBefore,
    notAfterDate: notAfter,
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyCertSign: true },
      { name: 'subjectAltName', altNames },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}
