import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeMatrix } from '../../src/probe/matrix.js';
import { recommend } from '../../src/probe/recommend.js';
import type { ProbeCell, ProbeMode, ProbeReport } from '../../src/report/probe.js';
import { probeVerdict } from '../../src/probe/verdict.js';
import { localhostCert } from '../fixtures/certs.js';
import { defaultPassword, defaultUser, startTestServer, type TestServer } from '../fixtures/smtp-server.js';
import { onCommands, startHostileServer } from '../fixtures/hostile-servers.js';
import { closedPort, startNeverAcceptingListener, startSilentListener, type Listener } from '../fixtures/unreachable.mjs';

/**
 * The probe against a loopback "host" with one port of each kind: implicit TLS, STARTTLS,
 * plain SMTP without STARTTLS, refused, open but silent, and a listener that never accepts (a
 * real connect timeout). Every assertion is about what a real server did to a real attempt.
 */

const names = { host: 'SMTP_HOST', port: 'SMTP_PORT', user: 'SMTP_USER', password: 'SMTP_PASSWORD', sender: 'SMTP_SENDER', secure: 'SMTP_SECURE' };
const v4 = { family: 4 as const, address: '127.0.0.1' };
const timeoutMs = 1000;

let implicit: TestServer;
let starttls: TestServer;
let plainOnly: TestServer;
let silent: Listener;
let neverAccepts: Listener;
let refused: number;
let ca: string;

beforeAll(async () => {
  ca = (await localhostCert()).cert;
  [implicit, starttls, plainOnly, silent, neverAccepts, refused] = await Promise.all([
    startTestServer({ secure: true }),
    startTestServer(),
    // hideSTARTTLS alone still answers the command: disable it, as a server without TLS would.
    startTestServer({ noStartTls: true, extra: { disabledCommands: ['STARTTLS'], allowInsecureAuth: true } }),
    startSilentListener(),
    startNeverAcceptingListener(),
    closedPort(),
  ]);
});
afterAll(async () => {
  await Promise.all([implicit, starttls, plainOnly, silent, neverAccepts].map((s) => s?.close()));
});

const cellOf = (cells: ProbeCell[], port: number, mode: ProbeMode, family = 4) => cells.find((c) => c.port === port && c.mode === mode && c.family === family)!;
const statuses = (cells: ProbeCell[], port: number) =>
  Object.fromEntries(cells.filter((c) => c.port === port && c.family === 4).map((c) => [c.mode, c.status]));

function probe(ports: number[], extra: { login?: { user: string; password: string }; addresses?: (typeof v4)[] | { family: 4 | 6; address: string }[] } = {}) {
  return probeMatrix({ host: '127.0.0.1', addresses: extra.addresses ?? [v4], ports, timeoutMs, ca, ...(extra.login ? { login: extra.login } : {}) });
}

function report(cells: ProbeCell[], ports: number[], configured?: { port: number; mode: ProbeMode }): ProbeReport {
  const recommendation = recommend({ cells, names, ...(configured ? { configured } : {}) });
  return { host: '127.0.0.1', addresses: [v4], ports, timeoutMs, cells, ...(configured ? { configured } : {}), ...(recommendation ? { recommendation } : {}) };
}

