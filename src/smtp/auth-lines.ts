import { maskSecret } from '../safety/secrets.js';

/**
 * Rewrites the AUTH lines of a transcript so they stay useful (which username, which method)
 * without the secret: what is shown is built from the masked forms, never decoded from the
 * payload. nodemailer already logs the password as "/* secret *\/".
 */
export class AuthLineRewriter {
  private awaiting: 'none' | 'login-user' | 'login-pass' | 'cram-response' = 'none';
  private readonly maskedPassword: string;
  private readonly maskedToken: string;

  constructor(
    /** The username as it may be shown: quoted, or masked (config/shown.ts). */
    private readonly userShown: string,
    secrets: { password?: string; oauth2Token?: string },
  ) {
    this.maskedPassword = maskSecret(secrets.password);
    this.maskedToken = maskSecret(secrets.oauth2Token);
  }

  /** Any reply but a 334 challenge ends an AUTH LOGIN exchange (e.g. 535 after the username). */
  noteServerReply(line: string): void {
    if (!/^334[ -]/.test(line)) this.awaiting = 'none';
  }

  rewriteClient(line: string): string {
    if (this.awaiting === 'login-user') {
      this.awaiting = 'login-pass';
      return `‹base64 of username ${this.userShown}›`;
    }
    if (this.awaiting === 'login-pass') {
      this.awaiting = 'none';
      return `‹base64 of password ${this.maskedPassword}›`;
    }
    if (this.awaiting === 'cram-response') {
      // The username and an HMAC-MD5 of the challenge keyed with the password: the HMAC would let
      // anyone with the transcript guess passwords offline, so it is not shown either.
      this.awaiting = 'none';
      return `‹base64 of username ${this.userShown} and the HMAC-MD5 of the challenge keyed with password ${this.maskedPassword}›`;
    }
    if (/^AUTH\s+PLAIN\s+\S+$/i.test(line)) return `AUTH PLAIN ‹base64 of username ${this.userShown} and password ${this.maskedPassword}›`;
    if (/^AUTH\s+XOAUTH2\s+\S+$/i.test(line)) return `AUTH XOAUTH2 ‹base64 of user ${this.userShown} and token ${this.maskedToken}›`;
    if (/^AUTH\s+LOGIN$/i.test(line)) this.awaiting = 'login-user';
    if (/^AUTH\s+CRAM-MD5$/i.test(line)) this.awaiting = 'cram-response';
    if (line.includes('/* secret */')) return line.replace('/* secret */', `‹secret ${this.maskedPassword}›`);
    // Any other AUTH line carries a payload mailcheck did not build a mask for: show the verb only.
    const auth = /^AUTH\s+(\S+)\s+\S+/i.exec(line);
    if (auth) return `AUTH ${auth[1]!.toUpperCase()} ‹payload withheld›`;
    return line;
  }
}

function decodeBase64(text: string): string | undefined {
  if (!/^[A-Za-z0-9+/]+=*$/.test(text.trim())) return undefined;
  return Buffer.from(text.trim(), 'base64').toString('utf8');
}

/** "334 VXNlcm5hbWU6" means "Username:"; showing the decoded prompt makes AUTH LOGIN readable. */
export function decodeServerPrompt(line: string): string {
  const prompt = /^334 ([A-Za-z0-9+/]+=*)$/.exec(line.trim());
  if (!prompt) return line;
  const decoded = decodeBase64(prompt[1]!);
  return decoded && /^[\x20-\x7e]{1,40}$/.test(decoded) ? `${line}   (${decoded})` : line;
}
