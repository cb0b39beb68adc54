import { afterEach, describe, expect, it } from 'vitest';
import { networkCheckFor, type NetworkFindings } from '../../src/checks/network.js';
import { loadConfig, type LoadedConfig } from '../../src/config/load.js';
import { ExitCode } from '../../src/exit-codes.js';
import { decideOutcome } from '../../src/report/model.js';
import { TranscriptRecorder } from '../../src/report/transcript.js';
import { localhostCert } from '../fixtures/certs.js';
import { defaultUser, startTestServer, type TestServer, type TestServerOptions } from '../fixtures/smtp-server.js';

/**
 * doctor's logic against real smtp-server instances on loopback: lint gates the network, the walk
 * stops before DATA (the server's own log proves it), and each failure lands on its exit code.
 */

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** Distinctive, so finding it in any output cannot be a coincidence. */
const password = 'Qv7-doctor-pass-w0rd';

async function server(options: TestServerOptions = {}): Promise<TestServer> {
  const s = await startTestServer({ password, ...options });
  servers.push(s);
  return s;
}

const sender = 'app@example.com';

function configFor(port: number, over: Record<string, string> = {}): LoadedConfig {
  return loadConfig({
    envFiles: [],
    env: {
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(port),
      SMTP_USER: defaultUser,
      SMTP_PASSWORD: password,
      SMTP_SENDER: `Example App <${sender}>`,
      SMTP_SECURE: '0',
      ...over,
    },
  });
}

interface Run {
  findings: NetworkFindings;
  transcript: string[];
  exitCode: number;
  strictExitCode: number;
}

async function doctor(loaded: LoadedConfig, opts: { send?: boolean; recipient?: string } = {}): Promise<Run> {
  const check = networkCheckFor(loaded, opts.send ?? false);
  expect(check, 'lint passed, so a network check runs').toBeDefined();
  const recorder = new TranscriptRecorder();
  const findings = await check!.run({
    send: opts.send ?? false,
    timeoutMs: 3000,
    recorder,
    ca: (await localhostCert()).cert,
    ...(opts.recipient ? { recipient: opts.recipient } : {}),
  });
  const parts = { lint: loaded.lint, checks: findings.checks, diagnoses: findings.diagnoses };
  return {
    findings,
    transcript: recorder.lines.map((l) => l.text),
    exitCode: decideOutcome(parts, false).exitCode,
    strictExitCode: decideOutcome(parts, true).exitCode,
  };
}

const statusOf = (run: Run, id: string) => run.findings.checks.find((c) => c.id === id)?.status;

