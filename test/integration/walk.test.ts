import { afterEach, describe, expect, it } from 'vitest';
import { runSmtpCheck, type SmtpCheckOutcome } from '../../src/checks/smtp.js';
import type { SmtpSettings } from '../../src/config/smtp-settings.js';
import { diagnoseSmtpFailure } from '../../src/diagnose/smtp-rules.js';
import { TranscriptRecorder, type TranscriptLine } from '../../src/report/transcript.js';
import { expiredCert, localhostCert, wrongHostCert } from '../fixtures/certs.js';
import { defaultPassword, defaultUser, startTestServer, type TestServer, type TestServerOptions, canonicalNames } from '../fixtures/smtp-server.js';
import { closedPort } from '../fixtures/unreachable.mjs';

/**
 * The walk and its diagnosis against real smtp-server instances on loopback: one test per way a
 * real session ends. Each asserts what the user is told (diagnosis id and class, check statuses),
 * what the transcript shows, and what the server actually saw.
 */

const sender = 'app@example.com';
const names = canonicalNames;
const recipient = 'you@example.com';

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function server(options: TestServerOptions = {}): Promise<TestServer> {
  const started = await startTestServer(options);
  servers.push(started);
  return started;
}

interface Run extends SmtpCheckOutcome {
  transcript: TranscriptLine[];
  /** The transcript as one string, for "does it show X" assertions. */
  text: string;
  status: Record<string, string>;
}

async function walk(port: number, o: { secure?: boolean; password?: string; ca?: string | false; timeoutMs?: number } = {}): Promise<Run> {
  const password = o.password ?? defaultPassword;
  const settings: SmtpSettings = {
    host: '127.0.0.1',
    port,
    secure: o.secure ?? false,
    user: defaultUser,
    userShown: JSON.stringify(defaultUser),
    userIsSecret: false,
    password,
    senderAddress: sender,
    senderHeader: `App <${sender}>`,
    names,
  };
  const recorder = new TranscriptRecorder();
  // By default trust the fixture's localhost certificate, as a real CA would be trusted.
  const ca = o.ca === false ? undefined : (o.ca ?? (await localhostCert()).cert);
  const outcome = await runSmtpCheck({ settings, recipient, deliver: true, timeoutMs: o.timeoutMs ?? 3000, recorder, ...(ca ? { ca } : {}) });
  const text = recorder.lines.map((l) => `${l.dir} ${l.text}`).join('\n');
  const status = Object.fromEntries(outcome.checks.map((c) => [c.id, c.status]));
  return { ...outcome, transcript: recorder.lines, text, status };
}

function expectDiagnosis(run: Run, id: string, cls: string): void {
  expect(run.walk.ok).toBe(false);
  expect(run.diagnoses, JSON.stringify(run.walk.failure)).toHaveLength(1);
  expect({ id: run.diagnoses[0]!.id, class: run.diagnoses[0]!.class }, JSON.stringify(run.walk.failure)).toEqual({ id, class: cls });
}

/** The server-reply lines of the transcript, e.g. ["220 ...", "250-...", ...]. */
const serverLines = (run: Run) => run.transcript.filter((l) => l.dir === 'server').map((l) => l.text);

const allPass = {
  'smtp.connect': 'pass',
  'smtp.tls': 'pass',
  'smtp.greeting': 'pass',
  'smtp.auth': 'pass',
  'smtp.sender': 'pass',
  'smtp.recipient': 'pass',
  'smtp.message': 'pass',
};

