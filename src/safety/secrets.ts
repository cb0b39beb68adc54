/**
 * Secrets, and the two ways mailcheck keeps them out of everything it prints.
 *
 * 1. Masked where they enter. A secret's printable form is its mask (maskSecret): the config
 *    display, lint messages, the AUTH lines of the transcript and the diffs of .env edits are built
 *    from masks, never from the value. So mailcheck's own words never need scrubbing, and no
 *    secret, however short or common ("a", "smtp", "password"), can corrupt them.
 * 2. Scrubbed from untrusted text, and only from the party that was given the secret. A server can
 *    echo the password it received (a 535 that quotes the login, an API error that quotes the key);
 *    each network adapter owns a Scrubber and adds a secret to it the moment it sends it. Text from
 *    a party that never received a secret is left as it is: scrubbing it would mark which of its
 *    words is the password, an oracle for anyone who can forge a plaintext greeting.
 *
 * A secret too short to tell from ordinary words (minRecognisableLength) cannot be scrubbed
 * without the same oracle ("2" is in "2.1.0"), so the party's text is withheld whole instead: a
 * decision that depends on the secret's length, which the mask shows anyway, never on its value.
 */

export const redactedMarker = '‹redacted›';
export const withheldMarker = '‹text withheld›';

/** Below this length a secret may be an ordinary word of the text (see the header). */
export const minRecognisableLength = 8;

/**
 * The masked form shown where knowing *something* about the secret helps diagnosis: a known
 * public prefix (Resend's `re_`, SendGrid's `SG.`) and the length, never any secret character.
 */
export function maskSecret(secret: string | undefined): string {
  if (secret === undefined || secret === '') return '(empty)';
  const prefix = /^(re_|SG\.)/.exec(secret)?.[1] ?? '';
  return `${prefix}…(${[...secret].length} chars)`;
}

/**
 * Shapes of credentials worth hiding whatever variable holds them: an API key pasted into
 * SMTP_USER (the swapped-credentials mistake), a Postmark server token (a UUID, used as user and
 * password), or an unrelated DATABASE_URL that a diff of .env would otherwise show.
 */