describe('probe matrix on a host with every kind of port', () => {
  let cells: ProbeCell[];
  let ports: number[];
  beforeAll(async () => {
    ports = [implicit.port, starttls.port, plainOnly.port, refused, silent.port, neverAccepts.port];
    cells = await probe(ports);
  }, 10_000);

  it('tries every port in every mode', () => {
    expect(cells).toHaveLength(ports.length * 3);
  });

  it('implicit TLS port: works in implicit TLS with the TLS version and AUTH mechanisms; the other modes are a proven mismatch', () => {
    expect(statuses(cells, implicit.port)).toEqual({ 'implicit-tls': 'works', starttls: 'tls-mismatch', plaintext: 'tls-mismatch' });
    const works = cellOf(cells, implicit.port, 'implicit-tls');
    expect(works.tls?.protocol).toMatch(/^TLSv1\.[23]$/);
    expect(works.tls?.authorized).toBe(true);
    expect(works.greeting).toMatch(/^220 /);
    expect(works.capabilities).toMatchObject({ authOffered: true, authMechanisms: ['PLAIN', 'LOGIN'] });
    expect(cellOf(cells, implicit.port, 'plaintext').detail).toMatch(/speaks implicit TLS/);
  });

  it('STARTTLS port: STARTTLS and plaintext work, implicit TLS is a mismatch (wrong version number)', () => {
    expect(statuses(cells, starttls.port)).toEqual({ 'implicit-tls': 'tls-mismatch', starttls: 'works', plaintext: 'works' });
    expect(cellOf(cells, starttls.port, 'implicit-tls').failure?.message).toMatch(/wrong version number/i);
    expect(cellOf(cells, starttls.port, 'starttls').tls?.authorized).toBe(true);
    // What the plain-text EHLO advertised (smtp-server lists AUTH, then refuses it before TLS).
    expect(cellOf(cells, starttls.port, 'plaintext').capabilities).toEqual({ authOffered: true, authMechanisms: ['PLAIN', 'LOGIN'], starttlsOffered: true });
    expect(cellOf(cells, starttls.port, 'plaintext').tls).toBeUndefined();
  });

  it('plain SMTP without STARTTLS: plaintext works, STARTTLS fails and says why', () => {
    expect(statuses(cells, plainOnly.port)).toMatchObject({ starttls: 'error', plaintext: 'works' });
    expect(cellOf(cells, plainOnly.port, 'starttls').detail).toBe('the server does not offer STARTTLS on this port');
    expect(cellOf(cells, plainOnly.port, 'plaintext').capabilities).toMatchObject({ authOffered: true, starttlsOffered: false });
  });

  it('refused, silent and never-accepting ports are told apart', () => {
    expect(statuses(cells, refused)).toEqual({ 'implicit-tls': 'refused', starttls: 'refused', plaintext: 'refused' });
    expect(statuses(cells, silent.port)).toEqual({ 'implicit-tls': 'timeout', starttls: 'timeout', plaintext: 'timeout' });
    expect(cellOf(cells, silent.port, 'plaintext').detail).toBe(`connected, but no greeting within ${timeoutMs} ms`);
    expect(cellOf(cells, silent.port, 'implicit-tls').detail).toBe(`no TLS handshake within ${timeoutMs} ms`);
    expect(statuses(cells, neverAccepts.port)).toEqual({ 'implicit-tls': 'timeout', starttls: 'timeout', plaintext: 'timeout' });
    for (const mode of ['implicit-tls', 'starttls', 'plaintext'] as const)
      expect(cellOf(cells, neverAccepts.port, mode).detail).toBe(`no connection within ${timeoutMs} ms`);
  });

  it('recommends implicit TLS over STARTTLS, and never plain text when TLS works', () => {
    const r = report(cells, ports);
    expect(r.recommendation).toMatchObject({ port: implicit.port, mode: 'implicit-tls', secure: 1, verified: true, families: [4] });
    expect(r.recommendation?.lines).toEqual([`SMTP_PORT=${implicit.port}`, 'SMTP_SECURE=1']);
    const { checks, diagnoses } = probeVerdict({ report: r, names, auth: false });
    expect(diagnoses).toEqual([]);
    expect(checks.find((c) => c.id === 'probe.reachable')).toMatchObject({ status: 'pass' });
  });

  it("keeps a configured combination that works, in the user's own variable names", () => {
    const configured = { port: starttls.port, mode: 'starttls' as const };
    const rec = recommend({ cells, names: { port: 'SMTP_PORT', secure: 'MAIL_SECURE' }, configured });
    expect(rec?.lines).toEqual([`SMTP_PORT=${starttls.port}`, 'MAIL_SECURE=0']);
  });

  it('SMTP_SECURE=0 on the implicit TLS port: the verdict proves the mismatch and names the fix', () => {
    const configured = { port: implicit.port, mode: 'starttls' as const };
    const { checks, diagnoses } = probeVerdict({ report: report(cells, ports, configured), names, auth: false });
    expect(checks.find((c) => c.id === 'probe.configured')).toMatchObject({ status: 'fail' });
    expect(diagnoses).toHaveLength(1);
    expect(diagnoses[0]).toMatchObject({
      id: 'tls.plaintext-on-implicit-port',
      class: 'tls',
      summary: `port ${implicit.port} speaks implicit TLS: set SMTP_SECURE=1`,
    });
    expect(diagnoses[0]!.causes[0]).toMatch(/^proven by trying/);
  });

  it('SMTP_SECURE=1 on the STARTTLS port: the reverse', () => {
    const configured = { port: starttls.port, mode: 'implicit-tls' as const };
    const { diagnoses } = probeVerdict({ report: report(cells, ports, configured), names, auth: false });
    expect(diagnoses[0]).toMatchObject({
      id: 'tls.implicit-on-starttls-port',
      class: 'tls',
      summary: `port ${starttls.port} speaks STARTTLS, not implicit TLS: set SMTP_SECURE=0`,
    });
  });

  it('a configured port that is refused gets the ordinary network diagnosis', () => {
    const { diagnoses } = probeVerdict({ report: report(cells, ports, { port: refused, mode: 'starttls' }), names, auth: false });
    expect(diagnoses.map((d) => d.id)).toEqual(['network.refused']);
  });
});

