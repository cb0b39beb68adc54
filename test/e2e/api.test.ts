import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/exit-codes.js';
import { localhostCert } from '../fixtures/certs.js';
import { collect, type CliRun } from '../fixtures/cli.js';
import { type Packed, packAndInstall, root } from '../fixtures/packed.js';
import { assertValidReport } from '../fixtures/report-schema.js';
import { canonicalNames as names, defaultPassword, defaultUser, startTestServer, type TestServer } from '../fixtures/smtp-server.js';
import { ensureBuilt } from './cli-harness.js';

/**
 * The library as an app meets it (issue 18): the packed tarball installed into a fresh project,
 * `import { doctor, test, probe } from 'mailcheck-cli'` from a script there, run against real
 * servers on loopback. Each script runs in a child process of its own, so that what it writes to
 * stdout and stderr is seen (nothing, ever), and reports what it got in a file.
 */

let packed: Packed;
let server: TestServer;
let silent: TestServer;
let caFile: string;

/** The SMTP variables of a configuration for `server` (STARTTLS on its port, trusted through caFile). */
const smtpEnv = (port: number, password = defaultPassword) => ({
  [names.host]: '127.0.0.1',
  [names.port]: String(port),
  [names.secure]: '0',
  [names.user]: defaultUser,
  [names.password]: password,
  [names.sender]: 'app@example.com',
});

interface ScriptRun extends CliRun {
  /** What the script stored in `out`. */
  out: Record<string, unknown>;
}

let scripts = 0;

/**
 * Runs `body` as an ES module in the project: it may use doctor, test and probe (imported from
 * the package by name) and `out`, an object written as JSON when it ends. The script also records
 * whether process.env and process.exitCode were left as they were.
 */
