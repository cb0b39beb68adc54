import { maskSecret } from '../report/redact.js';

/**
 * Rewrites the AUTH lines of a transcript so they stay useful (which username, which method)
 * without the secret. nodemailer already logs the password as "/* secret *\/"; we decode the
 * base64 around it so a reader sees the username, and never show the payload itself.
 */
export class AuthLineRewriter {
  private awaiting: 'none' | 'login-user' | 'login-pass' = 'none';

  constructor(
    private readonly user: string | undefined,
    private readonly password: string | undefined,
  ) {}

  /** Any reply but a 334 challenge ends an AUTH LOGIN exchange (e.g. 535 after the username). */
  noteServerReply(line: string): void {
    if (!/^334[ -]/.test(line)) this.awaiting = 'none';
  }

  rewriteClient(line: string): string {
    const masked = maskSecret(this.password);
    if (this.awaiting === 'login-user') {
      this.awaiting = 'login-pass';
      return `‹base64 of username ${JSON.stringify(decodeBase64(line) ?? '?')}›`;
    }
    if (this.awaiting === 'login-pass') {
      this.awaiting = 'none';
      return `‹base64 of password ${masked}›`;
    }
    const plain = /^AUTH\s+PLAIN\s+(\S+)$/i.exec(line);
    if (plain) {
      const user = decodeBase64(plain[1]!)?.split('\u0000')[1] ?? this.user ?? '?';
      return `AUTH PLAIN ‹base64 of username ${JSON.stringify(user)} and password ${masked}›`;
    }
    if (/^AUTH\s+LOGIN$/i.test(line)) this.awaiting = 'login-user';
    if (line.includes('/* secret */')) return line.replace('/* secret */', `‹secret ${masked}›`);
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
