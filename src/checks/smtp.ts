import type { SmtpSettings } from '../config/smtp-settings.js';
import { diagnoseSmtpFailure } from '../diagnose/smtp-rules.js';
import type { Diagnosis, DiagnosisContext, SmtpStage } from '../diagnose/types.js';
import type { Check, CheckStatus } from '../report/model.js';
import type { Redactor } from '../report/redact.js';
import type { TranscriptRecorder } from '../report/transcript.js';
import { describeTls } from '../smtp/tls-info.js';
import { walkSmtp, type WalkResult } from '../smtp/walk.js';

export interface SmtpCheckOptions {
  settings: SmtpSettings;
  recipient: string;
  deliver: boolean;
  timeoutMs: number;
  ca?: string;
  recorder: TranscriptRecorder;
  redactor: Redactor;
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
  const walk = await walkSmtp({
    host: s.host,
    port: s.port,
    secure: s.secure,
    user: s.user,
    password: s.password,
    senderAddress: s.senderAddress,
    senderHeader: s.senderHeader,
    recipient: o.recipient,
    timeoutMs: o.timeoutMs,
    deliver: o.deliver,
    recorder: o.recorder,
    redactor: o.redactor,
    ...(o.ca ? { ca: o.ca } : {}),
    ...(o.onStage ? { onStage: o.onStage } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
  });
  const diagnoses = walk.failure && walk.failure.code !== 'EABORT' ? [diagnoseSmtpFailure(walk.failure, diagnosisContext(s, o.recipient, walk))] : [];
  return { walk, checks: checksFromWalk(walk, o.deliver), diagnoses };
}

export function diagnosisContext(s: SmtpSettings, recipient: string, walk?: WalkResult): DiagnosisContext {
  return {
    host: s.host,
    port: s.port,
    secure: s.secure,
    user: s.user,
    sender: s.senderAddress,
    recipient,
    names: s.names,
    ...(s.provider ? { provider: s.provider } : {}),
    ...(walk ? { authAdvertised: walk.authAdvertised } : {}),
  };
}

function checksFromWalk(walk: WalkResult, deliver: boolean): Check[] {
  const failedStage = walk.failure?.stage;
  const failedIndex = failedStage ? checkStages.findIndex((c) => c.stages.includes(failedStage)) : -1;
  return checkStages.map((check, index): Check => {
    const ms = walk.stages.filter((t) => check.stages.includes(t.stage)).reduce((sum, t) => sum + t.ms, 0);
    const ran = walk.stages.some((t) => check.stages.includes(t.stage));
    let status: CheckStatus;
    let detail: string | undefined;
    if (failedIndex === index) status = 'fail';
    else if (failedIndex !== -1 && index > failedIndex) status = 'skip';
    else status = ran ? 'pass' : 'skip';

    if (check.id === 'smtp.tls' && walk.tls) detail = describeTls(walk.tls);
    if (check.id === 'smtp.auth' && status !== 'fail') {
      if (!walk.authAdvertised) {
        status = failedIndex !== -1 && index > failedIndex ? 'skip' : 'warn';
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
    if (ran) result.ms = ms;
    return result;
  });
}