async function script(body: string): Promise<ScriptRun> {
  const name = `consumer-${++scripts}`;
  const outFile = join(packed.project, `${name}.json`);
  const file = join(packed.project, `${name}.mjs`);
  writeFileSync(
    file,
    [
      "import { writeFileSync } from 'node:fs';",
      "import { doctor, test, probe } from 'mailcheck-cli';",
      'const out = {};',
      'const envBefore = JSON.stringify(process.env);',
      body,
      'out.envUntouched = JSON.stringify(process.env) === envBefore;',
      'out.exitCodeUntouched = process.exitCode === undefined;',
      `writeFileSync(${JSON.stringify(outFile)}, JSON.stringify(out));`,
    ].join('\n'),
  );
  // No stdin at all: the library must never wait for one. RESEND_DEBUG and SMTP_HOST in the
  // process's own environment must change nothing (it is never read).
  const child = spawn(process.execPath, [file], {
    cwd: packed.project,
    env: { PATH: process.env.PATH, SMTP_HOST: 'never-read.invalid', RESEND_DEBUG: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const run = await collect(child);
  const out = existsSync(outFile) ? (JSON.parse(readFileSync(outFile, 'utf8')) as Record<string, unknown>) : {};
  return { ...run, out };
}

/** The installed CLI on the same input, for comparison. */
async function cli(args: string[], env: Record<string, string>): Promise<CliRun & { json: Record<string, unknown> }> {
  const child = spawn(join(packed.project, 'node_modules', '.bin', 'mailcheck'), [...args, '--json'], {
    cwd: packed.project,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const run = await collect(child);
  return { ...run, json: JSON.parse(run.stdout) };
}

/** A report with what differs between two runs of the same input set to 0: the times. */
function comparable(report: unknown): unknown {
  return JSON.parse(JSON.stringify(report), (key, value) => (['at', 'ms', 'totalMs'].includes(key) && typeof value === 'number' ? 0 : value));
}

/** Each run in a script ends the same way: the report is valid, and the script wrote nothing and changed nothing. */
function expectQuietRun(run: ScriptRun): void {
  expect(run.stderr).toBe('');
  expect(run.stdout).toBe('');
  expect(run.code).toBe(0);
  expect(run.out.envUntouched).toBe(true);
  expect(run.out.exitCodeUntouched).toBe(true);
}

beforeAll(async () => {
  await ensureBuilt();
  // A direct `vitest run` of this file after a bundle-only build: the declarations too.
  if (!existsSync(join(root, 'dist/index.d.ts'))) await promisify(execFile)(process.execPath, ['scripts/build-types.mjs'], { cwd: root });
  packed = await packAndInstall('mailcheck-api-');
  server = await startTestServer();
  silent = await startTestServer({ neverGreet: true });
  caFile = join(packed.project, 'ca.pem');
  writeFileSync(caFile, (await localhostCert()).cert);
}, 120_000);
afterAll(async () => {
  await server?.close();
  await silent?.close();
  packed?.remove();
});

describe('the library from the packed tarball', () => {
  it('doctor: a passing run, the report --json prints, with the exit code the CLI exits with', async () => {
    const env = smtpEnv(server.port);
    const run = await script(`out.report = await doctor({ env: ${JSON.stringify(env)}, caFile: ${JSON.stringify(caFile)}, dns: false });`);
    expectQuietRun(run);
    const report = run.out.report as { result: { exitCode: number }; command: string; checks: { id: string; status: string }[] };
    assertValidReport(report, 'the report doctor() resolved to');
    expect(report.command).toBe('doctor');
    expect(report.result.exitCode).toBe(ExitCode.ok);
    expect(report.checks.map((c) => `${c.id} ${c.status}`)).toContain('smtp.auth pass');
    const same = await cli(['doctor', '--ca-file', caFile, '--no-dns'], env);
    expect(same.code).toBe(report.result.exitCode);
    expect(comparable(report)).toEqual(comparable(same.json));
  });

  it('doctor: a failing run (wrong password) is a report, equal to the CLI JSON, exit code 6 in both', async () => {
    const env = smtpEnv(server.port, 'wrong-horse-battery');
    const run = await script(`out.report = await doctor({ env: ${JSON.stringify(env)}, caFile: ${JSON.stringify(caFile)}, dns: false });`);
    expectQuietRun(run);
    const report = run.out.report as { result: { exitCode: number; failureClass: string }; diagnoses: { id: string }[] };
    assertValidReport(report, 'the report doctor() resolved to');
    expect(report.result).toMatchObject({ ok: false, exitCode: ExitCode.auth, failureClass: 'auth' });
    const same = await cli(['doctor', '--ca-file', caFile, '--no-dns'], env);
    expect(same.code).toBe(ExitCode.auth);
    expect(comparable(report)).toEqual(comparable(same.json));
    // The password never appears, in the report or anywhere else.
    expect(JSON.stringify(report)).not.toContain('wrong-horse-battery');
  });

  it('test: sends one message through the loopback server', async () => {
    const before = server.log.messages.length;
    const env = smtpEnv(server.port);
    const run = await script(`out.report = await test({ env: ${JSON.stringify(env)}, caFile: ${JSON.stringify(caFile)}, to: 'you@example.com' });`);
    expectQuietRun(run);
    const report = run.out.report as { command: string; result: { exitCode: number }; message?: { serverReply?: string } };
    assertValidReport(report, 'the report test() resolved to');
    expect(report.command).toBe('test');
    expect(report.result.exitCode).toBe(ExitCode.ok);
    expect(report.message?.serverReply).toMatch(/^250 /);
    expect(server.log.messages.length).toBe(before + 1);
  });

  it('probe: finds the working port and mode of the loopback server, as the CLI does', async () => {
    const run = await script(`out.report = await probe({ host: '127.0.0.1', ports: '${server.port}', caFile: ${JSON.stringify(caFile)} });`);
    expectQuietRun(run);
    const report = run.out.report as { command: string; result: { exitCode: number }; probe?: { recommendation?: { lines: string[] } } };
    assertValidReport(report, 'the report probe() resolved to');
    expect(report.command).toBe('probe');
    expect(report.result.exitCode).toBe(ExitCode.ok);
    expect(report.probe?.recommendation?.lines).toEqual([`SMTP_PORT=${server.port}`, 'SMTP_SECURE=0']);
    const same = await cli(['probe', '127.0.0.1', '--ports', String(server.port), '--ca-file', caFile], {});
    expect(same.code).toBe(report.result.exitCode);
  });

  it('a missing env file is a report (configuration error, exit 3), as the CLI says it', async () => {
    const run = await script(`out.report = await doctor({ envFiles: ['missing.env'] });`);
    expectQuietRun(run);
    const report = run.out.report as { result: { exitCode: number }; error?: { message: string } };
    assertValidReport(report, 'the report of a missing env file');
    expect(report.result).toMatchObject({ ok: false, exitCode: ExitCode.config, failureClass: 'config' });
    expect(report.error?.message).toBe(`cannot read the env file missing.env: no such file (looked in ${packed.project})`);
    const same = await cli(['doctor', '--dotenv', 'missing.env'], {});
    expect(same.code).toBe(ExitCode.config);
    expect(comparable(report)).toEqual(comparable(same.json));
  });

  it('reads no variable from process.env: without `env`, nothing is configured (exit 3)', async () => {
    // The child's own environment has SMTP_HOST (script()); the library must not see it.
    const run = await script('out.report = await doctor();');
    expectQuietRun(run);
    const report = run.out.report as { provider: { kind: string }; config: unknown[]; result: { exitCode: number } };
    expect(report.provider.kind).toBe('none');
    expect(report.config).toEqual([]);
    expect(report.result.exitCode).toBe(ExitCode.config);
  });

  it('an aborted signal interrupts the run as Ctrl-C does: a report, exit 130, soon after the abort', async () => {
    const env = smtpEnv(silent.port);
    const run = await script(
      [
        'const controller = new AbortController();',
        'setTimeout(() => controller.abort(), 300);',
        'const started = performance.now();',
        `out.report = await doctor({ env: ${JSON.stringify(env)}, dns: false, signal: controller.signal });`,
        'out.ms = performance.now() - started;',
        'out.early = await test({ sandbox: true, signal: AbortSignal.abort() });',
      ].join('\n'),
    );
    expectQuietRun(run);
    const report = run.out.report as { result: object; checks: { status: string }[]; diagnoses: unknown[] };
    assertValidReport(report, 'the report of an interrupted doctor()');
    expect(report.result).toEqual({ ok: false, exitCode: ExitCode.interrupted, failureClass: 'interrupted' });
    expect(report.checks.every((c) => c.status === 'pass')).toBe(true);
    expect(report.diagnoses).toEqual([]);
    // The greeting would have been waited for up to the 5 s timeout.
    expect(run.out.ms as number).toBeLessThan(3000);
    const early = run.out.early as { result: { exitCode: number }; error?: { message: string } };
    assertValidReport(early, 'the report of a run aborted before it began');
    expect(early.result.exitCode).toBe(ExitCode.interrupted);
    expect(early.error?.message).toMatch(/interrupted/);
  });

  it('options of the wrong type reject with a TypeError that names the option; nothing else rejects', async () => {
    const run = await script(
      [
        "const outcome = (promise) => promise.then((r) => 'resolved ' + r.result.exitCode, (e) => (e instanceof TypeError ? 'TypeError' : 'other') + ': ' + e.message);",
        'out.timeout = await outcome(doctor({ timeout: true }));',
        "out.typo = await outcome(doctor({ cafile: 'ca.pem' }));",
        'out.cliOnly = await outcome(test({ passwordStdin: true }));',
        'out.env = await outcome(probe({ env: { SMTP_PORT: 587 } }));',
        "out.list = await outcome(doctor({ dkimSelector: 'google' }));",
        "out.options = await outcome(doctor('--strict'));",
        // A bad value of the right type is the CLI's usage error, in a report.
        "out.badValue = await outcome(doctor({ timeout: 'soon' }));",
      ].join('\n'),
    );
    expectQuietRun(run);
    expect(run.out.timeout).toMatch(
      /^TypeError: mailcheck doctor\(\): timeout must be a number of milliseconds above 0 or a string as on the command line \(--timeout <duration>\), not a boolean$/,
    );
    expect(run.out.typo).toMatch(/^TypeError: .*unknown option "cafile"; the options are .*caFile/);
    expect(run.out.cliOnly).toMatch(/^TypeError: mailcheck test\(\): passwordStdin is a command-line flag only/);
    expect(run.out.env).toMatch(/^TypeError: mailcheck probe\(\): env must be an object of string values/);
    expect(run.out.list).toMatch(/^TypeError: mailcheck doctor\(\): dkimSelector must be an array of strings/);
    expect(run.out.options).toMatch(/^TypeError: mailcheck doctor\(\): options must be an object/);
    expect(run.out.badValue).toBe(`resolved ${ExitCode.usage}`);
  });

  it('importing it loads no bundled package and no command, until a function runs', () => {
    // The static imports of dist/index.js, followed through its chunks; `import()` is what is lazy.
    const dist = join(packed.installed, 'dist');
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const [, chunk] of readFileSync(join(dist, file), 'utf8').matchAll(/^import (?:[^'"]*? from )?"\.\/([^"]+)";$/gm)) visit(chunk!);
    };
    visit('index.js');
    // The entry and esbuild's runtime helpers: no command, no option table (they load with embedded-*.js).
    expect([...seen].filter((file) => !file.startsWith('chunk-'))).toEqual(['index.js']);
    expect(seen.size).toBeLessThanOrEqual(2);
    const bundled = [...seen].flatMap((file) => [...readFileSync(join(dist, file), 'utf8').matchAll(/^\/\/ (node_modules\/\S+)$/gm)].map((m) => m[1]));
    expect(bundled).toEqual([]);
  });
});

describe("the library's type declarations", () => {
  // Each line after @ts-expect-error must fail to compile: the options are typed, not `any`.
  const consumer = `import { doctor, probe, test, type Report } from 'mailcheck-cli';
const env: Record<string, string | undefined> = { SMTP_HOST: 'smtp.example.com' };
const r: Report = await doctor({ env, envFiles: ['.env'], caFile: 'ca.pem', timeout: '5s', strict: true, dns: false, dkimSelector: ['google'], signal: new AbortController().signal });
const code: number = r.result.exitCode;
const failure: string | undefined = r.result.failureClass;
const first: string | undefined = r.diagnoses[0]?.fixes[0];
await test({ to: 'you@example.com', caFile: undefined, sandbox: true });
await probe({ host: 'smtp.example.com', ports: '465,587', auth: true });
// @ts-expect-error a timeout is milliseconds or a string, as on the command line
await doctor({ timeout: true });
await doctor({ timeout: 1500, port: 587 });
// @ts-expect-error no such option
await doctor({ cafile: 'ca.pem' });
// @ts-expect-error the library reads no stdin
await test({ passwordStdin: true });
// @ts-expect-error test has no --strict
await test({ strict: true });
export { code, failure, first };
`;
  const compilerOptions = {
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    target: 'ES2022',
    noEmit: true,
    skipLibCheck: false,
  };

  async function compile(dir: string, extra: Record<string, unknown>): Promise<CliRun> {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { ...compilerOptions, ...extra }, files: ['consumer.mts'] }));
    writeFileSync(join(dir, 'consumer.mts'), consumer);
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    return collect(spawn(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: dir, env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] }));
  }

  it('type-check a strict consumer with no other types at all (no @types/node: DOM lib for AbortController)', async () => {
    // In the project, so that 'mailcheck-cli' resolves to the installed tarball and nothing else is there.
    const run = await compile(join(packed.project, 'types-alone'), { lib: ['ES2022', 'DOM'], types: [] });
    expect(run.stdout + run.stderr).toBe('');
    expect(run.code).toBe(0);
  });

  it("type-check a strict Node consumer (with @types/node, Node's AbortSignal)", async () => {
    const typesDir = join(packed.project, 'node_modules', '@types');
    mkdirSync(typesDir, { recursive: true });
    if (!existsSync(join(typesDir, 'node'))) symlinkSync(join(root, 'node_modules', '@types', 'node'), join(typesDir, 'node'));
    const run = await compile(join(packed.project, 'types-node'), { lib: ['ES2022'], types: ['node'] });
    expect(run.stdout + run.stderr).toBe('');
    expect(run.code).toBe(0);
  });
});
