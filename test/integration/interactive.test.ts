/**
 * Guided setup and fix offers, driven through the real @inquirer prompts (@inquirer/testing renders
 * each one in-process and types into it), checked live against real SMTP servers on loopback, and
 * judged by the bytes of the .env file they leave behind.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { confirm, input, password, select } from '@inquirer/prompts';
import { render } from '@inquirer/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runSmtpCheck } from '../../src/checks/smtp.js';
import { runInit, type InitDeps, type InitOptions } from '../../src/commands/init.js';
import { loadConfig, type LoadedConfig } from '../../src/config/load.js';
import { toSmtpSettings } from '../../src/config/smtp-settings.js';
import { UserError } from '../../src/errors.js';
import { ExitCode } from '../../src/exit-codes.js';
import { offerFix, planFixes } from '../../src/interactive/fix-offer.js';
import type { Prompter } from '../../src/interactive/prompter.js';
import { Output } from '../../src/render/output.js';
import { TerminalView } from '../../src/render/terminal.js';
import { TranscriptRecorder } from '../../src/report/transcript.js';
import { localhostCert } from '../fixtures/certs.js';
import { startTestServer, type TestServer } from '../fixtures/smtp-server.js';

// --- a person at the keyboard, as a script ---------------------------------------------------

type Step = { expect: RegExp; type: string } | { expect: RegExp; choose: string } | { expect: RegExp; answer: boolean } | { expect: RegExp; interrupt: true };

interface ScriptedPrompter extends Prompter {
  /** Every screen shown, as the person saw it (ANSI stripped). */
  screens: string[];
  remaining(): number;
}

/** Answers each question with the next step, through the real prompt and real keypresses. */
function scripted(steps: Step[]): ScriptedPrompter {
  const queue = [...steps];
  const screens: string[] = [];
  const next = (message: string): Step => {
    const step = queue.shift();
    if (!step) throw new Error(`unexpected question: ${message}`);
    expect(message).toMatch(step.expect);
    return step;
  };
  type Driven = Awaited<ReturnType<typeof render>>;
  const finish = async <T>(step: Step, rendered: Driven, typed?: string): Promise<T> => {
    screens.push(rendered.getScreen());
    if ('interrupt' in step) rendered.events.keypress({ name: 'c', ctrl: true });
    else {
      if (typed !== undefined) rendered.events.type(typed);
      rendered.events.keypress('enter');
    }
    const answer = (await rendered.answer) as T;
    screens.push(rendered.getScreen());
    return answer;
  };
  return {
    screens,
    remaining: () => queue.length,
    async select(config) {
      const step = next(config.message);
      const rendered = await render(select, config);
      if ('choose' in step) {
        const n = config.choices.length;
        const from = Math.max(
          0,
          config.choices.findIndex((c) => c.value === config.default),
        );
        const to = config.choices.findIndex((c) => c.value === step.choose);
        expect(to, `no choice ${step.choose}`).toBeGreaterThanOrEqual(0);
        for (let i = 0; i < (to - from + n) % n; i++) rendered.events.keypress('down');
      }
      return finish(step, rendered);
    },
    async input(config) {
      const step = next(config.message);
      return finish(step, await render(input, config), 'type' in step ? step.type : undefined);
    },
    async password(config) {
      const step = next(config.message);
      const rendered = await render(password, { ...config, mask: '*' });
      if ('type' in step) {
        rendered.events.type(step.type);
        // Typed masked: the screen shows stars, never the secret.
        expect(rendered.getScreen()).toContain('*'.repeat(step.type.length));
        expect(rendered.getScreen()).not.toContain(step.type);
      }
      return finish(step, rendered);
    },
    async confirm(config) {
      const step = next(config.message);
      return finish(step, await render(confirm, config), 'answer' in step ? (step.answer ? 'y' : 'n') : undefined);
    },
  };
}

// --- fixtures ---------------------------------------------------------------------------------

let server: TestServer;
let ca: string;
let dir: string;
let envPath: string;
const signal = new AbortController().signal;
const quiet = { color: false, input: false, timeout: '5s' };

/** What the last init() noted as secret (RunContext.secrets), for a bug's message to be scrubbed of. */
let secretsNoted = new Set<string>();

/** `mailcheck init` as the CLI runs it (its terminal view, the process's environment), to its exit code. */
async function init(options: InitOptions, deps?: InitDeps): Promise<number> {
  secretsNoted = new Set();
  const report = await runInit(options, { signal, env: process.env, view: new TerminalView(options, process.env), secrets: secretsNoted }, deps);
  return report.result.exitCode;
}

