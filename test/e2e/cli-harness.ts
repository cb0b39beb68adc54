import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ExitCode } from '../../src/exit-codes.js';
import { expiredCert, localhostCert, wrongHostCert } from '../fixtures/certs.js';
import { binPath, collect, type CliOptions, type CliRun } from '../fixtures/cli.js';
import { startTestServer, type TestServer, type TestServerOptions } from '../fixtures/smtp-server.js';
import { closedPort } from '../fixtures/unreachable.mjs';

export { runCli, stackTrace, type CliRun } from '../fixtures/cli.js';

/**
 * The scenarios the end-to-end and leak tests share, each prepared the way a user meets it: the
 * built binary (test/fixtures/cli.ts) in a directory of its own with a .env file, a clean
 * environment (nothing from the test runner, no CI), no terminal, and a real server on loopback.
 */

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** `npm test` builds first; a direct `vitest run` of these files builds only when dist is missing. */
export async function ensureBuilt(): Promise<void> {
  if (existsSync(join(root, 'dist/cli.js'))) return;
  // The bundle step alone: type errors are the typecheck's business, not a reason to skip e2e.
  await promisify(execFile)(process.execPath, ['scripts/build.mjs'], { cwd: root }).catch(() => undefined);
  if (!existsSync(join(root, 'dist/cli.js'))) throw new Error('the build did not produce dist/cli.js: run `npm run build`');
}

/**
 * Executes bin/mailcheck.cjs itself, through its `#!` line, as `npx mailcheck` does, instead of
 * `node bin/mailcheck.cjs`. It matters where Node reads an argument itself: Node 20 takes a script
 * argument `--env-file` as its own option (nodejs/node#54232).
 */
export function runViaShebang(args: string[], o: Pick<CliOptions, 'cwd' | 'env'>): Promise<CliRun> {
  const started = performance.now();
  const child = spawn(binPath, args, { cwd: o.cwd, env: { PATH: process.env.PATH, NO_COLOR: '1', ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  return collect(child, started);
}

const dirs: string[] = [];

/** A fresh working directory holding `.env` with these lines (values written as given). */
export function workDir(env: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'mailcheck-e2e-'));
  dirs.push(dir);
  writeFileSync(
    join(dir, '.env'),
    Object.entries(env)
      .map(([k, v]) => `${k}=${v}\n`)
      .join(''),
  );
  return dir;
}

export function removeWorkDirs(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export const user = 'mailer@example.com';
/** Not a common substring of anything; contains characters that URL-encoding and JSON change. */
export const password = 'Hq7#vT2 mX9!kW4&zR"';

const certFor = { localhost: localhostCert, 'wrong-host': wrongHostCert, expired: expiredCert } as const;
type CertName = keyof typeof certFor;

export interface Scenario {
  name: string;
  /** The loopback server to run against; none means a port that refuses connections. */
  server?: Omit<TestServerOptions, 'cert'>;
  /** The certificate the server presents; default the fixture's localhost one. */
  cert?: CertName;
  /** SMTP_SECURE for the client (the server's mode is in `server`). */
  secure: '0' | '1';
  /** Trust this certificate (NODE_EXTRA_CA_CERTS); default the fixture's localhost one. */
  trust?: CertName | 'none';
  /** Pass the password through --password-stdin instead of .env. */
  passwordStdin?: boolean;
  args?: string[];
  exit: number;
}

/** Every way a session ends that the integration tests cover, as a user would meet it. */
export const scenarios: Scenario[] = [
  { name: 'STARTTLS success', secure: '0', server: {}, exit: ExitCode.ok },
  { name: 'implicit TLS success', secure: '1', server: { secure: true }, exit: ExitCode.ok },
  { name: 'AUTH LOGIN', secure: '0', server: { extra: { authMethods: ['LOGIN'] } }, exit: ExitCode.ok },
  { name: 'password from stdin', secure: '0', server: {}, passwordStdin: true, exit: ExitCode.ok },
  { name: 'no AUTH advertised', secure: '0', server: { noAuth: true }, exit: ExitCode.ok },
  { name: '535 wrong password', secure: '0', server: { password: 'the-right-one' }, exit: ExitCode.auth },
  { name: '535 over AUTH LOGIN', secure: '0', server: { password: 'the-right-one', extra: { authMethods: ['LOGIN'] } }, exit: ExitCode.auth },
  { name: '550 at MAIL', secure: '0', server: { rejectMail: { code: 550, message: 'Sender address not verified' } }, exit: ExitCode.envelope },
  { name: '550 at RCPT', secure: '0', server: { rejectRcpt: { code: 550, message: '5.1.1 No such user here' } }, exit: ExitCode.envelope },
  { name: '550 after DATA', secure: '0', server: { rejectData: { code: 550, message: 'Sender address not verified' } }, exit: ExitCode.envelope },
  { name: '421 instead of the greeting', secure: '0', server: { rejectConnect: { code: 421, message: 'Too many connections' } }, exit: ExitCode.temporary },
  { name: '421 at MAIL', secure: '0', server: { rejectMail: { code: 421, message: '4.7.0 Try again later' } }, exit: ExitCode.temporary },
  { name: 'wrong version number (SMTP_SECURE=1 on STARTTLS)', secure: '1', server: {}, exit: ExitCode.tls },
  { name: 'SMTP_SECURE=0 on implicit TLS', secure: '0', server: { secure: true }, args: ['--timeout', '1s'], exit: ExitCode.tls },
  { name: 'never greets', secure: '0', server: { neverGreet: true }, args: ['--timeout', '1s'], exit: ExitCode.network },
  { name: 'connection refused', secure: '0', exit: ExitCode.network },
  { name: 'self-signed certificate', secure: '0', server: {}, trust: 'none', exit: ExitCode.tls },
  { name: 'hostname mismatch', secure: '0', server: {}, cert: 'wrong-host', trust: 'wrong-host', exit: ExitCode.tls },
  { name: 'expired certificate', secure: '1', server: { secure: true }, cert: 'expired', trust: 'expired', exit: ExitCode.tls },
];

export interface Prepared {
  cwd: string;
  args: string[];
  env: Record<string, string>;
  stdin?: string;
  close(): Promise<void>;
}

/** Starts the scenario's server and writes its .env; `args` are the CLI arguments for `test`. */
export async function prepare(s: Scenario, extraArgs: string[] = []): Promise<Prepared> {
  let server: TestServer | undefined;
  let port: number;
  if (s.server) {
    server = await startTestServer({ user, password, ...s.server, cert: await certFor[s.cert ?? 'localhost']() });
    port = server.port;
  } else {
    port = await closedPort();
  }
  const trust = s.trust ?? 'localhost';
  const cwd = workDir({
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(port),
    SMTP_USER: user,
    ...(s.passwordStdin ? {} : { SMTP_PASSWORD: `'${password}'` }),
    SMTP_SENDER: '"App <app@example.com>"',
    SMTP_SECURE: s.secure,
  });
  const env: Record<string, string> = {};
  if (trust !== 'none') {
    const caFile = join(cwd, 'ca.pem');
    writeFileSync(caFile, (await certFor[trust]()).cert);
    env.NODE_EXTRA_CA_CERTS = caFile;
  }
  const passwordArgs = s.passwordStdin ? ['--password-stdin'] : [];
  return {
    cwd,
    env,
    args: ['test', '--to', 'you@example.com', ...passwordArgs, ...(s.args ?? []), ...extraArgs],
    ...(s.passwordStdin ? { stdin: `${password}\n` } : {}),
    close: async () => server?.close(),
  };
}
