import { runSmtpCheck } from '../checks/smtp.js';
import { parseAddress } from '../config/address.js';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import { toSmtpSettings, type SmtpSettings } from '../config/smtp-settings.js';
import type { SmtpStage } from '../diagnose/types.js';
import { UserError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { emitGithubActions } from '../render/github.js';
import type { AuthReport, Check, Report } from '../report/model.js';
import type { TranscriptRecorder } from '../report/transcript.js';
import type { StageTiming, WalkResult } from '../smtp/walk.js';
import { parseTimeout, readPasswordFromStdin, smtpFlags, type GlobalOptions, type SmtpFlagOptions } from './options.js';
import { Session } from './session.js';
import { resolveEndpoint, type ResendEndpoint } from '../resend/endpoint.js';
import { resendSettingsFromConfig, resendSettingsFromSmtp, type ResendSettings } from '../resend/settings.js';

export interface DoctorOptions extends GlobalOptions, SmtpFlagOptions {
  /** Walk through DATA and send one real message; without it nothing is ever sent. */
  send?: boolean;
  /** Warnings fail the run (exit 11). */
  strict?: boolean;
  /** Resend's SMTP relay: also check the SMTP password as an API key against the API. */
  apiCheck?: boolean;
}

/** What a provider's network check found: the parts of a Report beyond configuration (Session.finish's input). */
export type DoctorFindings = Pick<Report, 'checks' | 'diagnoses'> & Partial<Pick<Report, 'tls' | 'auth' | 'message'>> & { stages?: StageTiming[] };

/** What a network check may use; it never prints (the recorder feeds the live transcript). */
export interface NetworkContext {
  /** RCPT TO, and the recipient with --send. */
  recipient?: string;
  send: boolean;
  timeoutMs: number;
  recorder: TranscriptRecorder;
  redactor: LoadedConfig['redactor'];
  onStage?: (stage: SmtpStage, status: 'start' | 'ok') => void;
  signal?: AbortSignal;
  /** An extra CA to trust (tests with a loopback server; there is no flag for it). */
  ca?: string;
}

/** One provider's network check: a title for the transcript, and one call that does it all. */
export interface NetworkCheck {
  title: string;
  run(ctx: NetworkContext): Promise<DoctorFindings>;
}

/**
 * `mailcheck doctor`: lint, then one network check for the active provider, then a report for
 * people, machines (--json) and GitHub Actions. Nothing is sent unless --send is given.
 */
export async function runDoctor(options: DoctorOptions, signal: AbortSignal): Promise<number> {
  const timeoutMs = parseTimeout(options.timeout);
  const recipient = options.to === undefined ? undefined : recipientFromFlag(options.to);
  const loaded = loadConfig({
    env: process.env,
    flags: smtpFlags(options),
    ...(options.envFile ? { envFiles: options.envFile } : {}),
    ...(options.passwordStdin ? { passwordFromStdin: await readPasswordFromStdin() } : {}),
  });
  const session = new Session('doctor', loaded, options);
  session.printHeader();

  let findings: DoctorFindings = { checks: [], diagnoses: [] };
  const check = networkCheckFor(loaded, options.send === true, options.apiCheck === true);
  if (check) {
    const progress = await session.startProgress();
    session.human?.transcriptTitle(check.title);
    findings = await check.run({
      send: options.send === true,
      timeoutMs,
      recorder: session.recorder,
      redactor: loaded.redactor,
      onStage: (stage, status) => status === 'start' && progress.update(`${stage}…`),
      signal,
      ...(recipient ? { recipient } : {}),
    });
    if (signal.aborted) {
      progress.stop();
      return ExitCode.interrupted;
    }
  }
  const report = session.finish(findings, options.strict === true);
  if (session.mode.githubActions) emitGithubActions(report, { output: session.output, redactor: loaded.redactor, env: process.env, json: session.mode.json });
  return report.result.exitCode;
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
    if (settings && apiCheck) return withRelayApiCheck(smtpNetworkCheck(settings, send), settings);
    return settings && smtpNetworkCheck(settings, send);
  }
  if (provider === 'resend') return resendNetworkCheck(loaded, send);
  return undefined;
}

