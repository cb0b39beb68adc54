import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/exit-codes.js';
import { collect, runCli, spawnCli, stackTrace, type CliOptions } from '../fixtures/cli.js';
import { startHostileServer } from '../fixtures/hostile-servers.js';

/**
 * The built binary against bad configuration and interruption, as a new user meets them: a clear
 * message naming the variable and where it came from, a documented exit code, no stack trace,
 * and no file touched.
 */

const root = mkdtempSync(join(tmpdir(), 'mailcheck-robust-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let dir: string;
let caseCount = 0;
beforeEach(() => {
  dir = join(root, `case-${++caseCount}`);
  mkdirSync(dir);
});

const password = 'robust-Pa55-word';
const goodEnv = {
  SMTP_HOST: 'smtp.example.com',
  SMTP_PORT: '587',
  SMTP_USER: 'mailer',
  SMTP_PASSWORD: password,
  SMTP_SENDER: 'noreply@example.com',
  SMTP_SECURE: '0',
};

function writeDotEnv(values: Record<string, string>): string {
  const path = join(dir, '.env');
  writeFileSync(
    path,
    Object.entries(values)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n') + '\n',
  );
  return path;
}

/** Every run here must leave the user's files exactly as they were. */
function snapshot(): Map<string, string> {
  const files = readdirSync(dir).filter((name) => statSync(join(dir, name)).isFile());
  return new Map(files.map((name) => [name, `${statSync(join(dir, name)).mtimeMs}:${readFileSync(join(dir, name), 'utf8')}`]));
}

async function run(args: string[], options: Partial<CliOptions> = {}) {
  const before = snapshot();
  const result = await runCli(args, { cwd: dir, ...options });
  expect(snapshot(), 'no command may modify a file without confirmation').toEqual(before);
  expect(result.stdout + result.stderr).not.toMatch(stackTrace);
  expect(result.stdout + result.stderr).not.toContain(password);
  return result;
}

describe('an --env-file that cannot be read: exit 3 and a message naming the file', () => {
  // Node 20+ treats a script argument spelled `--env-file` as its own option and exits 9 before
  // mailcheck runs when the file cannot be read (nodejs/node#54232). The bin's `#!` line starts
  // Node with `--` for users (test/e2e/cli.test.ts runs it that way); these tests do the same.
  const viaNode = { endNodeOptions: true };

  it('missing', async () => {
    const result = await run(['--env-file', 'missing.env', 'test', '--to', 'you@example.com'], viaNode);
    expect(result.code).toBe(ExitCode.config);
    expect(result.stderr).toContain('cannot read the env file missing.env: no such file');
    expect(result.stdout).toBe('');
  });

  it('a directory instead of a file', async () => {
    mkdirSync(join(dir, 'env.d'));
    const result = await run(['doctor', '--env-file', 'env.d'], viaNode);
    expect(result.code).toBe(ExitCode.config);
    expect(result.stderr).toContain('cannot read the env file env.d: it is a directory, not a file');
  });

  const runningAsRoot = process.getuid?.() === 0;
  it.skipIf(runningAsRoot)('unreadable (chmod 000) [skipped when run as root, who can read any file; the directory case covers the same path]', async () => {
    const path = writeDotEnv(goodEnv);
    chmodSync(path, 0o000);
    const result = await run(['test', '--env-file', '.env', '--to', 'you@example.com'], viaNode);
    expect(result.code).toBe(ExitCode.config);
    expect(result.stderr).toContain('cannot read the env file .env: permission denied');
  });
});

describe('bad values name the variable and where it came from (exit 3, before any network)', () => {
  it('a non-numeric SMTP_PORT in .env: names the line', async () => {
    writeDotEnv({ ...goodEnv, SMTP_PORT: '587abc' });
    const result = await run(['test', '--to', 'you@example.com']);
    expect(result.code).toBe(ExitCode.config);
    expect(result.stdout).toContain('SMTP_PORT="587abc" (from .env line 2)');
    expect(result.stdout).not.toContain('session with');
  });

  it('an out-of-range SMTP_PORT from the environment: says "the environment"', async () => {
    const result = await run(['doctor'], { env: { ...goodEnv, SMTP_PORT: '70000' } });
    expect(result.code).toBe(ExitCode.config);
    expect(result.stdout).toContain('SMTP_PORT="70000" (from the environment)');
  });

  it('a bad --port flag: names the flag, and the hint still names the variable', async () => {
    writeDotEnv(goodEnv);
    const result = await run(['test', '--port', '0', '--to', 'you@example.com']);
    expect(result.code).toBe(ExitCode.config);
    expect(result.stdout).toContain('SMTP_PORT="0" (from the --port flag)');
    expect(result.stdout).toMatch(/set SMTP_PORT=587/);
  });

  it('a host with a scheme: names the line and gives the bare host', async () => {
    writeDotEnv({ ...goodEnv, SMTP_HOST: 'smtps://smtp.example.com' });
    const result = await run(['doctor']);
    expect(result.code).toBe(ExitCode.config);
    expect(result.stdout).toContain('SMTP_HOST="smtps://smtp.example.com" (from .env line 1)');
    expect(result.stdout).toContain('set SMTP_HOST=smtp.example.com');
  });

  it('a unicode look-alike host: names the line and shows the ASCII form (JSON carries the source)', async () => {
    // SMTP_SECURE=yes fails lint as well, so the run stays off the network (a unicode host alone only warns).
    writeDotEnv({ ...goodEnv, SMTP_HOST: 'smtp.exаmple.com', SMTP_SECURE: 'yes' });
    const result = await run(['--json', 'doctor']);
    expect(result.code).toBe(ExitCode.config);
    const report = JSON.parse(result.stdout) as { lint: { variable?: string; message: string; source?: unknown }[] };
    const host = report.lint.find((f) => f.variable === 'SMTP_HOST' && f.message.includes('non-ASCII'));
    expect(host?.message).toContain('SMTP_HOST="smtp.exаmple.com" (from .env line 1)');
    expect(host?.message).toContain('xn--');
    expect(host?.source).toEqual({ kind: 'file', path: '.env', line: 1 });
  });

  it('a # glued to an unquoted password: the note names the line, never the value', async () => {
    writeDotEnv({ ...goodEnv, SMTP_PORT: 'x', SMTP_PASSWORD: `${password}#tail` });
    const result = await run(['doctor']);
    expect(result.stdout).toContain('SMTP_PASSWORD (.env line 4) has a # inside its unquoted value');
    expect(result.stdout).not.toContain('#tail');
  });
});

describe('Ctrl-C: exit 130 at once, sockets closed, no stack trace, no partial file', () => {
  /** A server that accepts and never says a word: without Ctrl-C each command would wait out its 30 s timeout. */
  async function interruptWhileConnected(args: string[]) {
    const server = await startHostileServer(() => {});
    try {
      const summary = join(dir, 'step-summary.md');
      writeFileSync(summary, '# earlier step\n');
      const before = snapshot();
      const child = spawnCli([...args.map((a) => a.replace('PORT', String(server.port))), '--timeout', '30s'], {
        cwd: dir,
        env: { ...goodEnv, SMTP_HOST: '127.0.0.1', SMTP_PORT: String(server.port), GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary },
      });
      const done = collect(child);
      await expect.poll(() => server.openConnections(), { timeout: 10_000 }).toBeGreaterThan(0);
      const interruptedAt = performance.now();
      child.kill('SIGINT');
      const result = await done;
      expect(result.code).toBe(ExitCode.interrupted);
      expect(performance.now() - interruptedAt).toBeLessThan(1500);
      expect(result.stderr).not.toMatch(stackTrace);
      expect(snapshot(), 'nothing written, not even half a step summary').toEqual(before);
      await expect.poll(() => server.openConnections(), { timeout: 2000 }).toBe(0);
    } finally {
      await server.close();
    }
  }

  it('mailcheck test', () => interruptWhileConnected(['test', '--to', 'you@example.com']));
  it('mailcheck doctor', () => interruptWhileConnected(['doctor']));
  it('mailcheck probe', () => interruptWhileConnected(['probe', '127.0.0.1', '--ports', 'PORT']));

  it('while --password-stdin waits on a pipe nobody closes', async () => {
    const child = spawnCli(['test', '--password-stdin', '--to', 'you@example.com'], { cwd: dir, env: goodEnv, keepStdinOpen: true });
    const done = collect(child);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const interruptedAt = performance.now();
    child.kill('SIGINT');
    const result = await done;
    expect(result.code).toBe(ExitCode.interrupted);
    expect(performance.now() - interruptedAt).toBeLessThan(1500);
    expect(result.stderr).not.toMatch(stackTrace);
  });
});