const credentialShapes: readonly RegExp[] = [
  /^re_\w{8,}$/, // Resend
  /^SG\.[\w-]{8,}\.[\w-]{8,}$/, // SendGrid
  /^[rsp]k_(?:live|test)_\w{8,}$/, // Stripe
  /^(?:AKIA|ASIA)[A-Z0-9]{16}$/, // AWS access key id
  /^eyJ[\w-]{4,}\.eyJ[\w-]{4,}\.[\w-]*$/, // JWT
  /^(?:gh[pousr]_\w{20,}|github_pat_\w{20,})$/, // GitHub
  /^xox[abprs]-[\w-]{8,}$/, // Slack
  /^key-[0-9a-f]{32}$/, // Mailgun
  /^AIza[\w-]{30,}$/, // Google API key
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, // Postmark token and other UUID keys
  /^[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:[^/\s@]+@/i, // a URL with a password
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
];

export function looksLikeCredential(value: string): boolean {
  const trimmed = value.trim();
  return credentialShapes.some((shape) => shape.test(trimmed));
}

/** Variable names that hold secrets by convention, for variables mailcheck does not know (in diffs). */
export function isSecretName(name: string): boolean {
  return /PASS|SECRET|TOKEN|KEY|CREDENTIAL|PRIVATE|AUTH|SALT|COOKIE|SESSION|SIGNATURE|DSN/i.test(name);
}

/**
 * Scrubs every encoding of the secrets one party was given from the text that party sent back.
 * Encodings: raw (as set and trimmed), URL (both space conventions, either hex case), inside a
 * JSON string, hex, base64 and base64url (at each of the three byte alignments, so a secret inside
 * a larger blob is caught too), the AUTH PLAIN payloads built from it, and any of these split
 * across the lines of one reply.
 */
export class Scrubber {
  private forms: string[] = [];
  private weak = false;
  private given = false;

  /** Registers a secret as sent; `user` lets the AUTH PLAIN payload (\0user\0secret) be recognised whole. */
  add(secret: string | undefined, user?: string): this {
    if (secret === undefined || secret.trim() === '') return this;
    this.given = true;
    for (const value of new Set([secret, secret.trim()])) {
      if ([...value].length < minRecognisableLength) {
        this.weak = true;
        continue;
      }
      for (const form of encodings(value, user)) if (form.length > 0) this.forms.push(form);
    }
    // Longest first, so a base64 blob is replaced whole before a shorter form cuts into it.
    this.forms = [...new Set(this.forms)].sort((a, b) => b.length - a.length);
    return this;
  }

  /** True once any secret was given to this party: from then on its text may quote it. */
  get disclosed(): boolean {
    return this.given;
  }

  /** True once a secret too short to scrub was given to this party: its text is then withheld. */
  get withholds(): boolean {
    return this.weak;
  }

  /** Untrusted text of any kind (an error message, an API body). */
  scrub(text: string): string {
    if (this.weak) return text === '' ? text : withheldMarker;
    return this.scrubForms(text, () => 0);
  }

  /**
   * An SMTP reply, one or several lines. Reply codes (`535`, `5.7.8`) stay readable when the text
   * is withheld: they are all the diagnosis needs, and digits the server chose reveal nothing.
   */
  scrubReply(reply: string): string {
    if (this.weak) return reply.split('\n').map(withholdReplyText).join('\n');
    // A secret split across continuation lines is found with each line's `535-5.7.8 ` left out.
    return this.scrubForms(reply, (line) => /^\d{3}[ -](?:\d\.\d{1,3}\.\d{1,3} )?/.exec(line)?.[0].length ?? 0);
  }

  /**
   * Finds each form in the lines' payloads joined together (so a form split over two lines is
   * found too), then masks what it covered, line by line.
   */
  private scrubForms(text: string, payloadStart: (line: string) => number): string {
    if (this.forms.length === 0 || text === '') return text;
    const lines = text.split('\n');
    // Where each character of the joined payloads came from: [line, column].
    const origin: [number, number][] = [];
    let joined = '';
    lines.forEach((line, index) => {
      const end = line.endsWith('\r') ? line.length - 1 : line.length;
      for (let column = payloadStart(line); column < end; column++) {
        origin.push([index, column]);
        joined += line[column];
      }
    });
    const covered = lines.map((line) => new Array<boolean>(line.length).fill(false));
    let found = false;
    for (const form of this.forms) {
      for (let at = joined.indexOf(form); at !== -1; at = joined.indexOf(form, at + form.length)) {
        found = true;
        for (let i = at; i < at + form.length; i++) {
          const [line, column] = origin[i]!;
          covered[line]![column] = true;
        }
      }
    }
    if (!found) return text;
    return lines
      .map((line, index) => {
        let out = '';
        for (let column = 0; column < line.length; column++) {
          if (!covered[index]![column]) out += line[column];
          else if (column === 0 || !covered[index]![column - 1]) out += redactedMarker;
        }
        return out;
      })
      .join('\n');
  }
}

/** `535-5.7.8 Username and Password not accepted` -> `535-5.7.8 ‹text withheld›`. */
function withholdReplyText(line: string): string {
  const codes = /^\d{3}(?:[ -]\d\.\d{1,3}\.\d{1,3})?/.exec(line)?.[0] ?? '';
  const separator = line[codes.length];
  const rest = line.slice(codes.length + (separator === ' ' || separator === '-' ? 1 : 0)).trim();
  if (rest === '') return line;
  return codes === '' ? withheldMarker : `${codes}${separator === '-' ? '-' : ' '}${withheldMarker}`;
}

function encodings(secret: string, user: string | undefined): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const url = encodeURIComponent(secret);
  const hex = bytes.toString('hex');
  const base64 = bytes.toString('base64');
  const forms = [
    secret,
    url,
    url.replace(/%20/g, '+'),
    url.replace(/%[0-9A-F]{2}/g, (percent) => percent.toLowerCase()),
    JSON.stringify(secret).slice(1, -1),
    // JSON encoders that escape every non-ASCII character and the slash.
    JSON.stringify(secret)
      .slice(1, -1)
      .replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
      .replace(/\//g, '\\/'),
    hex,
    hex.toUpperCase(),
    base64,
    base64.replace(/=+$/, ''),
    bytes.toString('base64url'),
    ...alignedBase64Fragments(bytes),
  ];
  if (user !== undefined) {
    // AUTH PLAIN (with and without an authorization identity) and XOAUTH2 payloads.
    const payloads = [`\u0000${user}\u0000${secret}`, `${user}\u0000${user}\u0000${secret}`, `user=${user}\u0001auth=Bearer ${secret}\u0001\u0001`];
    for (const payload of payloads) {
      const encoded = Buffer.from(payload, 'utf8').toString('base64');
      forms.push(encoded, ...alignedBase64Fragments(Buffer.from(payload, 'utf8')));
      // A server's base64 error that quotes the payload (XOAUTH2's JSON status does) encodes it twice.
      forms.push(...alignedBase64Fragments(Buffer.from(encoded)));
    }
  }
  // The secret's own base64, encoded again inside a larger base64 blob.
  forms.push(...alignedBase64Fragments(Buffer.from(base64)));
  return forms;
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
    fragments.push(fragment, fragment.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return fragments;
}
