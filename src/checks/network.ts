import type { LoadedConfig } from '../config/load.js';
import { toSmtpSettings, type SmtpSettings } from '../config/smtp-settings.js';
import type { SmtpStage } from '../diagnose/types.js';
import type { AuthReport, Check, Report } from '../report/model.js';
import type { TranscriptRecorder } from '../report/transcript.js';
import { resolveEndpoint, type ResendEndpoint } from '../resend/endpoint.js';
import { resendSettingsFromConfig, resendSettingsFromSmtp, type ResendSettings } from '../resend/settings.js';
import type { StageTiming } from '../report/model.js';
import type { WalkResult } from '../smtp/walk.js';
import type { SessionChoices } from '../smtp/connection.js';
import { addressFamilyChecks } from './families.js';
import { runSmtpCheck } from './smtp.js';
import { hostPort } from '../config/host-port.js';

/**
 * One network check per provider, shared by `test` (which sends), `doctor` (which sends only
 * with --send) and `init` (which checks the values before writing them).
 */

/** What a provider's network check found: the parts of a Report beyond configuration (Session.finish's input). */
export type NetworkFindings = Pick<Report, 'checks' | 'diagnoses'> &
  Partial<Pick<Report, 'tls' | 'auth' | 'message'>> & {
    stages?: StageTiming[];
    /** The Resend API's status of the sender's domain, which doctor's DNS checks compare with DNS. */
    resendDomainStatus?: string;
  };

/** What a network check may use; it never prints (the recorder feeds the live transcript). */
export interface NetworkContext {
  /** RCPT TO, and the recipient with --send. */
  recipient?: string;
  send: boolean;
  timeoutMs: number;
  recorder: TranscriptRecorder;
  /** What the check is doing now, for the spinner ("connect…", "checking the API key…"). */
  onProgress?: (text: string) => void;
  signal?: AbortSignal;
  /** A CA to trust instead of Node's built-in roots for an SMTP server (--ca-file, the sandbox's own). */
  ca?: string;
  /** --dns-server: the only DNS server asked for the SMTP host and the Resend API host (dns/host.ts). */
  dnsServer?: string;
  /** -4/-6, --ehlo, --auth-method (SMTP only). */
  choices?: SessionChoices;
  /** doctor: with both IPv4 and IPv6 addresses and no -4/-6, also report each family (checks/families.ts). */
  reportFamilies?: boolean;
}

/** One provider's network check: a title for the transcript, and one call that does it all. */
export interface NetworkCheck {
  title: string;
  run(ctx: NetworkContext): Promise<NetworkFindings>;
}

/**
 * The network check for the active provider, or none: a configuration failure means no
 * connection at all (the report then ends with exit 3).
 */
export function networkCheckFor(loaded: LoadedConfig, send: boolean, apiCheck = false): NetworkCheck | undefined {
  if (loaded.lint.some((f) => f.status === 'fail')) return undefined;
  const provider = loaded.detection.provider;
  if (provider === 'smtp') {
    const settings = toSmtpSettings(loaded.config);
    // Lint passed, so the block must be usable: a gap between the two would pass without any check.
    if (!settings) throw new Error('the SMTP settings passed lint but cannot be used (a lint rule is missing)');
    return apiCheck ? withRelayApiCheck(smtpNetworkCheck(settings, send), settings, loaded.config.settings.baseUrl?.value) : smtpNetworkCheck(settings, send);
  }
  if (provider === 'resend') return resendNetworkCheck(loaded, send);
  return undefined;
}

// --- SMTP ------------------------------------------------------------------------------------

