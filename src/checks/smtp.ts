import type { SmtpSettings } from '../config/smtp-settings.js';
import type { Diagnosis, DiagnosisContext, SmtpFailure, SmtpStage } from '../diagnose/types.js';
import type { Check, CheckStatus } from '../report/model.js';
import type { TranscriptRecorder } from '../report/transcript.js';
import { describeTls } from '../smtp/tls-info.js';
import type { SessionChoices } from '../smtp/connection.js';
import { walkSmtp, type WalkResult } from '../smtp/walk.js';
import { ModeMismatchWatch } from './mismatch.js';

export interface SmtpCheckOptions {
  settings: SmtpSettings;
  recipient: string;
  deliver: boolean;
  timeoutMs: number;
  ca?: string;
  /** --dns-server: the only DNS server asked for the host, by the walk and the mismatch watch alike. */
  dnsServer?: string;
  recorder: TranscriptRecorder;
  /** -4/-6, --ehlo, --auth-method: for the walk and the mismatch watch's side attempts alike. */
  choices?: SessionChoices;
  onStage?: (stage: SmtpStage, status: 'start' | 'ok') => void;
  signal?: AbortSignal;
}

export interface SmtpCheckOutcome {
  walk: WalkResult;
  checks: Check[];
  diagnoses: Diagnosis[];
}

/** The checks a walk proves, in session order, and the stages that make each one up. */
const checkStages: { id: string; title: string; stages: SmtpStage[] }[] = [
  { id: 'smtp.connect', title: 'connect', stages: ['dns', 'connect'] },
  { id: 'smtp.tls', title: 'TLS', stages: ['tls', 'starttls'] },
  { id: 'smtp.greeting', title: 'greeting and EHLO', stages: ['greeting', 'ehlo'] },
  { id: 'smtp.auth', title: 'authentication', stages: ['auth'] },
  { id: 'smtp.sender', title: 'sender accepted (MAIL FROM)', stages: ['mail'] },
  { id: 'smtp.recipient', title: 'recipient accepted (RCPT TO)', stages: ['rcpt'] },
  { id: 'smtp.message', title: 'message accepted (DATA)', stages: ['data'] },
];

export async function runSmtpCheck(o: SmtpCheckOptions): Promise<SmtpCheckOutcome> {
  const s = o.settings;
  // Proves a port/SMTP_SECURE mismatch by trying the other mode, instead of waiting for timeouts.
  const mismatch = new ModeMismatchWatch({
    host: s.host,
    port: s.port,
    secure: s.secure,
    names: s.names,
    timeoutMs: o.timeoutMs,
    recorder: o.recorder,
    ...(o.ca ? { ca: o.ca } : {}),
    ...(o.dnsServer ? { dnsServer: o.dnsServer } : {}),
    ...(o.choices?.family ? { family: o.choices.family } : {}),
    ...(o.choices?.ehloName ? { ehloName: o.choices.ehloName } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
  });
  const walk = await walkSmtp({
    ...o.choices,
    host: s.host,
    port: s.port,
    secure: s.secure,
    user: s.user,
    userShown: s.userShown,
    userIsSecret: s.userIsSecret,
    ...(s.password !== undefined ? { password: s.password } : {}),
    ...(s.oauth2Token !== undefined ? { oauth2Token: s.oauth2Token } : {}),
    senderAddress: s.senderAddress,
    senderHeader: s.senderHeader,
    recipient: o.recipient,
    timeoutMs: o.timeoutMs,
    deliver: o.deliver,
    recorder: o.recorder,
    ...(o.ca ? { ca: o.ca } : {}),
    ...(o.dnsServer ? { dnsServer: o.dnsServer } : {}),
    onStage: (stage, status) => {
      mismatch.onStage(stage, status);
      o.onStage?.(stage, status);
    },
    onSmtpSpoken: () => mismatch.smtpSpoken(),
    signal: mismatch.signal,
  });
  const proven = await mismatch.settle(walk);
  if (proven?.failure) walk.failure = proven.failure;
  const diagnoses = proven
    ? [proven.diagnosis]
    : walk.failure && walk.failure.code !== 'EABORT'
      ? [await diagnose(walk.failure, { ...diagnosisContext(s, o.recipient, walk, o.choices), ...(o.ca ? { customCa: true } : {}) })]
      : [];
  return { walk, checks: checksFromWalk(walk, o.deliver), diagnoses };
}

/** The rules are only needed when something failed: a passing session never loads them. */
async function diagnose(failure: SmtpFailure, ctx: DiagnosisContext): Promise<Diagnosis> {
  const { diagnoseSmtpFailure } = await import('../diagnose/smtp-rules.js');
  return diagnoseSmtpFailure(failure, ctx);
}

export function diagnosisContext(s: SmtpSettings, recipient: string, walk?: WalkResult, choices?: SessionChoices): DiagnosisContext {
  return {
    host: s.host,
    port: s.port,
    secure: s.secure,
    user: s.user,
    sender: s.senderAddress,
    recipient,
    names: s.names,
    ...(s.provider ? { provider: s.provider } : {}),
    ...(walk ? { authAdvertised: walk.authAdvertised, authMechanisms: walk.authMechanisms } : {}),
    ...(s.oauth2Token !== undefined ? { oauth2Token: true } : {}),
    ...(choices?.family ? { family: choices.family } : {}),
    ...(choices?.authMethod ? { authMethod: choices.authMethod } : {}),
  };
}

/** Stages after AUTH: reaching one means the session got past EHLO, where AUTH is advertised. */
const afterAuth: readonly SmtpStage[] = ['mail', 'rcpt', 'data', 'quit'];

function checksFromWalk(walk: WalkResult, deliver: boolean): Check[] {
  const failedStage = walk.failure?.stage;
  // The stages finished before the failure, in the order they happened. Check order is not
  // session order (STARTTLS comes after EHLO), and with PIPELINING the walk may have entered
  // RCPT and DATA before the reply that failed MAIL arrived: those did not pass.
  const order = walk.stages.map((t) => t.stage);
  const failedAt = failedStage ? order.lastIndexOf(failedStage) : -1;
  const completed = new Set((failedAt === -1 ? order : order.slice(0, failedAt)).filter((stage) => stage !== failedStage));
  const pastAuth = walk.ok || afterAuth.some((stage) => completed.has(stage) || stage === failedStage);
  return checkStages.map((check): Check => {
    const ms = walk.stages.filter((t) => check.stages.includes(t.stage)).reduce((sum, t) => sum + t.ms, 0);
    let status: CheckStatus;
    let detail: string | undefined;
    if (failedStage && check.stages.includes(failedStage)) status = 'fail';
    else status = check.stages.some((stage) => completed.has(stage)) ? 'pass' : 'skip';

    if (check.id === 'smtp.tls' && walk.tls) detail = describeTls(walk.tls);
    if (check.id === 'smtp.auth' && status !== 'fail') {
      if (!walk.authAdvertised && pastAuth) {
        status = 'warn';
        detail = 'the server did not advertise AUTH, so the username and password were not checked';
      } else if (walk.authenticated) detail = `235 accepted (mechanisms offered: ${walk.authMechanisms.join(', ')})`;
    }
    if (check.id === 'smtp.message') {
      if (!deliver) {
        status = 'skip';
        detail = 'no message sent (DATA skipped; use --send to send one)';
      } else if (walk.accepted) detail = walk.accepted;
    }
    const result: Check = { id: check.id, status, title: check.title };
    if (detail) result.detail = detail;
    if (status !== 'skip') result.ms = ms;
    return result;
  });
}
