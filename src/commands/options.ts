import { X509Certificate } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import { parseAddress } from '../config/address.js';
import { hostPort } from '../config/host-port.js';
import type { FlagValue, ResolvedConfig } from '../config/resolve.js';
import { mustMask } from '../config/shown.js';
import type { SettingKey } from '../config/variables.js';
import { UserError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { FileReadError, readBoundedText } from '../safety/files.js';
import { safeLine } from '../safety/text.js';
import type { LoadedConfig } from '../config/load.js';
import { authMethods, type AuthMethod } from '../diagnose/types.js';
import type { SessionChoices } from '../smtp/connection.js';
import type { ConnectionFlagOptions, SmtpFlagOptions } from './flags.js';

export const defaultTimeoutMs = 5000;

/** The longest name RFC 1035 allows (and about the longest EHLO line servers accept). */
const maxEhloLength = 253;
const hostLabel = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i;

/**
 * --ehlo: a host name (`mail.example.com`) or an address literal (`[192.0.2.1]`,
 * `[IPv6:2001:db8::1]`, RFC 5321 4.1.3), checked before anything touches the network: the name is
 * sent as part of a command line and shown in the transcript, so nothing else may pass.
 */
function ehloNameFromFlag(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const literal = /^\[(?:IPv6:([0-9a-f:.]+)|([0-9.]+))\]$/i.exec(text);
  const valid = literal
    ? literal[1] !== undefined
      ? isIPv6(literal[1])
      : isIPv4(literal[2]!)
    : text.length <= maxEhloLength && text.split('.').every((label) => hostLabel.test(label)) && !/^[0-9.]+$/.test(text);
  if (!valid) {
    throw new UserError(
      `--ehlo ${safeLine(JSON.stringify(text), 200)} is not a host name or an address literal`,
      ExitCode.usage,
      'write it as mail.example.com, or as [192.0.2.1] or [IPv6:2001:db8::1]',
    );
  }
  return text;
}

/** --auth-method, any letter case: one of the mechanisms nodemailer can answer. */
function authMethodFromFlag(text: string | undefined): AuthMethod | undefined {
  if (text === undefined) return undefined;
  const method = authMethods.find((m) => m === text.trim().toUpperCase());
  if (!method) {
    throw new UserError(
      `--auth-method ${safeLine(JSON.stringify(text), 200)} is not a mechanism mailcheck can log in with`,
      ExitCode.usage,
      `choose one of ${authMethods.join(', ')}`,
    );
  }
  return method;
}

/** -4, -6, --ehlo and --auth-method, each checked (usage errors, exit 2). */
export function sessionChoicesFromFlags(o: ConnectionFlagOptions): SessionChoices {
  if (o.ipv4 && o.ipv6) throw new UserError('-4 and -6 ask for opposite address families', ExitCode.usage, 'give one of them, or neither to use both');
  const ehloName = ehloNameFromFlag(o.ehlo);
  const authMethod = authMethodFromFlag(o.authMethod);
  return {
    ...(o.ipv4 ? { family: 4 as const } : o.ipv6 ? { family: 6 as const } : {}),
    ...(ehloName ? { ehloName } : {}),
    ...(authMethod ? { authMethod } : {}),
  };
}

/**
 * The flags `test` and `doctor` check before their walk, in the order they are checked (so the
 * first bad one is the one reported): --timeout, --to, --ca-file, --dns-server, then -4/-6, --ehlo
 * and --auth-method.
 */
export function walkFlagsFrom(options: SmtpFlagOptions & { timeout?: string; dnsServer?: string }) {
  return {
    timeoutMs: parseTimeout(options.timeout),
    recipient: options.to === undefined ? undefined : recipientFromFlag(options.to),
    caFile: readCaFile(options.caFile),
    dnsServer: dnsServerFromFlag(options.dnsServer),
    choices: sessionChoicesFromFlags(options),
  };
}

/**
 * --auth-method against the credentials the configuration holds: XOAUTH2 needs a token, the
 * others a password. Said before anything is sent (exit 3, as for any missing credential).
 */
export function checkAuthMethodCredentials(method: AuthMethod | undefined, loaded: LoadedConfig): void {
  if (method === undefined || loaded.detection.provider !== 'smtp') return;
  const settings = loaded.config.settings;
  const names = { token: settings.oauth2Token?.name ?? 'SMTP_OAUTH2_TOKEN', password: settings.password?.name ?? 'SMTP_PASSWORD' };
  if (method === 'XOAUTH2' && !settings.oauth2Token?.value.trim()) {
    throw new UserError(
      `--auth-method XOAUTH2 logs in with an OAuth 2.0 token, but ${names.token} is not set`,
      ExitCode.config,
      `set ${names.token}, or pipe the token in with --oauth2-token-stdin`,
    );
  }
  if (method !== 'XOAUTH2' && settings.password === undefined) {
    throw new UserError(
      `--auth-method ${method} logs in with a password, but ${names.password} is not set`,
      ExitCode.config,
      `set ${names.password}, or pipe it in with --password-stdin; a token logs in with --auth-method XOAUTH2`,
    );
  }
}

/** `--to`, checked before anything touches the network: a bare address (`you@example.com`). */
export function recipientFromFlag(text: string): string {
  const parsed = parseAddress(text);
  if (!parsed) {
    throw new UserError(`--to ${safeLine(JSON.stringify(text), 200)} is not an email address`, ExitCode.usage, 'write it as you@example.com');
  }
  return parsed.address;
}

/** "5", "5s", "1500ms" -> milliseconds. A bare number means seconds, as in most CLIs. */
export function parseTimeout(text: string | undefined): number {
  if (text === undefined) return defaultTimeoutMs;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s)?\s*$/i.exec(text);
  const value = match ? Number(match[1]) * (match[2]?.toLowerCase() === 'ms' ? 1 : 1000) : NaN;
  if (!Number.isFinite(value) || value < 100 || value > 600_000) {
    throw new UserError(`--timeout ${JSON.stringify(text)} is not a duration between 100ms and 600s`, ExitCode.usage, 'write it as 5, 5s or 1500ms');
  }
  return Math.round(value);
}