describe('successful sessions', () => {
  it('STARTTLS: upgrades, authenticates (235), and the server receives the message (250)', async () => {
    const s = await server();
    const run = await walk(s.port);
    expect(run.walk.ok).toBe(true);
    expect(run.diagnoses).toEqual([]);
    expect(run.status).toEqual(allPass);
    expect(run.walk.authenticated).toBe(true);
    expect(run.walk.tls).toMatchObject({ authorized: true });
    expect(serverLines(run)).toContainEqual(expect.stringMatching(/^235 /));
    expect(run.walk.accepted).toMatch(/^250 /);
    expect(serverLines(run).at(-1)).toMatch(/^250 /);
    // Everything after STARTTLS is marked as encrypted; the first EHLO was not.
    expect(run.transcript.find((l) => l.dir === 'client' && l.text.startsWith('EHLO'))!.encrypted).toBe(false);
    expect(run.transcript.find((l) => l.dir === 'client' && l.text.startsWith('AUTH'))!.encrypted).toBe(true);
    expect(s.log.commands.slice(0, 3)).toEqual(['EHLO', 'STARTTLS', 'EHLO']);
    expect(s.log.logins).toEqual([{ username: defaultUser, password: defaultPassword, method: 'PLAIN' }]);
    expect(s.log.messages).toHaveLength(1);
    const message = s.log.messages[0]!.toString();
    expect(message).toMatch(/^Subject: .*mailcheck/im);
    expect(message).toMatch(/^Message-ID: <mailcheck\./im);
    expect(message).toMatch(/^Date: /im);
    expect(message).toContain(`<${sender}>`);
    expect(run.text).not.toContain(defaultPassword);
  });

  it('implicit TLS: TLS from the first byte, no STARTTLS, message delivered', async () => {
    const s = await server({ secure: true });
    const run = await walk(s.port, { secure: true });
    expect(run.walk.ok).toBe(true);
    expect(run.status).toEqual(allPass);
    expect(s.log.commands).not.toContain('STARTTLS');
    // Even the greeting arrived inside TLS.
    expect(run.transcript.find((l) => l.dir === 'server')!.encrypted).toBe(true);
    expect(serverLines(run)).toContainEqual(expect.stringMatching(/^235 /));
    expect(run.walk.accepted).toMatch(/^250 /);
    expect(s.log.messages).toHaveLength(1);
  });

  it('AUTH LOGIN: the username is shown decoded, the password only masked', async () => {
    const s = await server({ extra: { authMethods: ['LOGIN'] } });
    const run = await walk(s.port);
    expect(run.walk.ok).toBe(true);
    expect(run.walk.authMechanisms).toEqual(['LOGIN']);
    expect(s.log.logins).toEqual([{ username: defaultUser, password: defaultPassword, method: 'LOGIN' }]);
    expect(run.text).toMatch(/client AUTH LOGIN/);
    expect(run.text).toContain(`username "${defaultUser}"`);
    expect(run.text).toMatch(/base64 of password …\(\d+ chars\)/);
    expect(run.text).not.toContain(Buffer.from(defaultUser).toString('base64'));
    expect(serverLines(run)).toContainEqual(expect.stringMatching(/^235 /));
    expect(s.log.messages).toHaveLength(1);
  });

  it('a server without AUTH: the message goes through, but the credentials are reported as NOT checked', async () => {
    const s = await server({ noAuth: true });
    const run = await walk(s.port);
    expect(run.walk.ok).toBe(true);
    expect(run.walk.authAdvertised).toBe(false);
    expect(run.walk.authenticated).toBe(false);
    expect(run.status['smtp.auth']).toBe('warn');
    expect(run.checks.find((c) => c.id === 'smtp.auth')!.detail).toMatch(/not checked/);
    expect(run.text).toMatch(/NOT checked/);
    expect(s.log.commands).not.toContain('AUTH');
    expect(s.log.logins).toEqual([]);
    expect(s.log.messages).toHaveLength(1);
  });
});

