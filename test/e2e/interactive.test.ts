/**
 * The built binary on a real pseudo-terminal (util-linux `script` allocates one), typed at the
 * way a person would: wait for the question, press keys. Checks the issue's "done when": a new
 * user reaches a checked, working .env through Resend's SMTP preset, and a wrong SMTP_SECURE is
 * named, fixed on request in that one line, and passes when re-run.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/exit-codes.js';
import { localhostCert } from '../fixtures/certs.js';
import { startTestServer, type TestServer } from '../fixtures/smtp-server.js';
import { ensureBuilt } from './cli-harness.js';

const bin = join(resolve(dirname(fileURLToPath(import.meta.url)), '../..'), 'bin/mailcheck.cjs');
const hasScript = spawnSync('script', ['--version']).status === 0;

const keys = { enter: '\r', up: '\u001b[A', down: '\u001b[B', ctrlC: '\u0003' } as const;

/** One run of the binary on a pseudo-terminal: what it showed, and a way to answer. */
class Terminal {
  private raw = '';
  private seen = 0;
  readonly exit: Promise<number | null>;
  private readonly child: ChildProcess;

  constructor(args: string[], cwd: string, env: Record<string, string>, columns = 120) {
    const quoted = [process.execPath, bin, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    // A sized terminal, so the prompts lay out as they would in a real window. HOME is the project
    // directory, whose files the tests count, so the compile cache (bin/load-dist.cjs, which would
    // write ~/.cache) is off.
    this.child = spawn('script', ['-q', '-e', '-c', `stty cols ${columns} rows 40; exec ${quoted}`, '/dev/null'], {
      cwd,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd, NODE_DISABLE_COMPILE_CACHE: '1', LANG: 'C.UTF-8', TERM: 'xterm', NO_COLOR: '1', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (this.raw += chunk));
    const killer = setTimeout(() => this.child.kill('SIGKILL'), 25_000);
    this.exit = new Promise((done) =>
      this.child.on('close', (code) => {
        clearTimeout(killer);
        done(code);
      }),
    );
  }

  /** Everything shown so far, without escape sequences. */
  get screen(): string {
    return stripVTControlCharacters(this.raw);
  }

  /** Waits until `pattern` appears after what earlier waits consumed. */
  async waitFor(pattern: RegExp, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rest = this.screen.slice(this.seen);
      const match = pattern.exec(rest);
      if (match) {
        this.seen += match.index + match[0].length;
        return;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; the screen so far:\n${this.screen}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  press(...sequence: string[]): void {
    this.child.stdin!.write(sequence.join(''));
  }

  async finish(): Promise<number | null> {
    const code = await this.exit;
    this.child.stdin!.end();
    return code;
  }
}

const dirs: string[] = [];
const servers: TestServer[] = [];

async function workDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mailcheck-pty-'));
  dirs.push(dir);
  return dir;
}

/** Trust the loopback server's certificate the way a user would trust a private CA. */
async function trust(dir: string): Promise<Record<string, string>> {
  const file = join(dir, '..', `${dir.split('/').pop()}-ca.pem`);
  await writeFile(file, (await localhostCert()).cert);
  dirs.push(file);
  return { NODE_EXTRA_CA_CERTS: file };
}

beforeAll(ensureBuilt, 60_000);
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!hasScript)('on a terminal', () => {
  it('a new user chooses Resend (SMTP relay), types the key, and gets a checked, working .env', async () => {
    const key = 're_e2eTestKey_4f7a9c2b';
    const server = await startTestServer({ secure: true, user: 'resend', password: key });
    servers.push(server);
    const cwd = await workDir();
    // Resend's relay is smtp.resend.com:465; the test points the preset at a loopback relay instead.
    const term = new Terminal(['init', '--host', '127.0.0.1', '--port', String(server.port)], cwd, await trust(cwd));
    await term.waitFor(/Which provider sends your email\?/);
    term.press(keys.down, keys.enter);
    await term.waitFor(/SMTP_USER=resend\s+Resend's username is literally "resend"/);
    await term.waitFor(/Resend API key \(re_\.\.\.\)/);
    term.press(key, keys.enter);
    await term.waitFor(/Sender address \(From\), on a domain verified in Resend/);
    term.press('app@example.com', keys.enter);
    await term.waitFor(/Send the test message to which address\?/);
    term.press('delivered@resend.dev', keys.enter);
    await term.waitFor(/the server accepted the test message/);
    await term.waitFor(/\+SMTP_PASSWORD=re_…\(22 chars\)[\s\S]*Write these values to \.env\?/);
    term.press('y', keys.enter);
    await term.waitFor(/Wrote \.env \(new, readable by you only\)/);
    expect(await term.finish()).toBe(ExitCode.ok);

    expect(await readFile(join(cwd, '.env'), 'utf8')).toBe(
      `SMTP_HOST=127.0.0.1\nSMTP_PORT=${server.port}\nSMTP_SECURE=1\nSMTP_USER=resend\nSMTP_PASSWORD=${key}\nSMTP_SENDER=app@example.com\n`,
    );
    expect((await stat(join(cwd, '.env'))).mode & 0o777).toBe(0o600);
    expect(server.log.logins).toEqual([{ username: 'resend', password: key, method: 'PLAIN' }]);
    expect(term.screen).not.toContain(key);
  });

  it('with a wrong SMTP_SECURE, names the fix; accepted, the .env changes only in that line, and the re-run passes', async () => {
    const server = await startTestServer({ user: 'user', password: 'secret' });
    servers.push(server);
    const cwd = await workDir();
    const original = [
      '# mail',
      'SMTP_HOST=127.0.0.1',
      `SMTP_PORT=${server.port}`,
      'SMTP_SECURE=1',
      'SMTP_USER=user',
      'SMTP_PASSWORD=secret',
      'SMTP_SENDER=app@example.com',
      '',
    ].join('\n');
    await writeFile(join(cwd, '.env'), original, { mode: 0o640 });
    const term = new Terminal(['test', '--to', 'you@example.com'], cwd, await trust(cwd));
    await term.waitFor(/diagnosis: port \d+ speaks STARTTLS, not implicit TLS: set SMTP_SECURE=0/);
    await term.waitFor(/mailcheck can make this change: set SMTP_SECURE=0 \(\.env line 4\)/);
    await term.waitFor(/-SMTP_SECURE=1\s+\+SMTP_SECURE=0[\s\S]*Apply this change to \.env\?/);
    term.press('y', keys.enter);
    await term.waitFor(/Wrote \.env \(the previous version is in \.env\.bak\)/);
    await term.waitFor(/Run the check again with the new value\?/);
    term.press(keys.enter);
    await term.waitFor(/the server accepted the test message \(exit 0\)/);
    expect(await term.finish()).toBe(ExitCode.ok);

    expect(await readFile(join(cwd, '.env'), 'utf8')).toBe(original.replace('SMTP_SECURE=1', 'SMTP_SECURE=0'));
    expect(await readFile(join(cwd, '.env.bak'), 'utf8')).toBe(original);
    expect((await stat(join(cwd, '.env'))).mode & 0o777).toBe(0o640);
    expect((await readdir(cwd)).sort()).toEqual(['.env', '.env.bak']);
  });

  it('`mailcheck test` with nothing configured starts the guided setup and ends with a working .env', async () => {
    const server = await startTestServer({ user: 'user', password: 'secret' });
    servers.push(server);
    const cwd = await workDir();
    const term = new Terminal(['test', '--to', 'you@example.com'], cwd, await trust(cwd));
    await term.waitFor(/email is disabled[\s\S]*No email provider is configured yet[\s\S]*Which provider sends your email\?/);
    term.press(keys.up, keys.enter); // the list wraps: up from the first is the last, "Another SMTP server"
    await term.waitFor(/SMTP server host name/);
    term.press('127.0.0.1', keys.enter);
    await term.waitFor(/Port \(587 for STARTTLS, 465 for implicit TLS\)/);
    term.press(String(server.port), keys.enter);
    await term.waitFor(/TLS mode \(SMTP_SECURE\)/);
    term.press(keys.enter);
    await term.waitFor(/SMTP username/);
    term.press('user', keys.enter);
    await term.waitFor(/SMTP password/);
    term.press('secret', keys.enter);
    await term.waitFor(/Sender address \(From\)/);
    term.press('App <app@example.com>', keys.enter);
    await term.waitFor(/Write these values to \.env\?/);
    term.press('y', keys.enter);
    expect(await term.finish()).toBe(ExitCode.ok);
    expect(await readFile(join(cwd, '.env'), 'utf8')).toBe(
      `SMTP_HOST=127.0.0.1\nSMTP_PORT=${server.port}\nSMTP_SECURE=0\nSMTP_USER=user\nSMTP_PASSWORD=secret\nSMTP_SENDER='App <app@example.com>'\n`,
    );
    // Quoted because a shell sourcing the file would read `<` as a redirection; and it says so.
    expect(term.screen).toMatch(/note: SMTP_SENDER is written in single quotes/);
    expect(server.log.messages).toHaveLength(1);
  });

  it("the human report wraps at word boundaries to the terminal's width, continuing under the text", async () => {
    const cwd = await workDir();
    const term = new Terminal(['doctor', '--no-dns', '--no-input'], cwd, {}, 60);
    expect(await term.finish()).toBe(ExitCode.config);
    const lines = term.screen.split(/\r?\n/);
    expect(
      lines.every((line) => line.length <= 60),
      term.screen,
    ).toBe(true);
    const fix = lines.findIndex((line) => line.startsWith('    fix: set SMTP_HOST'));
    expect(fix, term.screen).toBeGreaterThan(-1);
    // The fix goes on under its own text, one word at a time: nothing cut inside a word.
    expect(lines[fix + 1]).toMatch(/^ {9}\S/);
    const joined = lines
      .slice(fix, fix + 8)
      .map((l) => l.trim())
      .join(' ');
    expect(joined).toContain('`mailcheck init` sets them up step by step, and `mailcheck test --sandbox` shows a working session first');
  });

  it('Ctrl-C at the first question exits 130 and creates nothing', async () => {
    const cwd = await workDir();
    const term = new Terminal(['init'], cwd, {});
    await term.waitFor(/Which provider sends your email\?/);
    term.press(keys.ctrlC);
    expect(await term.finish()).toBe(ExitCode.interrupted);
    expect(await readdir(cwd)).toEqual([]);
  });

  it.each([
    ['CI is set', ['test'], { CI: 'true' }],
    ['--no-input is given', ['--no-input', 'test'], {}],
  ])('never prompts when %s, even on a terminal: exit 3 for missing configuration', async (_why, args, env) => {
    const cwd = await workDir();
    const term = new Terminal(args, cwd, env);
    expect(await term.finish()).toBe(ExitCode.config);
    expect(term.screen).toContain('email is disabled');
    expect(term.screen).not.toContain('Which provider');
    expect(await readdir(cwd)).toEqual([]);
  });

  it('init without a terminal to ask on names the missing flags (exit 2)', async () => {
    const cwd = await workDir();
    const term = new Terminal(['init', '--no-input'], cwd, {});
    expect(await term.finish()).toBe(ExitCode.usage);
    expect(term.screen).toMatch(/no terminal to ask on, and these answers are missing: --provider/);
  });
});
