import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { runSmtpCheck } from '../../src/checks/smtp.js';
import type { SmtpStage } from '../../src/diagnose/types.js';
import { ExitCode, type FailureClass } from '../../src/exit-codes.js';
import { TranscriptRecorder } from '../../src/report/transcript.js';
import { localhostCert } from '../fixtures/certs.js';
import { runCli, stackTrace } from '../fixtures/cli.js';
import { hostile, startHostileServer, type HostileName } from '../fixtures/hostile-servers.js';
import { canonicalNames } from '../fixtures/smtp-server.js';

/**
 * Servers that misbehave on purpose. Whatever they do, the walk must end on time with a
 * diagnosis and its exit code, keep only a bounded amount of what they sent, never let an escape
 * sequence through to the terminal, and hang up.
 */

interface HostileCase {
  name: HostileName;
  /** Bound for each step. Drip cases need more than their 1 s between bytes, or they are merely silent. */
  timeoutMs: number;
  stage: SmtpStage;
  class: FailureClass;
  /** The diagnosis id, where the rules already have a specific one for this failure. */
  id?: RegExp;
  /** Implicit TLS: the walk insists on TLS before AUTH, so mid-AUTH and mid-DATA need it. */
  tls?: boolean;
}

const cases: HostileCase[] = [
  { name: 'hugeGreeting', timeoutMs: 1000, stage: 'greeting', class: 'protocol', id: /^protocol\./ },
  { name: 'endlessMultiline', timeoutMs: 1000, stage: 'ehlo', class: 'protocol', id: /^protocol\./ },
  { name: 'binaryGarbage', timeoutMs: 1000, stage: 'greeting', class: 'protocol', id: /^protocol\./ },
  { name: 'terminalEscapes', timeoutMs: 1000, stage: 'starttls', class: 'tls', id: /^tls\./ },
  { name: 'drip', timeoutMs: 2500, stage: 'greeting', class: 'network', id: /^greeting\.timeout$/ },
  // Diagnosed as `unknown` until a rule reads the walk's STEP_TIMEOUT (asked for: network.stalled).
  { name: 'dripAfterGreeting', timeoutMs: 2500, stage: 'ehlo', class: 'network' },
  { name: 'closeMidReply', timeoutMs: 1000, stage: 'greeting', class: 'network', id: /^network\.closed$/ },
  { name: 'closeMidAuth', timeoutMs: 1000, stage: 'auth', class: 'network', id: /^network\.closed$/, tls: true },
  { name: 'authLoop', timeoutMs: 1000, stage: 'auth', class: 'protocol', id: /^protocol\./, tls: true },
  { name: 'closeMidData', timeoutMs: 1000, stage: 'data', class: 'network', id: /^network\.closed$/, tls: true },
  { name: 'starttlsGarbage', timeoutMs: 1000, stage: 'starttls', class: 'tls', id: /^tls\.handshake$/ },
  { name: 'greetTwice', timeoutMs: 1000, stage: 'greeting', class: 'protocol', id: /^protocol\./ },
  { name: 'outOfOrder', timeoutMs: 1000, stage: 'ehlo', class: 'protocol', id: /^protocol\./ },
  // A reply nobody asked for is caught when it arrives, right behind the greeting (walk.ts tapReplies).
  { name: 'unsolicited', timeoutMs: 1000, stage: 'greeting', class: 'protocol', id: /^protocol\./ },
];

/**
 * What a terminal would obey or a reader could not see: controls other than the newline (C0 with
 * ESC and BEL, DEL, C1 with the one-byte CSI), invisible format characters (bidi, zero-width, tags).
 */
const terminalControl = /(?!\n)[\p{Cc}\p{Cf}\u2028\u2029]/u;

const password = 'hostile-pw-Zx81';
const user = 'mailer';

async function walkAgainst(c: HostileCase, port: number) {
  const recorder = new TranscriptRecorder();
  const started = performance.now();
  const outcome = await runSmtpCheck({
    settings: {
      host: '127.0.0.1',
      port,
      secure: c.tls ?? false,
      user,
      userShown: JSON.stringify(user),
      userIsSecret: false,
      password,
      senderAddress: 'sender@example.com',
      senderHeader: 'sender@example.com',
      names: canonicalNames,
    },
    recipient: 'rcpt@example.com',
    deliver: true,
    timeoutMs: c.timeoutMs,
    ca: (await localhostCert()).cert,
    recorder,
  });
  return { ...outcome, recorder, ms: performance.now() - started };
}