describe('rejections by the server', () => {
  it('535: wrong password is an authentication failure; nothing is sent', async () => {
    const s = await server();
    const wrong = 'Wr0ng-Pa55word-Zq';
    const run = await walk(s.port, { password: wrong });
    expectDiagnosis(run, 'auth.rejected', 'auth');
    expect(run.walk.failure).toMatchObject({ stage: 'auth', responseCode: 535 });
    expect(run.status).toMatchObject({ 'smtp.tls': 'pass', 'smtp.auth': 'fail', 'smtp.sender': 'skip', 'smtp.message': 'skip' });
    expect(run.diagnoses[0]!.serverSaid).toMatch(/^535 /);
    expect(run.diagnoses[0]!.fixes.join('\n')).toMatch(/SMTP_USER|SMTP_PASSWORD/);
    expect(s.log.commands).not.toContain('MAIL');
    expect(s.log.messages).toHaveLength(0);
    expect(run.text).not.toContain(wrong);
  });

  it('550 at MAIL FROM (sender not verified): the sender is the cause', async () => {
    const s = await server({ rejectMail: { code: 550, message: 'Sender address not verified' } });
    const run = await walk(s.port);
    expectDiagnosis(run, 'sender.unverified', 'envelope');
    expect(run.walk.failure).toMatchObject({ stage: 'mail', responseCode: 550 });
    expect(run.status).toMatchObject({ 'smtp.auth': 'pass', 'smtp.sender': 'fail', 'smtp.recipient': 'skip', 'smtp.message': 'skip' });
    expect(run.diagnoses[0]!.serverSaid).toContain('Sender address not verified');
    expect(s.log.messages).toHaveLength(0);
  });

  it('550 at RCPT TO (unknown mailbox): the recipient is the cause', async () => {
    const s = await server({ rejectRcpt: { code: 550, message: '5.1.1 No such user here' } });
    const run = await walk(s.port);
    expectDiagnosis(run, 'recipient.rejected', 'envelope');
    expect(run.walk.failure).toMatchObject({ stage: 'rcpt', responseCode: 550 });
    expect(run.status).toMatchObject({ 'smtp.sender': 'pass', 'smtp.recipient': 'fail', 'smtp.message': 'skip' });
    expect(s.log.messages).toHaveLength(0);
  });

  it('550 at RCPT TO for a sender reason (Postfix style): still diagnosed as the sender', async () => {
    const s = await server({ rejectRcpt: { code: 550, message: `5.7.1 <${sender}>: Sender address rejected: not verified` } });
    const run = await walk(s.port);
    expectDiagnosis(run, 'sender.unverified', 'envelope');
    expect(run.walk.failure).toMatchObject({ stage: 'rcpt' });
    expect(s.log.messages).toHaveLength(0);
  });

  it('550 after DATA for a sender reason: diagnosed as the sender, not the message', async () => {
    const s = await server({ rejectData: { code: 550, message: 'Sender address not verified' } });
    const run = await walk(s.port);
    expectDiagnosis(run, 'sender.unverified', 'envelope');
    expect(run.walk.failure).toMatchObject({ stage: 'data', responseCode: 550 });
    expect(run.status).toMatchObject({ 'smtp.sender': 'pass', 'smtp.recipient': 'pass', 'smtp.message': 'fail' });
    // The server read the message, then refused it.
    expect(s.log.messages).toHaveLength(1);
    expect(run.walk.accepted).toBeUndefined();
  });

  it('550 after DATA for a content reason: the message is the cause', async () => {
    const s = await server({ rejectData: { code: 550, message: '5.7.1 Message content rejected' } });
    const run = await walk(s.port);
    expectDiagnosis(run, 'message.rejected', 'message');
    expect(run.status['smtp.message']).toBe('fail');
  });

  it('421 instead of the greeting: temporary, retry later', async () => {
    const s = await server({ rejectConnect: { code: 421, message: 'Too many connections, try again later' } });
    const run = await walk(s.port);
    expect(run.walk.failure).toMatchObject({ stage: 'greeting', responseCode: 421 });
    expect(run.diagnoses[0]!.class).toBe('temporary');
    expect(run.diagnoses[0]!.id).toMatch(/^temporary\./);
    expect(run.diagnoses[0]!.serverSaid).toMatch(/^421 /);
    expect(run.status).toMatchObject({ 'smtp.connect': 'pass', 'smtp.greeting': 'fail', 'smtp.auth': 'skip' });
    expect(s.log.commands).toEqual([]);
  });

  it('421 at MAIL FROM: temporary, with the retry advice', async () => {
    const s = await server({ rejectMail: { code: 421, message: '4.7.0 Try again later' } });
    const run = await walk(s.port);
    expectDiagnosis(run, 'temporary.failure', 'temporary');
    expect(run.walk.failure).toMatchObject({ stage: 'mail', responseCode: 421 });
    // MAIL, RCPT and DATA were pipelined; only MAIL was answered.
    expect(run.status).toMatchObject({ 'smtp.auth': 'pass', 'smtp.sender': 'fail', 'smtp.recipient': 'skip', 'smtp.message': 'skip' });
    expect(run.diagnoses[0]!.fixes.join('\n')).toMatch(/retry|again/i);
    expect(s.log.messages).toHaveLength(0);
  });

  it('421 rate limit at MAIL FROM (Resend style): rate limited', async () => {
    const s = await server({ rejectMail: { code: 421, message: 'Rate limit exceeded, slow down' } });
    const run = await walk(s.port);
    expectDiagnosis(run, 'temporary.rate-limited', 'temporary');
  });
});