describe('probe recommendations when the choice is poor', () => {
  it('recommends plain text only when no TLS option works, and warns', async () => {
    const ports = [plainOnly.port, refused];
    const cells = await probe(ports);
    const r = report(cells, ports);
    expect(r.recommendation).toMatchObject({ port: plainOnly.port, mode: 'plaintext', secure: 0, verified: false });
    const { checks } = probeVerdict({ report: r, names, auth: false });
    expect(checks.find((c) => c.id === 'probe.recommendation')).toMatchObject({ status: 'warn' });
  });

  it('nothing answers: no recommendation, one network diagnosis that counts what happened', async () => {
    const ports = [refused, neverAccepts.port];
    const cells = await probe(ports);
    const r = report(cells, ports);
    expect(r.recommendation).toBeUndefined();
    const { diagnoses } = probeVerdict({ report: r, names, auth: false });
    expect(diagnoses).toHaveLength(1);
    expect(diagnoses[0]).toMatchObject({ id: 'probe.no-working-combination', class: 'network' });
    expect(diagnoses[0]!.causes.join('\n')).toMatch(/3 attempts got no connection[\s\S]*3 attempts were refused/);
  });
});

describe('IPv4 and IPv6 are probed separately', () => {
  it('a server on 127.0.0.1 only: works over IPv4, refused over IPv6, and the recommendation says so', async () => {
    const cells = await probe([implicit.port], { addresses: [v4, { family: 6, address: '::1' }] });
    expect(cellOf(cells, implicit.port, 'implicit-tls', 4).status).toBe('works');
    expect(cellOf(cells, implicit.port, 'implicit-tls', 6).status).toBe('refused');
    const rec = recommend({ cells, names });
    expect(rec?.families).toEqual([4]);
    const r: ProbeReport = { ...report(cells, [implicit.port], { port: implicit.port, mode: 'implicit-tls' }), addresses: [v4, { family: 6, address: '::1' }] };
    const configured = probeVerdict({ report: r, names, auth: false }).checks.find((c) => c.id === 'probe.configured');
    expect(configured).toMatchObject({ status: 'warn' });
    expect(configured?.detail).toMatch(/IPv4 only; IPv6: connection refused/);
  });
});

