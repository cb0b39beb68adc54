/**
 * Secrets never leave the process in any form. A Redactor knows every secret of the run and
 * every encoding in which it could surface: raw, URL-encoded, base64 (at each of the three byte
 * alignments, so a secret embedded in a larger base64 blob is caught too), and the exact AUTH
 * PLAIN / AUTH LOGIN payloads built from it. Transcript lines, error messages and the final
 * output all pass through `scrub`.
 */

export const redactedMarker = '‹redacted›';

// Below this length an aligned base64 fragment is too short to be a meaningful match and
// scrubbing it would shred ordinary text.
const minFragmentLength = 6;

export class Redactor {
  private forms: string[] = [];

  /** Registers a secret; `user` lets the AUTH PLAIN payload (\0user\0secret) be recognised whole. */
  add(secret: string | undefined, user?: string): this {
    if (!secret) return this;
    const bytes = Buffer.from(secret, 'utf8');
    const urlEncoded = encodeURIComponent(secret);
    // Raw, URL-encoded (both space conventions) and as it appears inside a JSON string.
    const candidates = new Set<string>([secret, urlEncoded, urlEncoded.replace(/%20/g, '+'), JSON.stringify(secret).slice(1, -1)]);
    const base64 = bytes.toString('base64');
    candidates.add(base64);
    candidates.add(base64.replace(/=+$/, ''));
    candidates.add(bytes.toString('base64url'));
    for (const fragment of alignedBase64Fragments(bytes)) candidates.add(fragment);
    if (user !== undefined) {
      candidates.add(Buffer.from(`\u0000${user}\u0000${secret}`, 'utf8').toString('base64'));
      candidates.add(Buffer.from(`${user}\u0000${user}\u0000${secret}`, 'utf8').toString('base64'));
    }
    for (const form of candidates) if (form.length > 0) this.forms.push(form);
    // Longest first, so a base64 blob is replaced whole before a shorter form cuts into it.
    this.forms.sort((a, b) => b.length - a.length);
    return this;
  }

  get isEmpty(): boolean {
    return this.forms.length === 0;
  }

  scrub(text: string): string {
    let result = text;
    for (const form of this.forms) {
      if (result.includes(form)) result = result.split(form).join(redactedMarker);
    }
    return result;
  }
}

/**
 * base64 is computed in 3-byte groups, so a secret inside a longer payload encodes differently
 * depending on its offset. For each offset, keep only the characters determined by the secret.
 */
function alignedBase64Fragments(bytes: Buffer): string[] {
  const fragments: string[] = [];
  for (let offset = 0; offset < 3; offset++) {
    const padded = Buffer.concat([Buffer.alloc(offset), bytes]);
    const encoded = padded.toString('base64');
    const start = Math.ceil((offset * 8) / 6);
    const end = Math.floor((padded.length * 8) / 6);
    const fragment = encoded.slice(start, end);
    if (fragment.length >= minFragmentLength) fragments.push(fragment);
  }
  return fragments;
}

/**
 * The masked form shown where knowing *something* about the secret helps diagnosis: a known
 * public prefix (Resend's `re_`, SendGrid's `SG.`) and the length, never any secret character.
 */
export function maskSecret(secret: string | undefined): string {
  if (secret === undefined || secret === '') return '(empty)';
  const prefix = /^(re_|SG\.)/.exec(secret)?.[1] ?? '';
  return `${prefix}…(${[...secret].length} chars)`;
}
