import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'dotenv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/exit-codes.js';
import { localhostCert } from '../fixtures/certs.js';
import { startTestServer, type TestServer } from '../fixtures/smtp-server.js';
import { ensureBuilt, removeWorkDirs, runCli, workDir } from './cli-harness.js';

/** `init --write` without a terminal, as a setup script runs it: what it writes and what it says (issue 15). */

const password = 'pa$word al ice#1';
let server: TestServer;

beforeAll(async () => {
  await ensureBuilt();
  server = await startTestServer({ user: 'mailer', password });
});
afterAll(async () => {
  await server?.close();
  removeWorkDirs();
});

async function init(cwd: string) {
  writeFileSync(join(cwd, 'ca.pem'), (await localhostCert()).cert);
  const args = [
    'init',
    '--provider',
    'other',
    '--host',
    '127.0.0.1',
    '--port',
    String(server.port),
    '--secure',
    '0',
    '--user',
    'mailer',
    '--from',
    'app@example.com',
    '--to',
    'you@example.com',
    '--password-stdin',
    '--write',
    '--ca-file',
    'ca.pem',
  ];
  return runCli(args, { cwd, stdin: password });
}

describe('init --write without a terminal', () => {
  it('quotes the password so that dotenv and a shell read the same value, and says so without showing it', async () => {
    const cwd = workDir();
    const run = await init(cwd);
    expect(run.code, run.stderr).toBe(ExitCode.ok);
    const text = readFileSync(join(cwd, '.env'), 'utf8');
    expect(parse(text).SMTP_PASSWORD).toBe(password);
    expect(
      execFileSync('sh', ['-c', '. ./.env; printf %s "$SMTP_PASSWORD"'], { cwd, encoding: 'utf8', env: { PATH: process.env.PATH, word: 'EXPANDED' } }),
    ).toBe(password);
    expect(run.stderr).toMatch(
      /^note: SMTP_PASSWORD is written in single quotes: otherwise docker compose \(env_file\) or a shell sourcing the file would read a different value/m,
    );
    expect(run.stderr + run.stdout).not.toContain(password);
  });

  it('inside a git work tree that does not ignore .env: a warning and the command to fix it, but .gitignore is not touched', async () => {
    const cwd = workDir();
    execFileSync('git', ['init', '-q', cwd]);
    const run = await init(cwd);
    expect(run.code, run.stderr).toBe(ExitCode.ok);
    // workDir leaves an empty .env, so there is a backup too.
    expect(run.stderr).toMatch(/^warning: git does not ignore \.env and \.env\.bak\* in .*: a commit would publish the password it holds\.$/m);
    expect(run.stderr).toContain(`printf '/.env\\n/.env.bak*\\n' >> "${join(execFileSync('realpath', [cwd], { encoding: 'utf8' }).trim(), '.gitignore')}"`);
    expect(existsSync(join(cwd, '.gitignore'))).toBe(false);
    // Ignored already: nothing to say.
    writeFileSync(join(cwd, '.gitignore'), '.env\n.env.bak*\n');
    const again = await init(cwd);
    expect(again.code).toBe(ExitCode.ok);
    expect(again.stderr).not.toMatch(/git does not ignore/);
  });
});