describe('--auth', () => {
  it('logs in over verified TLS only, never in plain text', async () => {
    const cells = await probe([implicit.port, starttls.port], { login: { user: defaultUser, password: defaultPassword } });
    expect(cellOf(cells, implicit.port, 'implicit-tls').login).toEqual({ status: 'ok' });
    expect(cellOf(cells, starttls.port, 'starttls').login).toEqual({ status: 'ok' });
    expect(cellOf(cells, starttls.port, 'plaintext').login).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/unencrypted/) });
    const { checks } = probeVerdict({ report: report(cells, [implicit.port, starttls.port]), names, auth: true });
    expect(checks.find((c) => c.id === 'probe.auth')).toMatchObject({ status: 'pass' });
    // Two logins over TLS; none offered the password in the clear.
    expect(implicit.log.logins.length + starttls.log.logins.length).toBe(2);
  });

  it('a wrong password: rejected, diagnosed as an authentication failure, and the password appears nowhere', async () => {
    const password = 'wrong-Pa55word-xyz';
    const ports = [implicit.port, plainOnly.port];
    const cells = await probe(ports, { login: { user: defaultUser, password } });
    const login = cellOf(cells, implicit.port, 'implicit-tls').login;
    expect(login?.status).toBe('failed');
    const r = report(cells, ports);
    // A rejected login over TLS still beats plain text, where the password is never even tried.
    expect(r.recommendation).toMatchObject({ port: implicit.port, mode: 'implicit-tls' });
    const { checks, diagnoses } = probeVerdict({ report: r, names, auth: true, user: defaultUser });
    expect(checks.find((c) => c.id === 'probe.auth')).toMatchObject({ status: 'fail' });
    expect(diagnoses.map((d) => d.class)).toEqual(['auth']);
    const everything = JSON.stringify({ cells, checks, diagnoses });
    expect(everything).not.toContain(password);
    expect(everything).not.toContain(Buffer.from(password).toString('base64').slice(0, 12));
  });
});

describe('--auth with a password too short to scrub', () => {
  it("the server's text is withheld in the report, whose cells carry only the schema's fields", async () => {
    const cells = await probe([implicit.port], { login: { user: defaultUser, password: 'abc' } });
    const login = cellOf(cells, implicit.port, 'implicit-tls').login;
    expect(login).toMatchObject({ status: 'failed', failure: { stage: 'auth', responseCode: 535, response: '535 ‹text withheld›' } });
    // The words the rules match on stay inside the probe (SmtpFailure.withheldWords); the report model owns ProbeFailure.
    expect(JSON.stringify(cells)).not.toContain('withheldWords');
    expect(JSON.stringify(cells)).not.toContain('credentials invalid');
  });
});

describe('a server that hangs up on a client talking first', () => {
  // Postfix's postscreen (and many ISP MXs) greet after a pause and drop a client that sends
  // anything before the greeting: a TLS ClientHello counts. The implicit TLS attempt then ends
  // in "socket disconnected before secure TLS connection was established" (ECONNRESET), not in
  // "Connection closed unexpectedly", and must still be read as the server having hung up.
  it('implicit TLS there is a proven mismatch, not an unexplained error, because plain text greets', async () => {
    const server = await startHostileServer((socket) => {
      let greeted = false;
      const greet = setTimeout(() => {
        greeted = true;
        socket.write('220 pregreet.test ESMTP\r\n');
      }, 150);
      socket.once('data', () => {
        if (!greeted) {
          clearTimeout(greet);
          socket.destroy();
        }
      });
      onCommands(socket, (line) => socket.write(/^(EHLO|HELO)/i.test(line) ? '250 pregreet.test\r\n' : '502 not here\r\n'));
    });
    try {
      const cells = await probe([server.port]);
      const implicitCell = cellOf(cells, server.port, 'implicit-tls');
      expect(implicitCell.failure?.originalCode ?? implicitCell.failure?.code).toBe('ECONNRESET');
      expect(statuses(cells, server.port)).toMatchObject({ 'implicit-tls': 'tls-mismatch', plaintext: 'works' });
      expect(implicitCell.detail).toMatch(/greets in plain text here: this port does not speak implicit TLS/);
    } finally {
      await server.close();
    }
  });
});
