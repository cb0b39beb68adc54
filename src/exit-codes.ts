/**
 * Exit codes are a public contract: CI scripts branch on them. Never renumber; only add.
 * Each failure class has exactly one code, whichever command or stage produced it.
 */
export const ExitCode = {
  ok: 0,
  internal: 1,
  usage: 2,
  config: 3,
  network: 4,
  tls: 5,
  auth: 6,
  envelope: 7,
  message: 8,
  temporary: 9,
  protocol: 10,
  warnings: 11,
  deliverability: 12,
  interrupted: 130,
} as const;

export type FailureClass = Exclude<keyof typeof ExitCode, 'ok'>;

/** One line per code, for `--help` and the README table (kept in one place so they agree). */
export const exitCodeMeanings: Record<keyof typeof ExitCode, string> = {
  ok: 'everything checked passed',
  internal: 'unexpected internal error (a bug: please report it)',
  usage: 'bad command line (unknown option, missing --to without a terminal, ...)',
  config: 'configuration problem: missing, invalid or contradictory variables, or email disabled',
  network:
    'network: DNS failure, connection refused, timed out, unreachable or stalled, a greeting held too long, or the server refusing this client (5xx greeting)',
  tls: 'TLS: port and SMTP_SECURE disagree, STARTTLS not offered or failing on the server, handshake or certificate failure',
  auth: 'authentication: login rejected (535 and friends) or never answered, no mechanism for the credentials (OAuth2-only servers), or credentials refused over plaintext',
  envelope: 'sender or recipient rejected (550 at MAIL or RCPT, unverified domain, sandbox)',
  message: 'message rejected after DATA',
  temporary: 'temporary failure (421/4xx, rate limit, quota): retry later',
  protocol: "the server broke its protocol: garbage, oversized or out-of-order SMTP replies, or HTTP answers that are not the API's",
  warnings: 'only warnings, and --strict was given',
  deliverability: 'receivers will reject or junk the mail: DNS records (SPF, DKIM, DMARC) of the sending domain are broken or do not cover the provider',
  interrupted: 'interrupted (Ctrl-C)',
};

/**
 * When several failures are present, the most fundamental one decides the exit code. A
 * deliverability failure comes after every failure of the sending path: mail that cannot be sent
 * at all (or only later) is the first thing to fix; DNS decides what happens to it afterwards.
 */
const precedence: FailureClass[] = [
  'interrupted',
  'internal',
  'usage',
  'config',
  'network',
  'tls',
  'protocol',
  'auth',
  'envelope',
  'message',
  'temporary',
  'deliverability',
  'warnings',
];

export function exitCodeFor(classes: Iterable<FailureClass>): number {
  const present = new Set(classes);
  const first = precedence.find((c) => present.has(c));
  return first ? ExitCode[first] : ExitCode.ok;
}
