import { domainToASCII } from 'node:url';
import type { NetworkFindings } from '../checks/network.js';
import { parseAddress } from '../config/address.js';
import { loadedFrom, readConfig, type LoadedConfig } from '../config/load.js';
import { knownProviders, providerInfo, recogniseProvider, type KnownProvider, type ProviderInfo } from '../config/providers.js';
import { runDnsChecks } from '../dns/checks.js';
import { createDnsClient } from '../dns/resolver.js';
import { UserError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import type { Report } from '../report/model.js';
import type { TranscriptRecorder } from '../report/transcript.js';
import { safeLine } from '../safety/text.js';
import type { CommandOptions } from './flags.js';
import { Live } from './live.js';
import { dnsServerFromFlag, noteSecrets, parseTimeout } from './options.js';
import type { RunContext } from './run.js';
import { Session } from './session.js';

/**
 * `mailcheck dns [domain]`: the sending domain's MX, SPF, DKIM and DMARC, judged for the provider
 * in use. The domain defaults to the sender's; with a domain argument no configuration is needed,
 * and a configuration that is there only names the provider.
 */
export async function runDns(domainArg: string | undefined, options: CommandOptions<'dns'>, run: RunContext): Promise<Report> {
  const { signal } = run;
  const timeoutMs = parseTimeout(options.timeout);
  const server = dnsServerFromFlag(options.dnsServer);
  const config = readConfig({ env: run.env, flags: {}, ...(options.dotenv ? { envFiles: options.dotenv } : {}) });
  noteSecrets(run.secrets, config);
  const loaded = loadedFrom(config);
  const domain = domainArg !== undefined ? domainFromArgument(domainArg) : senderDomain(loaded);
  if (!domain) {
    throw new UserError(
      'no domain to check: give one (mailcheck dns example.com), or set SMTP_SENDER or RESEND_SENDER_EMAIL',
      ExitCode.config,
      'mailcheck dns example.com',
    );
  }
  const who = options.provider !== undefined ? providerFromFlag(options.provider) : providerOf(loaded);

  const live = new Live(run.view);
  // This command judges DNS, not the configuration: its lint findings (a half-set block) are doctor's business.
  const session = await Session.open('dns', { ...loaded, lint: [] }, live);
  session.showHeader();
  session.showTranscript(
    `DNS records of ${domain}, for ${who.provider ? `${who.provider.label} (${who.providerReason})` : 'an unknown provider'}${server ? `, asking ${server}` : ''}`,
  );
  run.view.progress.update(`reading the DNS records of ${domain}…`);
  const dns = createDnsClient({ timeoutMs, recorder: live.recorder, signal, ...(server ? { server } : {}) });
  const judged = await runDnsChecks({ domain, ...who, ...(options.dkimSelector ? { selectors: options.dkimSelector } : {}) }, dns);
  if (signal.aborted) return session.finishInterrupted({ checks: judged.checks });
  return session.finish({ checks: judged.checks, diagnoses: judged.diagnoses }, options.strict === true);
}

/**
 * doctor, after its session: the same DNS checks for the sender's domain, appended to what the
 * session found. Resend's own view of the domain (when the API was asked) is compared with DNS.
 */
export async function withDnsFindings(
  findings: NetworkFindings,
  loaded: LoadedConfig,
  options: { timeoutMs: number; server: string | undefined; dkimSelector?: string[] },
  recorder: TranscriptRecorder,
  signal: AbortSignal,
): Promise<NetworkFindings> {
  const domain = senderDomain(loaded);
  if (!domain) return findings;
  const { server } = options;
  const dns = createDnsClient({ timeoutMs: options.timeoutMs, recorder, signal, ...(server ? { server } : {}) });
  const judged = await runDnsChecks(
    {
      domain,
      ...providerOf(loaded),
      ...(options.dkimSelector ? { selectors: options.dkimSelector } : {}),
      ...(findings.resendDomainStatus !== undefined ? { resendStatus: findings.resendDomainStatus } : {}),
    },
    dns,
  );
  return { ...findings, checks: [...findings.checks, ...judged.checks], diagnoses: [...findings.diagnoses, ...judged.diagnoses] };
}

/** A domain as typed: Unicode (IDN) or punycode, with or without the final dot, never an address. */
export function domainFromArgument(text: string): string {
  const bare = text.trim().replace(/\.$/, '');
  const ascii = bare.includes('@') ? '' : domainToASCII(bare);
  const labels = ascii ? ascii.split('.') : [];
  if (labels.length < 2 || !labels.every((label) => label.length <= 63 && /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/.test(label))) {
    throw new UserError(
      `${safeLine(JSON.stringify(text), 200)} is not a domain name`,
      ExitCode.usage,
      'give the domain of the sender address, e.g. mailcheck dns example.com',
    );
  }
  return ascii;
}

/** The sender's domain: SMTP_SENDER when the SMTP block is in use, RESEND_SENDER_EMAIL for Resend. */
function senderDomain(loaded: LoadedConfig): string | undefined {
  const settings = loaded.config.settings;
  const setting = loaded.detection.provider === 'resend' ? settings.senderEmail : (settings.sender ?? settings.senderEmail);
  const domain = setting && parseAddress(setting.value)?.domain;
  return domain ? domainToASCII(domain) || undefined : undefined;
}

function providerOf(loaded: LoadedConfig): { provider?: ProviderInfo; providerReason: string } {
  const { provider } = loaded.detection;
  if (provider === 'resend') return { provider: providerInfo('resend'), providerReason: 'the Resend API is configured' };
  if (provider === 'smtp') {
    const host = loaded.config.settings.host?.value.trim() ?? '';
    const known = recogniseProvider(host);
    const name = loaded.config.settings.host?.name ?? 'SMTP_HOST';
    const shown = safeLine(host, 200);
    return known ? { provider: known, providerReason: `${name}=${shown}` } : { providerReason: `${name}=${shown} is not a provider mailcheck knows` };
  }
  return { providerReason: 'no provider is configured (give one with --provider)' };
}

function providerFromFlag(text: string): { provider: ProviderInfo; providerReason: string } {
  const id = text.trim().toLowerCase();
  if (!(knownProviders as string[]).includes(id)) {
    throw new UserError(
      `--provider ${safeLine(JSON.stringify(text), 200)} is not one mailcheck knows`,
      ExitCode.usage,
      `use one of ${knownProviders.join(', ')}`,
    );
  }
  return { provider: providerInfo(id as KnownProvider), providerReason: `--provider ${id}` };
}