describe.concurrent('hostile servers, walked directly', () => {
  for (const c of cases) {
    it(`${c.name}: ends on time with a ${c.class} diagnosis at ${c.stage}, bounded and terminal-safe`, async ({ expect }) => {
      const server = await startHostileServer(hostile[c.name], { tls: c.tls ?? false });
      try {
        const run = await walkAgainst(c, server.port);
        const failure = run.walk.failure;
        const context = JSON.stringify(failure);

        // On time: one step's bound plus the watchdog's grace, never nodemailer's 30 s defaults.
        expect(run.ms, context).toBeLessThan(c.timeoutMs + 1000);
        expect(run.walk.ok).toBe(false);
        expect(failure?.stage, context).toBe(c.stage);
        expect(run.diagnoses, context).toHaveLength(1);
        const diagnosis = run.diagnoses[0]!;
        expect(diagnosis.class, context).toBe(c.class);
        if (c.id) expect(diagnosis.id, context).toMatch(c.id);

        // Bounded memory: what the server sent is kept in small, clipped pieces.
        const transcript = run.recorder.lines;
        expect(transcript.length).toBeLessThanOrEqual(500);
        expect(JSON.stringify(transcript).length).toBeLessThan(64 * 1024);
        for (const line of transcript) expect(line.text.length).toBeLessThan(500);
        expect(failure!.message.length + (failure!.response?.length ?? 0)).toBeLessThan(16 * 1024);

        // Terminal-safe: every text that can be printed carries no raw control character.
        const printable = [
          ...transcript.map((l) => l.text),
          failure!.message,
          failure!.response ?? '',
          diagnosis.summary,
          diagnosis.serverSaid ?? '',
          ...diagnosis.causes,
          ...diagnosis.fixes,
          ...run.checks.map((check) => check.detail ?? ''),
        ];
        for (const text of printable) expect(text).not.toMatch(terminalControl);

        // And the client hung up: no socket is left for the server to keep flooding.
        await expect.poll(() => server.openConnections(), { timeout: 2000 }).toBe(0);
      } finally {
        await server.close();
      }
    });
  }

  it('escape sequences are shown neutralised, not dropped: the reader still sees what the server sent', async ({ expect }) => {
    const server = await startHostileServer(hostile.terminalEscapes);
    try {
      const run = await walkAgainst(cases.find((c) => c.name === 'terminalEscapes')!, server.port);
      const greeting = run.recorder.lines.find((l) => l.dir === 'server')!.text;
      expect(greeting).toContain('\\x1B[31m');
      expect(greeting).toContain('\\x1B]0;pwned-title\\x07');
      expect(greeting).toContain('\\x9B31m');
      expect(greeting).toContain('\\u202Egnp.exe');
      expect(greeting).toContain('ok\\u{E0068}\\u{E0069}');
      expect(run.diagnoses[0]!.serverSaid).toContain('\\x1B[2J');
    } finally {
      await server.close();
    }
  });
});

describe.concurrent('hostile servers, through the built binary', () => {
  let dir: string;
  let caFile: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mailcheck-hostile-'));
    caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, (await localhostCert()).cert);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // doctor --send walks the same session as test; probe tries the port its own way (every mode at
  // once, its own verdict), so for it only the promises every command keeps are checked.
  const commands = {
    test: () => ['test', '--to', 'rcpt@example.com'],
    doctor: () => ['doctor', '--send', '--to', 'rcpt@example.com'],
    probe: (port: number) => ['probe', '127.0.0.1', '--ports', String(port)],
  };
  const documentedExits = new Set<number>(Object.values(ExitCode).filter((code) => code !== ExitCode.internal));

  for (const c of cases) {
    for (const [command, args] of Object.entries(commands)) {
      const exit = command === 'probe' ? 'a documented exit' : `exit ${ExitCode[c.class]}`;
      it(`${c.name}: mailcheck ${command} ends on time with ${exit}, no stack trace, nothing a terminal would obey`, async ({ expect }) => {
        const server = await startHostileServer(hostile[c.name], { tls: c.tls ?? false });
        try {
          const run = await runCli([...args(server.port), '--timeout', `${c.timeoutMs}ms`], {
            cwd: dir,
            env: {
              SMTP_HOST: '127.0.0.1',
              SMTP_PORT: String(server.port),
              SMTP_USER: user,
              SMTP_PASSWORD: password,
              SMTP_SENDER: 'sender@example.com',
              SMTP_SECURE: c.tls ? '1' : '0',
              NODE_EXTRA_CA_CERTS: caFile,
            },
          });
          const output = run.stdout + run.stderr;
          expect(run.ms).toBeLessThan(c.timeoutMs + 3000);
          expect(output).not.toMatch(terminalControl);
          expect(output).not.toMatch(stackTrace);
          expect(output).not.toContain(password);
          expect(documentedExits.has(run.code!), output).toBe(true);
          if (command === 'probe') return;
          expect(run.code, output).toBe(ExitCode[c.class]);
          // The verdict is the last line, so a reader of a scrolled-away transcript still sees it.
          expect(run.stdout.trim().split('\n').at(-1)).toContain(`(exit ${ExitCode[c.class]})`);
        } finally {
          await server.close();
        }
      });
    }
  }
});