beforeAll(async () => {
  ca = (await localhostCert()).cert;
  server = await startTestServer({ user: 'user', password: 'secret' });
});
afterAll(() => server.close());
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mailcheck-interactive-'));
  envPath = join(dir, '.env');
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/** The answers a person gives to set up the loopback server through "Another SMTP server". */
function otherSmtpSteps(): Step[] {
  return [
    { expect: /Which provider/, choose: 'other' },
    { expect: /host name/, type: '127.0.0.1' },
    { expect: /Port/, type: String(server.port) },
    { expect: /TLS mode/, choose: '0' },
    { expect: /SMTP username/, type: 'user' },
    { expect: /SMTP password/, type: 'secret' },
    { expect: /Sender address/, type: 'app@example.com' },
    { expect: /Send the test message/, type: 'you@example.com' },
  ];
}

const writtenBlock = () => `SMTP_HOST=127.0.0.1\nSMTP_PORT=${server.port}\nSMTP_SECURE=0\nSMTP_USER=user\nSMTP_PASSWORD=secret\nSMTP_SENDER=app@example.com\n`;

// --- guided setup -----------------------------------------------------------------------------

describe('mailcheck init on a terminal', () => {
  it('creates a new .env, readable by its owner only, after a live check and a yes', async () => {
    const messagesBefore = server.log.messages.length;
    const prompter = scripted([...otherSmtpSteps(), { expect: /Write these values to .*\.env\?/, answer: true }]);
    const code = await init({ ...quiet, dotenv: [envPath] }, { prompter, ca });
    expect(code).toBe(ExitCode.ok);
    expect(prompter.remaining()).toBe(0);
    expect(await readFile(envPath, 'utf8')).toBe(writtenBlock());
    expect((await stat(envPath)).mode & 0o777).toBe(0o600);
    expect(server.log.messages.length).toBe(messagesBefore + 1);
    expect(await readdir(dir)).toEqual(['.env']);
    expect([...secretsNoted]).toEqual(['secret']);
  });

  it('inside a git work tree that does not ignore .env: asks, then adds it and its backups to .gitignore', async () => {
    execFileSync('git', ['init', '-q', dir]);
    await writeFile(envPath, '# mine\n');
    const prompter = scripted([
      ...otherSmtpSteps(),
      { expect: /Write these values to .*\.env\?/, answer: true },
      { expect: /^Add \/\.env and \/\.env\.bak\* to .*\.gitignore\?/, answer: true },
    ]);
    expect(await init({ ...quiet, dotenv: [envPath] }, { prompter, ca })).toBe(ExitCode.ok);
    expect(prompter.remaining()).toBe(0);
    expect(await readFile(join(dir, '.gitignore'), 'utf8')).toBe('# written by mailcheck: these hold secrets\n/.env\n/.env.bak*\n');
    // git itself now says so, for this backup and the ones to come.
    for (const name of ['.env', '.env.bak', '.env.bak.3']) expect(() => execFileSync('git', ['check-ignore', '-q', name], { cwd: dir }), name).not.toThrow();
  });

  it('inside a git work tree, a no leaves .gitignore alone; where .env is ignored already, nothing is asked', async () => {
    execFileSync('git', ['init', '-q', dir]);
    const declined = scripted([...otherSmtpSteps(), { expect: /Write these values/, answer: true }, { expect: /^Add \/\.env to/, answer: false }]);
    expect(await init({ ...quiet, dotenv: [envPath] }, { prompter: declined, ca })).toBe(ExitCode.ok);
    expect(declined.remaining()).toBe(0);
    expect((await readdir(dir)).sort()).toEqual(['.env', '.git']);
    await writeFile(join(dir, '.gitignore'), '.env*\n');
    const ignored = scripted([...otherSmtpSteps(), { expect: /Write these values/, answer: true }]);
    await writeFile(envPath, '');
    expect(await init({ ...quiet, dotenv: [envPath] }, { prompter: ignored, ca })).toBe(ExitCode.ok);
    expect(ignored.remaining()).toBe(0);
  });

  it('fills an existing .env in place: comments, unrelated keys, quotes and mode stay; a backup is kept', async () => {
    const original = [
      '# shop configuration',
      'DATABASE_URL=postgres://shop@localhost/shop',
      '',
      '# mail (old provider)',
      'SMTP_HOST="mail.old-provider.example"  # retired in May',
      'SMTP_PORT=25',
      '',
      "export SESSION_SECRET='keep me'",
      '',
    ].join('\n');
    await writeFile(envPath, original);
    await chmod(envPath, 0o640);
    const prompter = scripted([...otherSmtpSteps(), { expect: /Write these values/, answer: true }]);
    expect(await init({ ...quiet, dotenv: [envPath] }, { prompter, ca })).toBe(ExitCode.ok);
    expect(await readFile(envPath, 'utf8')).toBe(
      [
        '# shop configuration',
        'DATABASE_URL=postgres://shop@localhost/shop',
        '',
        '# mail (old provider)',
        'SMTP_HOST="127.0.0.1"  # retired in May',
        `SMTP_PORT=${server.port}`,
        'SMTP_SECURE=0',
        'SMTP_USER=user',
        'SMTP_PASSWORD=secret',
        'SMTP_SENDER=app@example.com',
        '',
        "export SESSION_SECRET='keep me'",
        '',
      ].join('\n'),
    );
    expect((await stat(envPath)).mode & 0o777).toBe(0o640);
    expect(await readFile(`${envPath}.bak`, 'utf8')).toBe(original);
    expect((await stat(`${envPath}.bak`)).mode & 0o777).toBe(0o640);
    expect((await readdir(dir)).sort()).toEqual(['.env', '.env.bak']);
  });

  it('Ctrl-C at the password leaves the file exactly as it was, with no temp file or backup', async () => {
    const original = '# mine\r\nSMTP_HOST=old.example\r\n';
    await writeFile(envPath, original);
    const steps = otherSmtpSteps().slice(0, 5);
    const prompter = scripted([...steps, { expect: /SMTP password/, interrupt: true }]);
    await expect(init({ ...quiet, dotenv: [envPath] }, { prompter, ca })).rejects.toMatchObject({ name: 'ExitPromptError' });
    expect(await readFile(envPath, 'utf8')).toBe(original);
    expect(await readdir(dir)).toEqual(['.env']);
  });

  it('Ctrl-C at the final question, after a passing check, also writes nothing', async () => {
    const prompter = scripted([...otherSmtpSteps(), { expect: /Write these values/, interrupt: true }]);
    await expect(init({ ...quiet, dotenv: [envPath] }, { prompter, ca })).rejects.toMatchObject({ name: 'ExitPromptError' });
    expect(await readdir(dir)).toEqual([]);
  });

  it('a no at the final question writes nothing and still reports the passing check', async () => {
    await writeFile(envPath, 'A=1\n');
    const prompter = scripted([...otherSmtpSteps(), { expect: /Write these values/, answer: false }]);
    expect(await init({ ...quiet, dotenv: [envPath] }, { prompter, ca })).toBe(ExitCode.ok);
    expect(await readFile(envPath, 'utf8')).toBe('A=1\n');
    expect(await readdir(dir)).toEqual(['.env']);
  });

  it('writes nothing when the live check fails, and asks no more questions', async () => {
    const steps = otherSmtpSteps().map((s) => ('type' in s && s.type === 'secret' ? { ...s, type: 'wrong' } : s));
    const prompter = scripted(steps);
    expect(await init({ ...quiet, dotenv: [envPath] }, { prompter, ca })).toBe(ExitCode.auth);
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('mailcheck init without a terminal', () => {
  it('names every missing answer instead of waiting for input', async () => {
    const attempt = init({ ...quiet, dotenv: [envPath], provider: 'gmail' });
    await expect(attempt).rejects.toBeInstanceOf(UserError);
    await expect(attempt).rejects.toMatchObject({
      exitCode: ExitCode.usage,
      message: expect.stringMatching(/--user, --password-stdin \(or SMTP_PASSWORD\), --from, --to/),
    });
    expect(await readdir(dir)).toEqual([]);
  });

  it('runs from flags alone, and writes only with --write', async () => {
    const flags = {
      ...quiet,
      dotenv: [envPath],
      provider: 'other',
      host: '127.0.0.1',
      port: String(server.port),
      secure: '0',
      user: 'user',
      from: 'app@example.com',
      to: 'you@example.com',
    };
    process.env.SMTP_PASSWORD = 'secret';
    try {
      expect(await init(flags, { ca })).toBe(ExitCode.ok);
      expect(await readdir(dir)).toEqual([]);
      expect(await init({ ...flags, write: true }, { ca })).toBe(ExitCode.ok);
    } finally {
      delete process.env.SMTP_PASSWORD;
    }
    expect(await readFile(envPath, 'utf8')).toBe(writtenBlock());
  });
});

// --- fix offers -------------------------------------------------------------------------------

/** Loads the file and runs the real check against the loopback server, as `mailcheck test` does. */
async function checkFile(env: NodeJS.ProcessEnv = {}): Promise<{ loaded: LoadedConfig; problems: { id: string }[]; ok: boolean }> {
  const loaded = loadConfig({ env, envFiles: [envPath] });
  const lintFailures = loaded.lint.filter((f) => f.status === 'fail');
  const settings = toSmtpSettings(loaded.config);
  if (lintFailures.length > 0 || !settings) return { loaded, problems: lintFailures, ok: false };
  const outcome = await runSmtpCheck({
    settings,
    recipient: 'you@example.com',
    deliver: false,
    timeoutMs: 3000,
    ca,
    recorder: new TranscriptRecorder(),
  });
  return { loaded, problems: outcome.diagnoses, ok: outcome.walk.ok };
}

function capture(): { output: Output; text: () => string } {
  let text = '';
  const sink = { write: (chunk: string) => (text += chunk) };
  return { output: new Output(sink, sink), text: () => text };
}

const wrongSecure = () =>
  [
    '# loopback relay',
    'SMTP_HOST=127.0.0.1',
    `SMTP_PORT=${server.port}`,
    'SMTP_SECURE=1 # was 465 before',
    'SMTP_USER=user',
    'SMTP_PASSWORD=secret',
    'SMTP_SENDER=app@example.com',
    '',
  ].join('\r\n');

describe('offering the fix after a failed check', () => {
  it('a declined fix leaves the file byte for byte as it was', async () => {
    await writeFile(envPath, wrongSecure());
    const { loaded, problems } = await checkFile();
    expect(problems.map((p) => p.id)).toEqual(['tls.implicit-on-starttls-port']);
    const prompter = scripted([{ expect: /Apply this change to .*\.env\?/, answer: false }]);
    const out = capture();
    expect(await offerFix({ plans: planFixes(problems, loaded), output: out.output, color: false, prompter })).toBe('done');
    expect(await readFile(envPath, 'utf8')).toBe(wrongSecure());
    expect(await readdir(dir)).toEqual(['.env']);
    expect(out.text()).toContain('-SMTP_SECURE=1 # was 465 before\n+SMTP_SECURE=0 # was 465 before');
    expect(prompter.remaining()).toBe(0);
  });

  it('an accepted fix changes only that line, keeps a backup, and the re-run passes', async () => {
    await writeFile(envPath, wrongSecure());
    await chmod(envPath, 0o600);
    const { loaded, problems } = await checkFile();
    const prompter = scripted([
      { expect: /Apply this change/, answer: true },
      { expect: /Run the check again/, answer: true },
    ]);
    const out = capture();
    expect(await offerFix({ plans: planFixes(problems, loaded), output: out.output, color: false, prompter })).toBe('rerun');
    expect(await readFile(envPath, 'utf8')).toBe(wrongSecure().replace('SMTP_SECURE=1 # was', 'SMTP_SECURE=0 # was'));
    expect(await readFile(`${envPath}.bak`, 'utf8')).toBe(wrongSecure());
    expect((await stat(envPath)).mode & 0o777).toBe(0o600);
    expect(out.text()).not.toContain('secret');
    expect((await checkFile()).ok).toBe(true);
  });

  it("offers the lint fix for Resend's username before any connection, and a second backup does not overwrite the first", async () => {
    const text =
      'SMTP_HOST=smtp.resend.com\nSMTP_PORT=465\nSMTP_SECURE=1\nSMTP_USER=me@example.com\nSMTP_PASSWORD=re_123456789abc\nSMTP_SENDER=me@example.com\n';
    await writeFile(envPath, text);
    await writeFile(`${envPath}.bak`, 'an older backup\n');
    const { loaded, problems } = await checkFile();
    expect(problems.map((p) => p.id)).toContain('resend.user');
    const prompter = scripted([
      { expect: /Apply this change/, answer: true },
      { expect: /Run the check again/, answer: false },
    ]);
    const out = capture();
    expect(await offerFix({ plans: planFixes(problems, loaded), output: out.output, color: false, prompter })).toBe('done');
    expect(await readFile(envPath, 'utf8')).toBe(text.replace('SMTP_USER=me@example.com', 'SMTP_USER=resend'));
    expect(await readFile(`${envPath}.bak`, 'utf8')).toBe('an older backup\n');
    expect(await readFile(`${envPath}.bak.1`, 'utf8')).toBe(text);
    expect(out.text()).toContain('-SMTP_USER=me@example.com\n+SMTP_USER=resend\n');
    expect(out.text()).not.toContain('re_123456789abc');
  });

  it('names a fix for a value from the environment instead of editing any file', async () => {
    const text = wrongSecure().replace(/SMTP_SECURE=.*\r\n/, '');
    await writeFile(envPath, text);
    const { loaded, problems } = await checkFile({ SMTP_SECURE: '1' });
    const prompter = scripted([]);
    const out = capture();
    expect(await offerFix({ plans: planFixes(problems, loaded), output: out.output, color: false, prompter })).toBe('done');
    expect(out.text()).toMatch(/SMTP_SECURE comes from the environment, which mailcheck cannot edit: set SMTP_SECURE=0 where it is exported/);
    expect(await readFile(envPath, 'utf8')).toBe(text);
    expect(await readdir(dir)).toEqual(['.env']);
  });
});
