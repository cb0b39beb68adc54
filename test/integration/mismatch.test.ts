import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSmtpCheck, type SmtpCheckOutcome } from '../../src/checks/smtp.js';
import type { SmtpSettings } from '../../src/config/smtp-settings.js';
import { TranscriptRecorder } from '../../src/report/transcript.js';
import { localhostCert } from '../fixtures/certs.js';
import { defaultPassword, defaultUser, startTestServer, type TestServer, canonicalNames } from '../fixtures/smtp-server.js';
import { closedPort, startNeverAcceptingListener, startSilentListener, type Listener } from '../fixtures/unreachable.mjs';

/**
 * The fast mismatch diagnosis inside test/doctor (runSmtpCheck), against real servers: the two
 * mismatches are proven by trying the other mode and end the walk early; a server that is only
 * slow to greet, one that never greets, a refused port and a connect timeout are NOT called a
 * mismatch. Walk timeouts here are long (8 s) so that "ended by the proof" and "ended by its own
 * timeout" cannot be confused: the failure code says which one it was.
 */

const names = canonicalNames;

let implicit: TestServer;
let starttls: TestServer;
let lateGreeter: TestServer;
let silent: Listener;
let neverAccepts: Listener;
let refused: number;
let ca: string;
const lateGreetingMs = 2500;

beforeAll(async () => {
  ca = (await localhostCert()).cert;
  [implicit, starttls, lateGreeter, silent, neverAccepts, refused] = await Promise.all([
    startTestServer({ secure: true }),
    startTestServer(),
    // Greets well after the 1.5 s the watch waits, and then speaks perfect SMTP with STARTTLS.
    startTestServer({ extra: { onConnect: (_session, callback) => void setTimeout(callback, lateGreetingMs) } }),
    startSilentListener(),
    startNeverAcceptingListener(),
    closedPort(),
  ]);
});
afterAll(async () => {
  await Promise.all([implicit, starttls, lateGreeter, silent, neverAccepts].map((s) => s?.close()));
});

interface Run extends SmtpCheckOutcome {
  text: string;
}

async function check(port: number, secure: boolean, timeoutMs = 8000): Promise<Run> {
  const settings: SmtpSettings = {
    host: '127.0.0.1',
    port,
    secure,
    user: defaultUser,
    userShown: JSON.stringify(defaultUser),
    userIsSecret: false,
    password: defaultPassword,
    senderAddress: 'app@example.com',
    senderHeader: 'app@example.com',
    names,
  };
  const recorder = new TranscriptRecorder();
  const outcome = await runSmtpCheck({ settings, recipient: 'you@example.com', deliver: false, timeoutMs, recorder, ca });
  return { ...outcome, text: recorder.lines.map((l) => `${l.dir} ${l.text}`).join('\n') };
}

describe('mismatches are proven by trying the other mode', () => {
  it('SMTP_SECURE=0 on an implicit-TLS port: implicit TLS is tried beside the silent walk, which is ended early', async () => {
    const run = await check(implicit.port, false);
    expect(run.diagnoses).toHaveLength(1);
    expect(run.diagnoses[0]).toMatchObject({
      id: 'tls.plaintext-on-implicit-port',
      class: 'tls',
      summary: `port ${implicit.port} speaks implicit TLS: set SMTP_SECURE=1`,
    });
    expect(run.diagnoses[0]!.causes[0]).toMatch(
      /^proven by trying: no greeting arrived in plain text within \d+ ms, while implicit TLS to the same port completed a TLSv1\.[23] handshake/,
    );
    expect(run.diagnoses[0]!.serverSaid).toMatch(/^220 /);
    expect(run.diagnoses[0]!.fixes[0]).toBe(`set SMTP_SECURE=1 (and keep SMTP_PORT=${implicit.port})`);
    // Ended by the proof, not by the walk's own 8 s greeting timeout.
    expect(run.walk.failure).toMatchObject({ stage: 'greeting', code: 'EMODEMISMATCH' });
    expect(run.checks.find((c) => c.id === 'smtp.greeting')?.status).toBe('fail');
    expect(run.text).toMatch(/info no greeting after 1\d{3} ms: trying implicit TLS on port \d+ alongside/);
    expect(run.text).toMatch(/this port speaks implicit TLS/);
  }, 6000);

  it('SMTP_SECURE=1 on a STARTTLS port: "wrong version number", then a plain-text greeting proves it', async () => {
    const run = await check(starttls.port, true);
    expect(run.diagnoses).toHaveLength(1);
    expect(run.diagnoses[0]).toMatchObject({
      id: 'tls.implicit-on-starttls-port',
      class: 'tls',
      summary: `port ${starttls.port} speaks STARTTLS, not implicit TLS: set SMTP_SECURE=0`,
    });
    expect(run.diagnoses[0]!.causes[0]).toMatch(/^proven by trying: the TLS handshake failed with "wrong version number"/);
    expect(run.walk.failure?.message).toMatch(/wrong version number/i);
    expect(run.text).toMatch(/greets in plain text \("220 [^"]*"\) and offers STARTTLS/);
  }, 6000);
});

describe('what must not be called a mismatch', () => {
  it('a server that greets late but correctly: the side attempt fails, the walk goes on and passes', async () => {
    const run = await check(lateGreeter.port, false);
    expect(run.diagnoses).toEqual([]);
    expect(run.walk.ok).toBe(true);
    expect(run.walk.authenticated).toBe(true);
    expect(run.text).toMatch(/trying implicit TLS on port \d+ alongside/);
    expect(run.text).toMatch(/implicit TLS on port \d+ did not work either/);
    expect(lateGreeter.log.commands).toContain('RCPT');
  }, 10_000);

  it("a port that never greets in any mode: the walk's own greeting timeout, not a mismatch", async () => {
    const run = await check(silent.port, false, 2500);
    expect(run.diagnoses.map((d) => d.id)).not.toContain('tls.plaintext-on-implicit-port');
    expect(run.diagnoses[0]?.class).toBe('network');
    expect(run.walk.failure?.timeoutType).toBe('GREETING_TIMEOUT');
    expect(run.text).toMatch(/implicit TLS on port \d+ did not work either/);
  }, 10_000);

  it('implicit TLS configured on a silent port: the handshake times out, no plain-text search is made', async () => {
    const run = await check(silent.port, true, 1500);
    expect(run.diagnoses.map((d) => d.id)).not.toContain('tls.implicit-on-starttls-port');
    expect(run.text).not.toMatch(/looking for a plain-text greeting/);
  }, 10_000);

  it('a refused port: refused at once, no side attempt', async () => {
    const run = await check(refused, false);
    expect(run.diagnoses.map((d) => d.id)).toEqual(['network.refused']);
    expect(run.text).not.toMatch(/trying implicit TLS/);
  });

  it('a listener that never accepts: a connect timeout, no side attempt', async () => {
    const run = await check(neverAccepts.port, false, 1000);
    expect(run.diagnoses[0]).toMatchObject({ id: 'network.timeout', class: 'network' });
    expect(run.text).not.toMatch(/trying implicit TLS/);
  }, 10_000);
});
