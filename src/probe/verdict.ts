import { implicitTlsProven, plainSmtpProven } from '../diagnose/mode-mismatch.js';
import type { KnownProvider } from '../config/providers.js';
import { diagnoseSmtpFailure } from '../diagnose/smtp-rules.js';
import { priorityOrder, type Diagnosis, type DiagnosisContext, type SmtpFailure } from '../diagnose/types.js';
import type { Check } from '../report/model.js';
import { describeRecommendation } from './recommend.js';
import { modeLabels, secureValueFor, type ProbeCell, type ProbeMode, type ProbeReport } from '../report/probe.js';

export interface VerdictInput {
  report: ProbeReport;
  names: DiagnosisContext['names'];
  provider?: KnownProvider;
  user?: string;
  /** `--auth` was given. */
  auth: boolean;
  /** `--ca-file` was given: certificates were checked against it, not Node's roots. */
  customCa?: boolean;
}

/**
 * The matrix judged: which checks passed and which diagnoses explain the failures. Pure, so
 * each rule reads as a table test. The exit code follows from the diagnoses' classes.
 */
export function probeVerdict(input: VerdictInput): { checks: Check[]; diagnoses: Diagnosis[] } {
  const { report } = input;
  const checks: Check[] = [];
  const diagnoses: Diagnosis[] = [];
  const working = report.cells.filter((c) => c.status === 'works');
  const context = (port: number, mode: ProbeMode): DiagnosisContext => ({
    host: report.host,
    port,
    secure: mode === 'implicit-tls',
    names: input.names,
    ...(input.provider ? { provider: input.provider } : {}),
    ...(input.user ? { user: input.user } : {}),
    ...(input.customCa ? { customCa: true } : {}),
  });

  if (working.length === 0) {
    checks.push({
      id: 'probe.reachable',
      status: 'fail',
      title: 'a working port and mode',
      detail: `none of the ${report.cells.length} combinations worked (${countStatuses(report.cells)})`,
    });
    diagnoses.push(nothingWorks(report, input.names));
  } else {
    checks.push({
      id: 'probe.reachable',
      status: 'pass',
      title: 'a working port and mode',
      detail: `${working.length} of ${report.cells.length} combinations work`,
    });
  }

  const rec = report.recommendation;
  if (rec) {
    const weak =
      rec.mode === 'plaintext'
        ? 'only plain text works: the password would cross the network unencrypted'
        : !rec.verified
          ? 'the certificate did not verify'
          : undefined;
    checks.push({
      id: 'probe.recommendation',
      status: weak ? 'warn' : 'pass',
      title: 'recommended combination',
      detail: `${rec.lines.join(' ')} (${describeRecommendation(rec)})${weak ? `; ${weak}` : ''}`,
    });
    if (rec.mode !== 'plaintext' && !rec.verified) {
      const tls = working.find((c) => c.port === rec.port && c.mode === rec.mode && c.tls && !c.tls.authorized)?.tls;
      const code = tls?.authorizationError ?? 'UNABLE_TO_VERIFY';
      diagnoses.push(
        diagnoseSmtpFailure(
          { stage: 'tls', code: 'ESOCKET', originalCode: code, message: `certificate verification failed: ${code}` },
          context(rec.port, rec.mode),
        ),
      );
    }
  }

  if (report.configured) {
    const { check, diagnosis } = judgeConfigured(report, report.configured, input.names, context(report.configured.port, report.configured.mode), rec?.lines);
    checks.push(check);
    // The recommendation may be the configured combination, already diagnosed above.
    if (diagnosis && !diagnoses.some((d) => d.id === diagnosis.id)) diagnoses.push(diagnosis);
  }

  if (input.auth) {
    const { check, diagnosis } = judgeLogins(report, context);
    checks.push(check);
    if (diagnosis) diagnoses.push(diagnosis);
  }
  return { checks, diagnoses };
}

function countStatuses(cells: ProbeCell[]): string {
  const words: Record<ProbeCell['status'], string> = {
    works: 'worked',
    'tls-mismatch': 'TLS mismatch',
    refused: 'refused',
    timeout: 'timed out',
    error: 'other failures',
  };
  const counts = new Map<string, number>();
  for (const cell of cells) counts.set(words[cell.status], (counts.get(words[cell.status]) ?? 0) + 1);
  return [...counts].map(([word, n]) => `${n} ${word}`).join(', ');
}

/** Ids of the diagnoses made here; the others come from the SMTP rules (diagnose/smtp-rules.ts). */
export const probeDiagnosisIds = ['probe.no-working-combination'] as const;

function nothingWorks(report: ProbeReport, names: DiagnosisContext['names']): Diagnosis {
  const refused = report.cells.filter((c) => c.status === 'refused').length;
  const timedOut = report.cells.filter((c) => c.status === 'timeout' && c.failure?.stage === 'connect').length;
  const causes = [
    ...(timedOut
      ? [
          `${timedOut} attempts got no connection at all: outbound SMTP ports are blocked here (cloud hosts block 25, often 465 and 587 too) or a firewall drops the traffic`,
        ]
      : []),
    ...(refused ? [`${refused} attempts were refused: nothing listens on those ports at ${report.host}`] : []),
    `${names.host} may not be an SMTP server`,
  ];
  return {
    id: 'probe.no-working-combination',
    class: 'network',
    summary: `no port of ${report.host} answered SMTP in any mode (ports ${report.ports.join(', ')})`,
    causes,
    fixes: priorityOrder([
      "if outbound SMTP is blocked, ask the hosting provider to open it, or send through an HTTP API (for example Resend's)",
      `check ${names.host} against the provider's documentation`,
    ]),
  };
}