/** `--to` is only probed with RCPT unless --send; either way it must be an address. */
function recipientFromFlag(text: string): string {
  const parsed = parseAddress(text);
  if (!parsed) throw new UserError(`--to ${JSON.stringify(text)} is not an email address`, ExitCode.usage, 'write it as you@example.com, or leave --to out to probe the sender address itself');
  return parsed.address;
}

// --- SMTP ------------------------------------------------------------------------------------

function smtpNetworkCheck(settings: SmtpSettings, send: boolean): NetworkCheck {
  return {
    title: `SMTP session with ${settings.host}:${settings.port} (${send ? 'sending one test message' : 'stopping before DATA: nothing is sent'})`,
    async run(ctx) {
      // RCPT is only probed: the sender's own address is a recipient every server accepts for it.
      const recipient = ctx.recipient ?? settings.senderAddress;
      const outcome = await runSmtpCheck({
        settings,
        recipient,
        deliver: ctx.send,
        timeoutMs: ctx.timeoutMs,
        recorder: ctx.recorder,
        redactor: ctx.redactor,
        ...(ctx.ca ? { ca: ctx.ca } : {}),
        ...(ctx.onStage ? { onStage: ctx.onStage } : {}),
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
      const { walk } = outcome;
      const auth = authReport(walk);
      return {
        checks: outcome.checks,
        diagnoses: outcome.diagnoses,
        ...(walk.tls ? { tls: walk.tls } : {}),
        ...(auth ? { auth } : {}),
        stages: walk.stages,
        ...(ctx.send && walk.ok ? { message: { ...(walk.messageId ? { id: walk.messageId } : {}), ...(walk.accepted ? { serverReply: walk.accepted } : {}) } } : {}),
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
  const endpoint = resolveEndpoint(process.env);
  return {
    title: `Resend API at ${endpoint.baseUrl} (${send ? 'sending one test email' : 'nothing is sent'})`,
    run: (ctx) =>
      resendFindings(settings, endpoint, ctx, send ? { recipient: ctx.recipient ?? settings.sender.address } : { sendSkipReason: 'no email sent (use --send to send one)' }),
  };
}

/**
 * Resend's SMTP relay takes an API key as its password, and answers a revoked one with a bare
 * 535. --api-check asks the API about that key after the walk, so the report can name it.
 */
function withRelayApiCheck(smtp: NetworkCheck, settings: SmtpSettings): NetworkCheck {
  if (settings.provider !== 'resend') {
    const skipped: Check = { id: 'resend.key', status: 'skip', title: 'API key', detail: `--api-check applies to Resend's relay (smtp.resend.com), not ${settings.host}` };
    return {
      title: smtp.title,
      async run(ctx) {
        const walked = await smtp.run(ctx);
        return { ...walked, checks: [...walked.checks, skipped] };
      },
    };
  }
  const key = resendSettingsFromSmtp(settings);
  const endpoint = resolveEndpoint(process.env);
  return {
    title: `${smtp.title}, then ${settings.names.password} as a key for the Resend API at ${endpoint.baseUrl}`,
    async run(ctx) {
      const walked = await smtp.run(ctx);
      if (ctx.signal?.aborted) return walked;
      const api = await resendFindings(key, endpoint, ctx, {});
      return { ...walked, checks: [...walked.checks, ...api.checks], diagnoses: [...walked.diagnoses, ...api.diagnoses] };
    },
  };
}

async function resendFindings(settings: ResendSettings, endpoint: ResendEndpoint, ctx: NetworkContext, send: { recipient?: string; sendSkipReason?: string }): Promise<DoctorFindings> {
  const { runResendChecks } = await import('../resend/checks.js');
  const outcome = await runResendChecks({ settings, endpoint, timeoutMs: ctx.timeoutMs, recorder: ctx.recorder, redactor: ctx.redactor, ...(ctx.signal ? { signal: ctx.signal } : {}), ...send });
  return { checks: outcome.checks, diagnoses: outcome.diagnoses, ...(outcome.message ? { message: outcome.message } : {}) };
}