export function smtpFlags(o: SmtpFlagOptions): Partial<Record<SettingKey, FlagValue>> {
  const flags: Partial<Record<SettingKey, FlagValue>> = {};
  if (o.host !== undefined) flags.host = { value: o.host, flag: '--host' };
  if (o.port !== undefined) flags.port = { value: o.port, flag: '--port' };
  if (o.user !== undefined) flags.user = { value: o.user, flag: '--user' };
  if (o.secure !== undefined) flags.secure = { value: o.secure, flag: '--secure' };
  if (o.from !== undefined) flags.sender = { value: o.from, flag: '--from' };
  return flags;
}

/** Far beyond any CA bundle (Debian's whole store is ~220 KB); bounds what a wrong path can cost. */
const maxCaFileBytes = 1024 * 1024;

/**
 * --ca-file: the CA of a private relay, trusted instead of Node's built-in roots (as curl's
 * --cacert). NODE_EXTRA_CA_CERTS works too, but Node then sets up TLS before mailcheck starts.
 * Each certificate is parsed here, so a wrong file is a usage error now, not a TLS failure later.
 */
export function readCaFile(path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  const named = `--ca-file ${JSON.stringify(path)}`;
  const fail = (problem: string) =>
    new UserError(`${named} ${problem}`, ExitCode.usage, 'give a PEM file holding the CA certificate (-----BEGIN CERTIFICATE-----)');
  let text: string;
  try {
    text = readBoundedText(path, maxCaFileBytes);
  } catch (error) {
    if (!(error instanceof FileReadError)) throw error;
    if (error.kind === 'not-regular') throw fail('is not a regular file');
    if (error.kind === 'too-large') throw fail(`is too large for a CA file (${error.reason})`);
    throw fail(`cannot be read (${error.code ?? error.reason})`);
  }
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw fail('holds no PEM certificate');
  blocks.forEach((block, index) => {
    try {
      new X509Certificate(block);
    } catch {
      throw fail(`holds a certificate that does not parse (number ${index + 1})`);
    }
  });
  return text;
}

/** The configuration's secret values, those shown.ts would mask, noted as read (RunContext.secrets). */
export function noteSecrets(secrets: Set<string>, config: ResolvedConfig): void {
  for (const key of Object.keys(config.settings) as SettingKey[]) {
    if (mustMask(key, config.settings)) secrets.add(config.settings[key]!.value);
  }
}

/**
 * The secret --password-stdin or --oauth2-token-stdin reads (stdin holds one, so not both), noted
 * in `secrets` (RunContext.secrets) as soon as it is read.
 */
export async function stdinSecret(o: SmtpFlagOptions, secrets: Set<string>): Promise<{ stdinSecret?: { key: 'password' | 'oauth2Token'; value: string } }> {
  if (o.passwordStdin && o.oauth2TokenStdin) {
    throw new UserError(
      '--password-stdin and --oauth2-token-stdin both read standard input',
      ExitCode.usage,
      'give one of them; put the other in .env (SMTP_PASSWORD or SMTP_OAUTH2_TOKEN)',
    );
  }
  if (!o.passwordStdin && !o.oauth2TokenStdin) return {};
  const value = await readPasswordFromStdin();
  secrets.add(value);
  return { stdinSecret: { key: o.passwordStdin ? 'password' : 'oauth2Token', value } };
}

/** The whole of stdin, minus the one line end `echo` and here-strings add. */
export async function readPasswordFromStdin(stdin: NodeJS.ReadStream = process.stdin): Promise<string> {
  if (stdin.isTTY) {
    throw new UserError(
      '--password-stdin reads the password from a pipe, but stdin is a terminal',
      ExitCode.usage,
      'pipe it in: printf %s "$SMTP_PASSWORD" | mailcheck test --password-stdin',
    );
  }
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** --dns-server, checked before anything touches the network. */
export function dnsServerFromFlag(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const server = parseDnsServer(text.trim());
  if (!server)
    throw new UserError(
      `--dns-server ${safeLine(JSON.stringify(text), 200)} is not an IP address with an optional port`,
      ExitCode.usage,
      'write it as 127.0.0.1, 127.0.0.1:5353 or [::1]:5353',
    );
  return server;
}

/**
 * `--dns-server`: an IPv4 or IPv6 address with an optional port, in the forms c-ares takes
 * (`127.0.0.1`, `127.0.0.1:5353`, `::1`, `[::1]:5353`). Undefined when it is not one.
 */
function parseDnsServer(text: string): string | undefined {
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3})(?::(\d{1,5}))?$/.exec(text);
  const v6 = /^\[([0-9a-f:.]+)\](?::(\d{1,5}))?$/i.exec(text) ?? /^([0-9a-f:.]*:[0-9a-f:.]*)()$/i.exec(text);
  const match = v4 ?? v6;
  if (!match) return undefined;
  const [, ip, port] = match as unknown as [string, string, string | undefined];
  if (!(v4 ? isIPv4(ip) : isIPv6(ip))) return undefined;
  if (port && (Number(port) < 1 || Number(port) > 65535)) return undefined;
  return port ? hostPort(ip, port) : ip;
}