function judgeConfigured(
  report: ProbeReport,
  configured: { port: number; mode: ProbeMode },
  names: DiagnosisContext['names'],
  ctx: DiagnosisContext,
  /** The recommended lines; absent when nothing works (the no-working-combination diagnosis speaks then). */
  recommended: string[] | undefined,
): { check: Check; diagnosis?: Diagnosis } {
  const title = 'configured port and mode';
  const lines = `${names.port}=${configured.port} ${names.secure}=${secureValueFor(configured.mode)}`;
  const onPort = report.cells.filter((c) => c.port === configured.port);
  const cells = onPort.filter((c) => c.mode === configured.mode);
  const works = cells.filter((c) => c.status === 'works');
  // A session over a certificate that does not verify is not one the app should use: exit 5, not 0.
  const unverified = works.find((c) => c.mode !== 'plaintext' && c.tls !== undefined && !c.tls.authorized);
  if (works.length === cells.length && unverified) {
    const code = unverified.tls!.authorizationError ?? 'UNABLE_TO_VERIFY';
    return {
      check: {
        id: 'probe.configured',
        status: 'fail',
        title,
        detail: `${lines}: ${modeLabels[configured.mode]} connects, but the certificate did not verify (${code})`,
      },
      diagnosis: diagnoseSmtpFailure({ stage: 'tls', code: 'ESOCKET', originalCode: code, message: `certificate verification failed: ${code}` }, ctx),
    };
  }
  if (works.length === cells.length)
    return { check: { id: 'probe.configured', status: 'pass', title, detail: `${lines}: ${modeLabels[configured.mode]} works` } };
  if (works.length > 0) {
    const failing = cells.find((c) => c.status !== 'works')!;
    return {
      check: {
        id: 'probe.configured',
        status: 'warn',
        title,
        detail: `${lines}: works over IPv${works[0]!.family} only; IPv${failing.family}: ${failing.detail ?? failing.status}`,
      },
    };
  }
  // SMTP_SECURE=0 lets the app go on in plain text when STARTTLS fails: it works, unencrypted.
  const plain = configured.mode === 'starttls' ? onPort.find((c) => c.mode === 'plaintext' && c.status === 'works') : undefined;
  const failing = cells[0]!;
  if (plain)
    return {
      check: {
        id: 'probe.configured',
        status: 'warn',
        title,
        detail: `${lines}: works only without encryption: STARTTLS failed (${failing.detail ?? failing.status})`,
      },
    };
  const check: Check = {
    id: 'probe.configured',
    status: 'fail',
    title,
    detail: `${lines}: ${modeLabels[configured.mode]}: ${failing.detail ?? failing.status}`,
  };
  if (!recommended) return { check };
  const otherFix = `or use the recommended combination: ${recommended.join(' ')}`;
  if (failing.status === 'tls-mismatch') {
    const greeting = onPort.find((c) => c.status === 'works')?.greeting;
    const diagnosis =
      configured.mode === 'implicit-tls'
        ? plainSmtpProven({
            port: configured.port,
            names,
            proof: `implicit TLS fails on port ${configured.port} while the server greets there in plain text`,
            otherFix,
            ...(greeting ? { greeting } : {}),
            ...starttlsOn(onPort),
          })
        : implicitTlsProven({
            port: configured.port,
            names,
            proof: `implicit TLS works on port ${configured.port}, and plain-text connections there got no greeting`,
            otherFix,
            ...(greeting ? { greeting } : {}),
          });
    return { check, diagnosis };
  }
  return { check, ...(failing.failure ? { diagnosis: diagnoseSmtpFailure(failing.failure, ctx) } : {}) };
}

function starttlsOn(cells: ProbeCell[]): { starttlsOffered?: boolean } {
  const offered = cells.find((c) => c.mode === 'plaintext' && c.capabilities)?.capabilities?.starttlsOffered;
  return offered === undefined ? {} : { starttlsOffered: offered };
}

function judgeLogins(report: ProbeReport, context: (port: number, mode: ProbeMode) => DiagnosisContext): { check: Check; diagnosis?: Diagnosis } {
  const title = 'login (--auth)';
  const tried = report.cells.filter((c) => c.login && c.login.status !== 'skipped');
  const accepted = tried.filter((c) => c.login!.status === 'ok');
  if (accepted.length) {
    const where = [...new Set(accepted.map((c) => `${c.port} ${modeLabels[c.mode]}`))].join(', ');
    return { check: { id: 'probe.auth', status: 'pass', title, detail: `accepted on ${where}` } };
  }
  const rec = report.recommendation;
  const failed = tried.find((c) => rec && c.port === rec.port && c.mode === rec.mode) ?? tried[0];
  if (failed?.login?.status === 'failed') {
    const failure: SmtpFailure = failed.login.failure;
    return {
      check: {
        id: 'probe.auth',
        status: 'fail',
        title,
        detail: `rejected on ${failed.port} ${modeLabels[failed.mode]}: ${failure.response ?? failure.message}`,
      },
      diagnosis: diagnoseSmtpFailure(failure, context(failed.port, failed.mode)),
    };
  }
  const reason = report.cells.find((c) => c.status === 'works' && c.login?.status === 'skipped');
  const detail = reason?.login?.status === 'skipped' ? reason.login.reason : 'no combination worked, so no login was tried';
  return { check: { id: 'probe.auth', status: 'warn', title, detail } };
}