function smtpNetworkCheck(settings: SmtpSettings, send: boolean): NetworkCheck {
  return {
    title: `SMTP session with ${hostPort(settings.host, settings.port)} (${send ? 'sending one test message' : 'stopping before DATA: nothing is sent'})`,
    async run(ctx) {
      // RCPT is only probed: the sender's own address is a recipient every server accepts for it.
      const recipient = ctx.recipient ?? settings.senderAddress;
      // Beside the walk, not after it: the attempts take about as long as its first steps.
      const families =
        ctx.reportFamilies && ctx.choices?.family === undefined
          ? addressFamilyChecks({
              settings,
              timeoutMs: ctx.timeoutMs,
              ...(ctx.ca ? { ca: ctx.ca } : {}),
              ...(ctx.dnsServer ? { dnsServer: ctx.dnsServer } : {}),
              ...(ctx.choices?.ehloName ? { ehloName: ctx.choices.ehloName } : {}),
              ...(ctx.signal ? { signal: ctx.signal } : {}),
            })
          : Promise.resolve([]);
      const outcome = await runSmtpCheck({
        settings,
        recipient,
        deliver: ctx.send,
        timeoutMs: ctx.timeoutMs,
        recorder: ctx.recorder,
        ...(ctx.ca ? { ca: ctx.ca } : {}),
        ...(ctx.dnsServer ? { dnsServer: ctx.dnsServer } : {}),
        ...(ctx.choices ? { choices: ctx.choices } : {}),
        ...(ctx.onProgress ? { onStage: (stage: SmtpStage, status: 'start' | 'ok') => status === 'start' && ctx.onProgress!(`${stage}…`) } : {}),
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
      const { walk } = outcome;
      const auth = authReport(walk);
      return {
        checks: [...outcome.checks, ...(await families)],
        diagnoses: outcome.diagnoses,
        ...(walk.tls ? { tls: walk.tls } : {}),
        ...(auth ? { auth } : {}),
        stages: walk.stages,
        ...(ctx.send && walk.ok
          ? { message: { ...(walk.messageId ? { id: walk.messageId } : {}), ...(walk.accepted ? { serverReply: walk.accepted } : {}) } }
          : {}),
      };
    },
  };
}

/** Stages that come after the EHLO reply which says whether AUTH is offered. */
const afterEhlo: readonly SmtpStage[] = ['auth', 'mail', 'rcpt', 'data', 'quit'];

/** Only known once the (encrypted) EHLO reply arrived; before that, saying "not advertised" would be a guess. */
function authReport(walk: WalkResult): AuthReport | undefined {
  const reachedEhlo = walk.ok || (walk.failure !== undefined && afterEhlo.includes(walk.failure.stage));
  if (!reachedEhlo) return undefined;
  return { advertised: walk.authAdvertised, performed: walk.authenticated, mechanisms: walk.authMechanisms };
}

// --- Resend ----------------------------------------------------------------------------------

/** The REST checks of src/resend/: key, sender domain and, with --send, one email (to --to, or to the sender). */
function resendNetworkCheck(loaded: LoadedConfig, send: boolean): NetworkCheck | undefined {
  const settings = resendSettingsFromConfig(loaded.config);
  if (!settings) return undefined;
  const endpoint = resolveEndpoint(loaded.config.settings.baseUrl?.value);
  return {
    title: `Resend API at ${endpoint.baseUrl} (${send ? 'sending one test email' : 'nothing is sent'})`,
    run: (ctx) =>
      resendFindings(
        settings,
        endpoint,
        ctx,
        send ? { recipient: ctx.recipient ?? settings.sender.address } : { sendSkipReason: 'no email sent (use --send to send one)' },
      ),
  };
}

/**
 * Resend's SMTP relay takes an API key as its password, and answers a revoked one with a bare
 * 535. --api-check asks the API about that key after the walk, so the report can name it.
 */
function withRelayApiCheck(smtp: NetworkCheck, settings: SmtpSettings, baseUrl: string | undefined): NetworkCheck {
  if (settings.provider !== 'resend') {
    const skipped: Check = {
      id: 'resend.key',
      status: 'skip',
      title: 'API key',
      detail: `--api-check applies to Resend's relay (smtp.resend.com), not ${settings.host}`,
    };
    return {
      title: smtp.title,
      async run(ctx) {
        const walked = await smtp.run(ctx);
        return { ...walked, checks: [...walked.checks, skipped] };
      },
    };
  }
  const key = resendSettingsFromSmtp(settings);
  const endpoint = resolveEndpoint(baseUrl);
  return {
    title: `${smtp.title}, then ${settings.names.password} as a key for the Resend API at ${endpoint.baseUrl}`,
    async run(ctx) {
      const walked = await smtp.run(ctx);
      if (ctx.signal?.aborted) return walked;
      const api = await resendFindings(key, endpoint, ctx, {});
      return { ...walked, ...api, checks: [...walked.checks, ...api.checks], diagnoses: [...walked.diagnoses, ...api.diagnoses] };
    },
  };
}

async function resendFindings(
  settings: ResendSettings,
  endpoint: ResendEndpoint,
  ctx: NetworkContext,
  send: { recipient?: string; sendSkipReason?: string },
): Promise<NetworkFindings> {
  const { runResendChecks } = await import('../resend/checks.js');
  const outcome = await runResendChecks({
    settings,
    endpoint,
    timeoutMs: ctx.timeoutMs,
    recorder: ctx.recorder,
    ...(ctx.dnsServer ? { dnsServer: ctx.dnsServer } : {}),
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    ...(ctx.onProgress ? { onStep: ctx.onProgress } : {}),
    ...send,
  });
  return {
    checks: outcome.checks,
    diagnoses: outcome.diagnoses,
    ...(outcome.message ? { message: outcome.message } : {}),
    ...(outcome.domainStatus !== undefined ? { resendDomainStatus: outcome.domainStatus } : {}),
  };
}