describe('TLS mode and certificates', () => {
  it('implicit TLS (SMTP_SECURE=1) against a STARTTLS server: wrong version number, within a second', async () => {
    const s = await server();
    const started = performance.now();
    const run = await walk(s.port, { secure: true });
    expectDiagnosis(run, 'tls.implicit-on-starttls-port', 'tls');
    expect(run.diagnoses[0]!.fixes.join('\n')).toMatch(/SMTP_SECURE=0/);
    // TCP connected; the handshake is what failed.
    expect(run.status).toMatchObject({ 'smtp.connect': 'pass', 'smtp.tls': 'fail', 'smtp.auth': 'skip' });
    // The session never reached EHLO: nothing may claim AUTH was not advertised.
    expect(run.checks.find((c) => c.id === 'smtp.auth')!.detail).toBeUndefined();
    // OpenSSL's own words end the transcript: they are what people search for.
    expect(run.text).toMatch(/info stopped: .*wrong version number/);
    expect(s.log.logins).toEqual([]);
    // Not a timeout: the mismatch shows at once (bounded loosely; speed goals live in benchmarks).
    expect(performance.now() - started).toBeLessThan(2500);
  });

  it('plaintext (SMTP_SECURE=0) against an implicit-TLS server: diagnosed as the TLS mode, fix SMTP_SECURE=1', async () => {
    const s = await server({ secure: true });
    const run = await walk(s.port, { secure: false, timeoutMs: 1000 });
    expectDiagnosis(run, 'tls.plaintext-on-implicit-port', 'tls');
    expect(run.walk.failure).toMatchObject({ stage: 'greeting' });
    expect(run.status).toMatchObject({ 'smtp.connect': 'pass', 'smtp.greeting': 'fail', 'smtp.auth': 'skip' });
    expect(run.diagnoses[0]!.fixes[0]).toMatch(/SMTP_SECURE=1/);
    expect(s.log.logins).toEqual([]);
  });

  it('a server that never greets: greeting timeout, bounded by the step timeout', async () => {
    const s = await server({ neverGreet: true });
    const run = await walk(s.port, { secure: false, timeoutMs: 1000 });
    expectDiagnosis(run, 'greeting.timeout', 'network');
    expect(run.walk.failure).toMatchObject({ stage: 'greeting', code: 'ETIMEDOUT', timeoutType: 'GREETING_TIMEOUT' });
    expect(run.status).toMatchObject({ 'smtp.connect': 'pass', 'smtp.tls': 'skip', 'smtp.greeting': 'fail', 'smtp.auth': 'skip' });
    // The transcript does not stop mid-air: it says what ended the session.
    expect(run.text).toMatch(/info stopped: Greeting never received/);
    // On a 465-style port the same silence names the fix: SMTP_SECURE=1. Ports below 1024 cannot
    // be bound here, so the real failure is diagnosed in the context of port 465.
    const on465 = diagnoseSmtpFailure(run.walk.failure!, { host: '127.0.0.1', port: 465, secure: false, user: defaultUser, sender, recipient, names });
    expect({ id: on465.id, class: on465.class }).toEqual({ id: 'tls.plaintext-on-implicit-port', class: 'tls' });
    expect(on465.fixes[0]).toMatch(/SMTP_SECURE=1/);
  });

  it('a server on port 2465 (implicit-TLS convention) that never greets: SMTP_SECURE=1 is the fix', async (context) => {
    const s = await startTestServer({ neverGreet: true, port: 2465 }).catch(() => undefined);
    if (!s) return context.skip(); // port taken on this machine
    servers.push(s);
    const run = await walk(s.port, { secure: false, timeoutMs: 1000 });
    expectDiagnosis(run, 'tls.plaintext-on-implicit-port', 'tls');
    expect(run.diagnoses[0]!.fixes[0]).toMatch(/SMTP_SECURE=1/);
  });

  it('connection refused: a network failure, nothing else attempted', async () => {
    const run = await walk(await closedPort());
    expectDiagnosis(run, 'network.refused', 'network');
    expect(run.walk.failure).toMatchObject({ stage: 'connect', originalCode: 'ECONNREFUSED' });
    expect(run.status).toMatchObject({ 'smtp.connect': 'fail', 'smtp.tls': 'skip', 'smtp.greeting': 'skip' });
  });

  it('connection refused with implicit TLS: still the connect step, not TLS', async () => {
    const run = await walk(await closedPort(), { secure: true });
    expectDiagnosis(run, 'network.refused', 'network');
    expect(run.status).toMatchObject({ 'smtp.connect': 'fail', 'smtp.tls': 'skip' });
  });

  it('self-signed certificate (CA not trusted): TLS failure, credentials never sent', async () => {
    const s = await server();
    const run = await walk(s.port, { ca: false });
    expectDiagnosis(run, 'tls.self-signed', 'tls');
    expect(run.walk.tls).toMatchObject({ authorized: false, authorizationError: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    // The greeting and first EHLO came before STARTTLS, and passed.
    expect(run.status).toMatchObject({ 'smtp.connect': 'pass', 'smtp.greeting': 'pass', 'smtp.tls': 'fail', 'smtp.auth': 'skip' });
    // The transcript shows the certificate that failed.
    expect(run.text).toMatch(/NOT verified \(DEPTH_ZERO_SELF_SIGNED_CERT\)/);
    expect(s.log.commands).not.toContain('AUTH');
    expect(s.log.logins).toEqual([]);
  });

  it('self-signed certificate with implicit TLS: same diagnosis, nothing sent', async () => {
    const s = await server({ secure: true });
    const run = await walk(s.port, { secure: true, ca: false });
    expectDiagnosis(run, 'tls.self-signed', 'tls');
    expect(s.log.commands).toEqual([]);
    // The session ends where verification failed: nothing after the "stopped" line, and each stage timed once.
    expect(run.transcript.at(-1)?.text).toBe('stopped: certificate verification failed: DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(run.walk.stages.map((t) => t.stage)).toEqual(['connect', 'tls']);
  });

  it('hostname mismatch: the certificate names another host', async () => {
    const cert = await wrongHostCert();
    const s = await server({ cert });
    const run = await walk(s.port, { ca: cert.cert });
    expectDiagnosis(run, 'tls.hostname-mismatch', 'tls');
    expect(run.walk.tls).toMatchObject({ authorized: false, authorizationError: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    expect(run.text).toContain('mail.other.example');
    expect(s.log.logins).toEqual([]);
  });

  it('expired certificate', async () => {
    const cert = await expiredCert();
    const s = await server({ cert });
    const run = await walk(s.port, { ca: cert.cert });
    expectDiagnosis(run, 'tls.expired', 'tls');
    expect(run.walk.tls).toMatchObject({ authorized: false, authorizationError: 'CERT_HAS_EXPIRED' });
    expect(s.log.logins).toEqual([]);
  });
});
