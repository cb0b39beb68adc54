/**
 * Every flag of every command, declared once. cli.ts builds the commander program from these
 * tables; the commands' option types and the library's (api.ts) are derived from them, and the
 * library checks the types of the options it is given against them. A flag added here is on the
 * command line, in the command's options and in the library at once, so the three cannot drift.
 *
 * Each key is the name commander gives the flag's value (`--ca-file` is `caFile`, `--no-dns` is
 * `dns`); test/unit/flags.test.ts holds commander to that. What a value is follows from the
 * spelling: `<value>` takes a string, `repeat` collects every occurrence into a list, and a bare
 * flag is a boolean (`--no-x` gives false).
 */

import { authMethods } from '../diagnose/types.js';

/** One flag: how commander spells it, its help, and whether the library has it too. */
export interface FlagSpec {
  /** commander's spelling: short and long names, and `<value>` when it takes one. */
  readonly flags: string;
  readonly help: string;
  /** Repeatable: every occurrence is collected, in order. */
  readonly repeat?: true;
  /** Shown by --help; the command sees it when the flag is not given. */
  readonly default?: string;
  /**
   * Only the command line has it: output and terminal flags, and stdin secrets. The library never
   * prints, prompts or reads stdin, and takes env files as `envFiles`.
   */
  readonly cliOnly?: true;
  /**
   * The library also takes a number for this value, as a program would write it, and turns it into
   * the command line's text: milliseconds for a duration (`timeout: 1500` is `1500ms`), or the
   * integer itself (`port: 587`).
   */
  readonly number?: 'milliseconds' | 'integer';
}

type Flags = Readonly<Record<string, FlagSpec>>;

/** The value a flag gives the command: a list, a string, or a boolean. */
type ValueOf<S extends FlagSpec> = S extends { repeat: true } ? string[] : S['flags'] extends `${string}<${string}>` ? string : boolean;

/** ValueOf at run time, for checking the library's options: the same rule, read from the same spelling. */
export function valueKind(spec: FlagSpec): 'list' | 'string' | 'boolean' {
  return spec.repeat ? 'list' : /<[^>]+>/.test(spec.flags) ? 'string' : 'boolean';
}

/** The options a command receives from commander for these flags (each one absent unless given). */
export type OptionsOf<T extends Flags> = { [K in keyof T]?: ValueOf<T[K]> };

/** The same, without the flags only the command line has: what the library accepts (undefined counts as not given). */
export type LibraryOptionsOf<T extends Flags> = {
  [K in keyof T as T[K] extends { cliOnly: true } ? never : K]?:
    | (T[K] extends { repeat: true } ? readonly string[] : T[K] extends { number: string } ? string | number : ValueOf<T[K]>)
    | undefined;
};

/** A number the library was given, as the command line would spell it (see FlagSpec.number). */
export function numberAsFlagText(kind: NonNullable<FlagSpec['number']>, value: number): string {
  return kind === 'milliseconds' ? `${value}ms` : String(value);
}

const oauth2TokenStdin = {
  flags: '--oauth2-token-stdin',
  help: 'read an OAuth 2.0 access token from standard input and log in with XOAUTH2 where the server offers it (instead of SMTP_PASSWORD; never from a flag)',
  cliOnly: true,
} as const;
const caFile = {
  flags: '--ca-file <path>',
  help: "trust the SMTP server's certificate if this PEM CA signed it (instead of Node's built-in roots, as curl --cacert)",
} as const;
const dkimSelector = {
  flags: '--dkim-selector <name>',
  help: "check DKIM at this selector (<name>._domainkey.<domain>; repeatable) instead of the provider's own",
  repeat: true,
} as const;
const strict = { flags: '--strict', help: 'fail on warnings too (exit 11)' } as const;
const sandbox = { flags: '--sandbox', help: 'run against a local SMTP server on loopback: see a complete session without credentials' } as const;
const passwordStdin = { flags: '--password-stdin', help: 'read the password from standard input (never from a flag)', cliOnly: true } as const;

/** Options every command accepts, declared on the program (commander's optsWithGlobals hands them to each command). */
export const globalFlags = {
  /** --dotenv and --env-file fill one list, in the order typed (cli.ts); commands read it as `dotenv`. */
  dotenv: { flags: '-e, --dotenv <path>', help: 'read variables from this file (repeatable; later files win; default ./.env)', repeat: true, cliOnly: true },
  envFile: {
    flags: '--env-file <path>',
    help: 'the same as --dotenv, but Node 20 acts on it too: a missing file ends the run with "node: <path>: not found" (exit 9)',
    repeat: true,
    cliOnly: true,
  },
  json: { flags: '--json', help: 'print one JSON document on stdout (see the README for its shape)', cliOnly: true },
  report: { flags: '--report <path>', help: 'also write the report as Markdown to this file, to paste into an issue (secrets masked)', cliOnly: true },
  quiet: { flags: '-q, --quiet', help: 'print only the verdict line (the exit code says the rest)', cliOnly: true },
  verbose: { flags: '-v, --verbose', help: 'also print the rules that passed and the time of each SMTP stage', cliOnly: true },
  color: { flags: '--no-color', help: 'never colour the output (also NO_COLOR=1; FORCE_COLOR=1 forces it on)', cliOnly: true },
  input: { flags: '--no-input', help: 'never prompt (implied when not on a terminal or when CI is set)', cliOnly: true },
  timeout: { flags: '--timeout <duration>', help: 'bound for each step, e.g. 5s or 1500ms', default: '5s', number: 'milliseconds' },
  dnsServer: {
    flags: '--dns-server <ip[:port]>',
    help: 'send every DNS query to this server: the DNS checks, and the lookups of the SMTP host and the Resend API (for split-horizon DNS, or a test server)',
  },
} as const satisfies Flags;

