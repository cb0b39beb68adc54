import { UserError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { safeLine } from '../safety/text.js';

/** Where the API calls go: RESEND_BASE_URL as the app's SDK would read it (from the loaded configuration), or the real API. */
export interface ResendEndpoint {
  /** Without a trailing slash: the SDK appends paths such as /emails to it. */
  baseUrl: string;
  host: string;
  port: number;
  secure: boolean;
  fromEnv: boolean;
}

const defaultBaseUrl = 'https://api.resend.com';

export function resolveEndpoint(baseUrl: string | undefined): ResendEndpoint {
  const raw = baseUrl?.trim();
  const fromEnv = raw !== undefined && raw !== '';
  const text = fromEnv ? raw : defaultBaseUrl;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw badBaseUrl('is not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw badBaseUrl(`uses ${safeLine(url.protocol, 20)}//; it must be https:// (or http:// for a local test server)`);
  if (url.username || url.password) throw badBaseUrl('carries credentials; the API key belongs in RESEND_API_KEY');
  const secure = url.protocol === 'https:';
  return {
    baseUrl: `${url.origin}${url.pathname.replace(/\/+$/, '')}`,
    // URL keeps IPv6 literals bracketed; sockets want them bare.
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port ? Number(url.port) : secure ? 443 : 80,
    secure,
    fromEnv,
  };
}

/** The value itself is not echoed: this message bypasses the report's redaction, and people paste keys into URLs. */
function badBaseUrl(reason: string): UserError {
  return new UserError(`RESEND_BASE_URL ${reason}`, ExitCode.config, 'unset RESEND_BASE_URL to use the real API (https://api.resend.com)');
}
