import { afterAll, beforeAll, expect, it } from 'vitest';
import { ExitCode } from '../../src/exit-codes.js';
import { startExim, wrongPassword, type EximPort, type Lab } from './harness.mjs';
import { describeWithMtas, expectOutcome, lines, mailcheck } from './mta.js';

/**
 * The built CLI against Exim 4.96 (GnuTLS), run unpacked with its own configuration and started
 * once for this file (test/mta/harness.mjs says which listener is which). Exact exit codes and
 * diagnosis ids (the issue 13 cases among them).
 */
describeWithMtas('Exim 4 (GnuTLS) on loopback', 'exim', () => {
  let lab: Lab<EximPort>;
  const to = (local: string) => `${local}@${lab.domain}`;
  const starttls = (port: EximPort) => ({ port: lab.ports[port], secure: '0' as const });

  beforeAll(async () => {
    lab = await startExim();
  });
  afterAll(async () => {
    await lab?.stop();
  });

  it('test over STARTTLS (GnuTLS): the full walk ends in 250 after DATA', async () => {
    const run = await mailcheck(lab, starttls('submission'), ['test', '--to', to('inbox')]);
    expectOutcome(run, ExitCode.ok, []);
    expect(lines(run, 'server').some((l) => /^250 OK id=/.test(l))).toBe(true);
  });

  it('doctor over STARTTLS', async () => {
    const run = await mailcheck(lab, starttls('submission'), ['doctor', '--to', to('inbox')]);
    expectOutcome(run, ExitCode.ok, []);
    expect(lines(run, 'client')).not.toContain('DATA');
  });

  it('test over implicit TLS (tls_on_connect_ports)', async () => {
    const run = await mailcheck(lab, { port: lab.ports.submissions, secure: '1' }, ['test', '--to', to('inbox')]);
    expectOutcome(run, ExitCode.ok, []);
  });

  it('doctor over implicit TLS', async () => {
    const run = await mailcheck(lab, { port: lab.ports.submissions, secure: '1' }, ['doctor', '--to', to('inbox')]);
    expectOutcome(run, ExitCode.ok, []);
  });

  it('wrong password: 535 Incorrect authentication data', async () => {
    const run = await mailcheck(lab, { ...starttls('submission'), password: wrongPassword }, ['test', '--to', to('inbox')]);
    expectOutcome(run, ExitCode.auth, ['auth.rejected']);
    expect(lines(run, 'server')).toContain('535 Incorrect authentication data');
  });

  it('unknown recipient: 550 Unrouteable address', async () => {
    const run = await mailcheck(lab, starttls('submission'), ['test', '--to', to('nobody')]);
    expectOutcome(run, ExitCode.envelope, ['recipient.rejected']);
    expect(lines(run, 'server')).toContain('550 Unrouteable address');
  });

  it('relay denied: 550 relay not permitted', async () => {
    const run = await mailcheck(lab, starttls('submission'), ['test', '--to', 'someone@elsewhere.test']);
    expectOutcome(run, ExitCode.envelope, ['envelope.relay-denied']);
    expect(lines(run, 'server')).toContain('550 relay not permitted');
  });

  it('sender rejected at MAIL by an ACL', async () => {
    const run = await mailcheck(lab, { ...starttls('submission'), from: to('blocked') }, ['doctor', '--to', to('inbox')]);
    expectOutcome(run, ExitCode.envelope, ['sender.unverified']);
    expect(lines(run, 'client').some((l) => l.startsWith('RCPT TO:'))).toBe(false);
  });

  it('message over message_size_limit: 552 after DATA', async () => {
    const run = await mailcheck(lab, starttls('tinySize'), ['test', '--to', to('inbox')]);
    expectOutcome(run, ExitCode.message, ['message.too-large']);
    expect(lines(run, 'server').some((l) => l.startsWith('552'))).toBe(true);
  });

  it('expired certificate over GnuTLS', async () => {
    const run = await mailcheck(lab, starttls('expired'), ['test', '--to', to('inbox')]);
    expectOutcome(run, ExitCode.tls, ['tls.expired']);
  });

  it('SMTP_SECURE=1 on the STARTTLS port', async () => {
    const run = await mailcheck(lab, { port: lab.ports.submission, secure: '1' }, ['test', '--to', to('inbox')]);
    expectOutcome(run, ExitCode.tls, ['tls.implicit-on-starttls-port']);
  });

  it('SMTP_SECURE=0 on the implicit-TLS port: named within seconds', async () => {
    const run = await mailcheck(lab, { port: lab.ports.submissions, secure: '0' }, ['test', '--to', to('inbox')]);
    expectOutcome(run, ExitCode.tls, ['tls.plaintext-on-implicit-port']);
    expect(run.ms).toBeLessThan(5000);
  });

  // issue 13: v0.1 sent AUTH PLAIN although only AUTH XOAUTH2 is advertised, and diagnosed the
  // "504 PLAIN authentication mechanism not supported" as a wrong password. The mechanism comes
  // from what EHLO offers, nothing unadvertised is sent, and the server is named OAuth2-only.
  it('a server offering only AUTH XOAUTH2: no AUTH PLAIN sent, not diagnosed as a wrong password', async () => {
    const run = await mailcheck(lab, starttls('oauthOnly'), ['test', '--to', to('inbox')]);
    expect(lines(run, 'server')).toContain('250-AUTH XOAUTH2');
    expect(lines(run, 'client').filter((l) => /^AUTH (PLAIN|LOGIN)\b/.test(l))).toEqual([]);
    expect(run.code).toBe(ExitCode.auth);
    expect(run.ids).not.toContain('auth.rejected');
    expect(run.ids).toEqual(['auth.oauth2-only']);
  });

  // issue 13: "454 TLS currently unavailable" in reply to STARTTLS is a TLS set-up fault on the
  // server, which v0.1 called a busy server (temporary.failure, exit 9, "retry later").
  it('454 in reply to STARTTLS: a TLS fault on the server, not a temporary failure', async () => {
    const run = await mailcheck(lab, starttls('tlsBroken'), ['test', '--to', to('inbox')]);
    expect(lines(run, 'server').some((l) => l.startsWith('454'))).toBe(true);
    expect(run.json.result.failureClass).toBe('tls');
    expect(run.code).toBe(ExitCode.tls);
    expect(run.ids).not.toContain('temporary.failure');
  });
});