/** How the SMTP connection is made, the same on every command that makes one (options.ts `sessionChoicesFromFlags` reads them). */
const connectionFlags = {
  ipv4: { flags: '-4, --ipv4', help: 'connect to the SMTP server over IPv4 only' },
  ipv6: { flags: '-6, --ipv6', help: 'connect to the SMTP server over IPv6 only' },
  ehlo: {
    flags: '--ehlo <name>',
    help: "the name sent in EHLO/HELO: a host name, or an address literal such as [192.0.2.1] (default: this machine's host name)",
  },
  authMethod: {
    flags: '--auth-method <mechanism>',
    help: `log in with this AUTH mechanism only: ${authMethods.join(', ')} (default: the best one the server offers)`,
  },
} as const satisfies Flags;

/** -4/-6, --ehlo and --auth-method as a command receives them. */
export type ConnectionFlagOptions = OptionsOf<typeof connectionFlags>;

/** The SMTP overrides of `test`, `doctor` and `init`. No --password: flags end up in shell history and `ps`. */
const smtpFlags = {
  ...connectionFlags,
  host: { flags: '--host <host>', help: 'override SMTP_HOST' },
  port: { flags: '--port <port>', help: 'override SMTP_PORT', number: 'integer' },
  user: { flags: '--user <user>', help: 'override SMTP_USER' },
  secure: { flags: '--secure <0|1>', help: 'override SMTP_SECURE (1 = implicit TLS, 0 = STARTTLS)' },
  from: { flags: '--from <address>', help: 'override SMTP_SENDER' },
  passwordStdin,
  caFile,
} as const satisfies Flags;

/** Each command's own flags, in the order --help lists them. */
export const commandFlags = {
  test: {
    to: {
      flags: '--to <address>',
      help: 'recipient of the test message (asked for on a terminal; with Resend, delivered@resend.dev is a test inbox)',
    },
    oauth2TokenStdin,
    sandbox,
    ...smtpFlags,
  },
  doctor: {
    to: { flags: '--to <address>', help: 'recipient to probe with RCPT TO (default: the sender address itself)' },
    send: { flags: '--send', help: 'also send one real test message (to --to, or to the sender)' },
    oauth2TokenStdin,
    strict,
    apiCheck: { flags: '--api-check', help: "with Resend's SMTP relay (smtp.resend.com): also check the SMTP password as a key against the Resend API" },
    dns: { flags: '--no-dns', help: "skip the DNS checks of the sender's domain (SPF, DKIM, DMARC, MX)" },
    dkimSelector,
    sandbox,
    ...smtpFlags,
  },
  init: {
    provider: {
      flags: '--provider <id>',
      help: 'resend-api, resend (SMTP relay), gmail, sendgrid, ses, office365, mailgun, postmark, or other (asked for on a terminal)',
    },
    region: { flags: '--region <region>', help: 'Amazon SES region, e.g. eu-west-1 (asked for on a terminal)' },
    to: { flags: '--to <address>', help: 'recipient of the test message (asked for on a terminal)' },
    write: { flags: '--write', help: 'without a terminal: write the values to .env (the last --dotenv) once the check passes' },
    ...smtpFlags,
  },
  dns: {
    provider: {
      flags: '--provider <id>',
      help: 'judge the records for this provider instead of the configured one: resend, gmail, sendgrid, ses, office365, mailgun, postmark',
    },
    dkimSelector,
    strict,
  },
  probe: {
    ...connectionFlags,
    ports: { flags: '--ports <list>', help: 'ports to try instead of 465,587,25,2465,2587,2525 (the configured port is always added)' },
    auth: { flags: '--auth', help: 'also log in with SMTP_USER and SMTP_PASSWORD on every combination that works over verified TLS' },
    passwordStdin: { ...passwordStdin, help: 'read the password for --auth from standard input (never from a flag)' },
    caFile,
    sandbox: {
      flags: '--sandbox',
      help: 'probe a local SMTP server on loopback (STARTTLS with its own certificate): see what a probe shows without a server of your own',
    },
  },
} as const satisfies Record<string, Flags>;

export type CommandName = keyof typeof commandFlags;

/** Options every command receives. */
export type GlobalOptions = OptionsOf<typeof globalFlags>;

/** What `mailcheck <command>` hands its command: the global options and the command's own. */
export type CommandOptions<C extends CommandName> = GlobalOptions & OptionsOf<(typeof commandFlags)[C]>;

/** The SMTP overrides `test`, `doctor` and `init` accept; the password is deliberately not among them. */
export type SmtpFlagOptions = OptionsOf<typeof smtpFlags> & { to?: string; oauth2TokenStdin?: boolean };
