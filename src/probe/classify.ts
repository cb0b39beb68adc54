import { isClosed, isWrongVersion } from '../diagnose/failure-facts.js';
import type { SmtpFailure } from '../diagnose/types.js';
import type { AttemptLogin, AttemptResult } from './attempt.js';
import type { CellStatus, LoginOutcome, ProbeAddress, ProbeCell, ProbeFailure, ProbeMode } from '../report/probe.js';

const isTimeout = (f: SmtpFailure) => f.code === 'ETIMEDOUT' || f.timeoutType !== undefined;
const isRefused = (f: SmtpFailure) => f.code === 'ECONNREFUSED' || f.originalCode === 'ECONNREFUSED';

/** One attempt on its own: what it proves without looking at the other modes on the port. */
export function cellFromAttempt(target: ProbeAddress & { port: number; mode: ProbeMode }, attempt: AttemptResult, timeoutMs: number): ProbeCell {
  const cell: ProbeCell = { ...target, status: 'works', ms: attempt.ms };
  if (attempt.greeting !== undefined) cell.greeting = attempt.greeting;
  if (attempt.tls) cell.tls = attempt.tls;
  if (attempt.capabilities) cell.capabilities = attempt.capabilities;
  if (attempt.login) cell.login = reportedLogin(attempt.login);
  const f = attempt.failure;
  if (attempt.ok || !f) return cell;
  cell.failure = reported(f);
  const [status, detail] = describeFailure(f, timeoutMs);
  cell.status = status;
  cell.detail = detail;
  return cell;
}

/** The failure as the report's schema has it: its fields only, whatever else the rules read internally. */
function reported(f: SmtpFailure): ProbeFailure {
  return {
    stage: f.stage,
    ...(f.code !== undefined ? { code: f.code } : {}),
    ...(f.originalCode !== undefined ? { originalCode: f.originalCode } : {}),
    ...(f.timeoutType !== undefined ? { timeoutType: f.timeoutType } : {}),
    ...(f.responseCode !== undefined ? { responseCode: f.responseCode } : {}),
    ...(f.response !== undefined ? { response: f.response } : {}),
    message: f.message,
  };
}

function reportedLogin(login: AttemptLogin): LoginOutcome {
  return login.status === 'failed' ? { status: 'failed', failure: reported(login.failure) } : login;
}

/** A cell's detail is one line; a reply may have several. */
const oneLine = (text: string): string => text.split(/\r?\n/).join(' ');

function describeFailure(f: SmtpFailure, timeoutMs: number): [CellStatus, string] {
  if (isWrongVersion(f)) {
    return f.stage === 'starttls'
      ? ['error', 'the server accepted STARTTLS but then did not speak TLS']
      : ['tls-mismatch', 'the server answered in plain text: this port does not speak implicit TLS'];
  }
  if (isRefused(f)) return ['refused', 'connection refused: nothing listens on this port'];
  if (f.code === 'EABORT') return ['error', 'interrupted'];
  if (isTimeout(f)) {
    if (f.stage === 'connect') return ['timeout', `no connection within ${timeoutMs} ms`];
    if (f.stage === 'tls') return ['timeout', `no TLS handshake within ${timeoutMs} ms`];
    if (f.stage === 'greeting') return ['timeout', `connected, but no greeting within ${timeoutMs} ms`];
    return ['timeout', `no answer ${f.stage === 'starttls' ? 'to STARTTLS' : 'to EHLO'} within ${timeoutMs} ms`];
  }
  if (f.stage === 'starttls' && f.responseCode) return ['error', `STARTTLS refused: ${oneLine(f.response ?? String(f.responseCode))}`];
  if (f.code === 'EPROTOCOL' && f.response) return ['error', `not an SMTP greeting: ${oneLine(f.response)}`];
  if (f.responseCode) return ['error', oneLine(f.response ?? f.message)];
  if (isClosed(f)) return ['error', `the server closed the connection${f.stage === 'greeting' ? ' before greeting' : ''}`];
  return ['error', f.message.split(/\r?\n/)[0] ?? 'failed'];
}

/**
 * The modes on one port explain each other: a plain-text attempt that heard nothing (or was cut
 * off) on a port where implicit TLS works was talking to a TLS port, and the reverse. This is
 * the proof the single attempt cannot give: it was tried both ways.
 */
export function reconcilePort(cells: ProbeCell[]): ProbeCell[] {
  const tlsWorks = cells.some((c) => c.mode === 'implicit-tls' && c.status === 'works');
  const plainGreeted = cells.some((c) => c.mode !== 'implicit-tls' && c.greeting !== undefined);
  const starttlsOffered = cells.find((c) => c.mode === 'plaintext' && c.capabilities)?.capabilities?.starttlsOffered;
  return cells.map((cell) => {
    if (cell.status === 'works' || cell.status === 'refused') return cell;
    const silentOrCut = cell.status === 'timeout' || (cell.failure !== undefined && isClosed(cell.failure));
    if (cell.mode !== 'implicit-tls' && tlsWorks && silentOrCut && cell.greeting === undefined) {
      return { ...cell, status: 'tls-mismatch', detail: 'no plain-text greeting, but implicit TLS works here: this port speaks implicit TLS' };
    }
    if (cell.mode === 'implicit-tls' && plainGreeted && (silentOrCut || cell.status === 'tls-mismatch')) {
      return { ...cell, status: 'tls-mismatch', detail: 'the server greets in plain text here: this port does not speak implicit TLS' };
    }
    if (cell.mode === 'starttls' && starttlsOffered === false && cell.failure?.stage === 'starttls') {
      return { ...cell, detail: 'the server does not offer STARTTLS on this port' };
    }
    return cell;
  });
}
