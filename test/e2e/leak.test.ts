import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/exit-codes.js';
import { ensureBuilt, password, prepare, removeWorkDirs, runCli, scenarios, user, workDir, type CliRun } from './cli-harness.js';

/**
 * The password must never leave the process, in any form, whatever happens. Every scenario the
 * other tests cover is run through the built binary, in human and --json mode, and stdout and
 * stderr are searched for every encoding in which the password could surface.
 */

beforeAll(ensureBuilt, 180_000);
afterAll(removeWorkDirs);

const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/**
 * The forms a secret can take on the way out: raw, JSON-escaped, URL-encoded, base64 (padded,
 * unpadded, url-safe, and the characters it fixes at each alignment inside a longer blob), and
 * the AUTH PLAIN and AUTH LOGIN payloads built from it.
 */
function forbiddenForms(secret: string, login: string): Map<string, string> {
  const forms = new Map<string, string>([
    ['raw', secret],
    ['JSON-escaped', JSON.stringify(secret).slice(1, -1)],
    ['URL-encoded', encodeURIComponent(secret)],
    ['form-encoded', encodeURIComponent(secret).replace(/%20/g, '+')],
    ['base64', base64(secret)],
    ['base64 unpadded', base64(secret).replace(/=+$/, '')],
    ['base64url', Buffer.from(secret).toString('base64url')],
    ['AUTH LOGIN password line', base64(secret)],
    ['AUTH PLAIN payload', base64(`\u0000${login}\u0000${secret}`)],
    ['AUTH PLAIN payload with authzid', base64(`${login}\u0000${login}\u0000${secret}`)],
  ]);
  const bytes = Buffer.from(secret, 'utf8');
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset, 0x41), bytes]).toString('base64');
    forms.set(`base64 at byte offset ${offset}`, encoded.slice(Math.ceil((offset * 8) / 6), Math.floor(((offset + bytes.length) * 8) / 6)));
  }
  return forms;
}

const forms = forbiddenForms(password, user);

/** Each forbidden form found, with a little context, so a failure says where the leak is. */
function leaks(run: CliRun, formsToFind: Map<string, string> = forms): string[] {
  const found: string[] = [];
  for (const [stream, text] of [
    ['stdout', run.stdout],
    ['stderr', run.stderr],
  ] as const) {
    for (const [name, form] of formsToFind) {
      const at = text.indexOf(form);
      if (at !== -1) found.push(`${name} in ${stream}: …${text.slice(Math.max(0, at - 40), at + form.length + 20)}…`);
    }
  }
  return found;
}

it('the password used here really has distinct encodings (so the search means something)', () => {
  expect(new Set(forms.values()).size).toBeGreaterThanOrEqual(9);
  expect([...forms.values()].every((form) => form.length >= 8)).toBe(true);
});

describe.each([
  { mode: 'human', args: [] as string[] },
  { mode: 'json', args: ['--json'] },
])('$mode output', ({ mode, args }) => {
  it.concurrent.each(scenarios)('$name: no form of the password', async (scenario) => {
    const prepared = await prepare(scenario, args);
    let run: CliRun;
    try {
      run = await runCli(prepared.args, prepared);
    } finally {
      await prepared.close();
    }
    // The scenario really happened (a leak test that fails early proves nothing).
    expect(run.code, run.stdout + run.stderr).toBe(scenario.exit);
    if (mode === 'json') expect(() => JSON.parse(run.stdout)).not.toThrow();
    // The transcript reached AUTH wherever the server got that far, so the payload had its chance to leak.
    if (scenario.exit === ExitCode.ok || scenario.exit === ExitCode.auth) expect(run.stdout).toMatch(/AUTH (PLAIN|LOGIN)|did not advertise AUTH/);
    expect(leaks(run)).toEqual([]);
  });

  it.concurrent.each([
    { name: 'missing --to', argv: ['test'] },
    { name: 'unknown option', argv: ['test', '--to', 'you@example.com', '--bogus'] },
    { name: 'invalid SMTP_PORT', argv: ['test', '--to', 'you@example.com'], env: { SMTP_PORT: 'abc' } },
    { name: 'SMTP_SECURE=1 on port 587', argv: ['test', '--to', 'you@example.com'], env: { SMTP_PORT: '587', SMTP_SECURE: '1' } },
    { name: 'half-set SMTP block', argv: ['test', '--to', 'you@example.com'], env: { SMTP_HOST: '' } },
    { name: 'missing --env-file', argv: ['--env-file', 'missing.env', 'test', '--to', 'you@example.com'] },
  ])('$name: no form of the password', async ({ argv, env }) => {
    const cwd = workDir({
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: '2525',
      SMTP_USER: user,
      SMTP_PASSWORD: `'${password}'`,
      SMTP_SENDER: 'app@example.com',
      SMTP_SECURE: '0',
      ...env,
    });
    const run = await runCli([...argv, ...args], { cwd, endNodeOptions: true });
    expect(run.code).not.toBe(ExitCode.ok);
    expect(leaks(run)).toEqual([]);
  });

  it('the password in the process environment and on stdin is not echoed either', async () => {
    const cwd = workDir({ SMTP_HOST: '127.0.0.1', SMTP_PORT: '2525', SMTP_USER: user, SMTP_SENDER: 'app@example.com' });
    const fromEnv = await runCli(['test', ...args], { cwd, env: { SMTP_PASS: password } });
    expect(fromEnv.code).toBe(ExitCode.usage); // everything set: only --to is missing
    expect(leaks(fromEnv)).toEqual([]);
    const fromStdin = await runCli(['test', '--password-stdin', '--to', 'you@example.com', '--port', 'x', ...args], { cwd, stdin: password });
    expect(fromStdin.code).toBe(ExitCode.config);
    expect(leaks(fromStdin)).toEqual([]);
  });

  it('--sandbox: its random password does not appear either', async () => {
    const run = await runCli(['test', '--sandbox', ...args], { cwd: workDir() });
    expect(run.code, run.stderr).toBe(ExitCode.ok);
    // The sandbox password is `sandbox-` and 12 random characters; its base64 forms start with fixed text.
    const sandboxForms = new Map([
      ['sandbox password', 'sandbox-'],
      ['its base64', base64('sandbox-').slice(0, 10)],
      ['its AUTH PLAIN payload', base64('\u0000mailcheck\u0000sandbox-')],
    ]);
    expect(leaks(run, sandboxForms)).toEqual([]);
  });
});