describe('doctor against loopback SMTP servers', () => {
  it('a correct configuration: every check passes, RCPT probes the sender, no DATA reaches the server', async () => {
    const s = await server();
    const run = await doctor(configFor(s.port));
    expect(run.exitCode).toBe(ExitCode.ok);
    expect(run.findings.diagnoses).toEqual([]);
    expect(run.findings.auth).toEqual({ advertised: true, performed: true, mechanisms: ['PLAIN', 'LOGIN'] });
    expect(run.findings.tls?.authorized).toBe(true);
    expect(run.findings.checks.map((c) => [c.id, c.status])).toEqual([
      ['smtp.connect', 'pass'],
      ['smtp.tls', 'pass'],
      ['smtp.greeting', 'pass'],
      ['smtp.auth', 'pass'],
      ['smtp.sender', 'pass'],
      ['smtp.recipient', 'pass'],
      ['smtp.message', 'skip'],
    ]);
    expect(run.transcript).toContain(`RCPT TO:<${sender}>`);
    expect(run.findings.message).toBeUndefined();
    expect(s.log.commands.slice(0, 7)).toEqual(['EHLO', 'STARTTLS', 'EHLO', 'AUTH', 'MAIL', 'RCPT', 'RSET']);
    expect(s.log.commands).not.toContain('DATA');
    expect(s.log.messages).toHaveLength(0);
  });

  it('--to is probed with RCPT and still nothing is sent', async () => {
    const s = await server();
    const run = await doctor(configFor(s.port), { recipient: 'someone@example.org' });
    expect(run.exitCode).toBe(ExitCode.ok);
    expect(run.transcript).toContain('RCPT TO:<someone@example.org>');
    expect(s.log.commands).not.toContain('DATA');
  });

  it('--send sends exactly one message and reports the server reply', async () => {
    const s = await server();
    const run = await doctor(configFor(s.port), { send: true });
    expect(run.exitCode).toBe(ExitCode.ok);
    expect(s.log.commands.filter((c) => c === 'DATA')).toHaveLength(1);
    expect(s.log.messages).toHaveLength(1);
    expect(statusOf(run, 'smtp.message')).toBe('pass');
    expect(run.findings.message?.id).toMatch(/^<mailcheck\./);
    expect(run.findings.message?.serverReply).toMatch(/^250/);
  });

  it('implicit TLS (SMTP_SECURE=1) walks the same way', async () => {
    const s = await server({ secure: true });
    const run = await doctor(configFor(s.port, { SMTP_SECURE: '1' }));
    expect(run.exitCode).toBe(ExitCode.ok);
    expect(s.log.commands.slice(0, 5)).toEqual(['EHLO', 'AUTH', 'MAIL', 'RCPT', 'RSET']);
    expect(s.log.commands).not.toContain('DATA');
  });

  it('a wrong password is an authentication failure (exit 6) and stops before MAIL', async () => {
    const s = await server();
    const run = await doctor(configFor(s.port, { SMTP_PASSWORD: 'wrong-password' }));
    expect(run.exitCode).toBe(ExitCode.auth);
    expect(run.findings.diagnoses[0]).toMatchObject({ class: 'auth' });
    expect(run.findings.auth).toEqual({ advertised: true, performed: false, mechanisms: ['PLAIN', 'LOGIN'] });
    expect(statusOf(run, 'smtp.auth')).toBe('fail');
    expect(s.log.commands).not.toContain('MAIL');
  });

  it('a server that does not advertise AUTH does not make a wrong password look right', async () => {
    const s = await server({ noAuth: true });
    const run = await doctor(configFor(s.port, { SMTP_PASSWORD: 'wrong-password' }));
    expect(run.findings.auth).toEqual({ advertised: false, performed: false, mechanisms: [] });
    const auth = run.findings.checks.find((c) => c.id === 'smtp.auth')!;
    expect(auth.status).toBe('warn');
    expect(auth.detail).toMatch(/did not advertise AUTH.*not checked/);
    expect(s.log.logins).toEqual([]);
    // A warning: passes by default, fails under --strict.
    expect(run.exitCode).toBe(ExitCode.ok);
    expect(run.strictExitCode).toBe(ExitCode.warnings);
    expect(s.log.commands).not.toContain('DATA');
  });

  it('a server that does not offer STARTTLS is a TLS failure (exit 5): the password is never sent in the clear', async () => {
    // Not just hidden from EHLO: the command itself is refused, as on a plain relay.
    const s = await server({ noStartTls: true, extra: { disabledCommands: ['STARTTLS'] } });
    const run = await doctor(configFor(s.port));
    expect(run.exitCode).toBe(ExitCode.tls);
    const [diagnosis] = run.findings.diagnoses;
    expect(diagnosis).toMatchObject({ id: 'tls.starttls-unavailable', class: 'tls' });
    expect(diagnosis!.summary).toMatch(
      /does not offer STARTTLS, so the connection would stay unencrypted and SMTP_PASSWORD would cross the network in the clear/,
    );
    expect(diagnosis!.fixes.join('\n')).toMatch(/SMTP_PORT=465 with SMTP_SECURE=1/);
    // An unadvertised command is never sent (issue 13): EHLO, and nothing after it.
    expect(s.log.commands).toEqual(['EHLO']);
    expect(s.log.logins).toEqual([]);
    expect(run.findings.auth).toBeUndefined();
  });

  it.each([
    ['sender rejected at MAIL', { rejectMail: { code: 550, message: 'Sender address not verified' } }, ExitCode.envelope, 'smtp.sender'],
    ['recipient rejected at RCPT', { rejectRcpt: { code: 550, message: 'No such user' } }, ExitCode.envelope, 'smtp.recipient'],
    ['421 instead of a greeting', { rejectConnect: { code: 421, message: 'Too many connections' } }, ExitCode.temporary, 'smtp.greeting'],
  ] as const)('%s -> exit %i, and still no DATA', async (_name, options, exitCode, failedCheck) => {
    const s = await server(options);
    const run = await doctor(configFor(s.port));
    expect(run.exitCode).toBe(exitCode);
    expect(statusOf(run, failedCheck)).toBe('fail');
    expect(run.findings.diagnoses).toHaveLength(1);
    expect(s.log.commands).not.toContain('DATA');
    expect(s.log.messages).toHaveLength(0);
  });

  it('--send with a message rejected after DATA is exit 8', async () => {
    const s = await server({ rejectData: { code: 554, message: 'Message rejected: spam' } });
    const run = await doctor(configFor(s.port), { send: true });
    expect(run.exitCode).toBe(ExitCode.message);
    expect(statusOf(run, 'smtp.message')).toBe('fail');
  });

  it('connection refused is a network failure (exit 4)', async () => {
    const s = await startTestServer();
    const { port } = s;
    await s.close();
    const run = await doctor(configFor(port));
    expect(run.exitCode).toBe(ExitCode.network);
    expect(statusOf(run, 'smtp.connect')).toBe('fail');
    expect(run.findings.auth).toBeUndefined();
  });

  it('a configuration failure means no network check at all', async () => {
    const s = await server();
    const loaded = configFor(s.port, { SMTP_SECURE: 'true' });
    expect(networkCheckFor(loaded, false)).toBeUndefined();
    expect(decideOutcome({ lint: loaded.lint, checks: [], diagnoses: [] }, false).exitCode).toBe(ExitCode.config);
  });

  it('the password appears nowhere in the findings or the transcript', async () => {
    const s = await server();
    const run = await doctor(configFor(s.port), { send: true });
    const everything = JSON.stringify(run);
    expect(s.log.logins).toEqual([{ username: defaultUser, password, method: 'PLAIN' }]);
    expect(everything).not.toContain(password);
    expect(everything).not.toContain(Buffer.from(password).toString('base64').slice(0, 12));
    expect(everything).not.toContain(Buffer.from(`\u0000${defaultUser}\u0000${password}`).toString('base64'));
  });
});
