/** The `tls` key of the report: what the handshake negotiated and whether the certificate verified (read by smtp/tls-info.ts). */
export interface TlsInfo {
  protocol: string;
  cipher: string;
  /** The certificate chain verified and names the host. */
  authorized: boolean;
  /** OpenSSL/Node code when not authorized, e.g. DEPTH_ZERO_SELF_SIGNED_CERT. */
  authorizationError?: string;
  subject?: string;
  issuer?: string;
  /** ISO 8601; absent when the certificate's date does not parse (see validToUnreadable). */
  validTo?: string;
  /** The expiry date as the certificate gave it, when it does not parse as a date: reported, never thrown. */
  validToUnreadable?: string;
  altNames?: string;
  fingerprint256?: string;
}
