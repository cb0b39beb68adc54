import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ExitCode } from '../../src/exit-codes.js';
import { mailcheckArgs, packageSpec, splitArgs } from '../../action/run.mjs';
import { localhostCert } from '../fixtures/certs.js';
import { collect } from '../fixtures/cli.js';
import { assertValidReport } from '../fixtures/report-schema.js';
import { defaultUser, startTestServer, type TestServer } from '../fixtures/smtp-server.js';
import { ensureBuilt } from './cli-harness.js';

/**
 * The GitHub Action (action.yml) run the way the runner runs a composite action, without GitHub:
 * each `run:` step written to a file and started as `bash --noprofile --norc -eo pipefail <file>`
 * with the step's `env:` after substituting the `${{ }}` expressions this file knows (and failing
 * on any other, so a construct it cannot evaluate never passes unnoticed), GITHUB_ACTIONS=true,
 * and RUNNER_TEMP, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_ENV and GITHUB_PATH as files in a
 * temp dir. The package is the packed tarball (`npm pack`), installed by npx with an empty npm
 * cache and npm_config_offline, so the run needs no registry; the server is on loopback.
 */

const root = fileURLToPath(new URL('../..', import.meta.url));
const own = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };

interface ActionStep {
  id?: string;
  name?: string;
  shell?: string;
  run?: string;
  env?: Record<string, string>;
  [key: string]: unknown;
}
interface Action {
  inputs: Record<string, { default?: string; required?: boolean }>;
  outputs: Record<string, { value: string }>;
  runs: { using: string; steps: ActionStep[] };
}
const action = parseYaml(readFileSync(join(root, 'action.yml'), 'utf8')) as Action;

interface Context {
  inputs: Record<string, string>;
  steps: Record<string, { outputs: Record<string, string> }>;
}

/**
 * `${{ <expr> }}` for exactly the expressions the action may use: inputs.<declared name>,
 * github.action_path, and steps.<earlier id>.outputs.<name>. Anything else throws.
 */
function substitute(text: string, ctx: Context): string {
  const replaced = text.replace(/\$\{\{(.*?)\}\}/gs, (_all, raw: string) => {
    const expr = raw.trim();
    const input = expr.match(/^inputs\.([A-Za-z_][\w-]*)$/);
    if (input) {
      if (!(input[1]! in action.inputs)) throw new Error(`\${{ ${expr} }}: no such input in action.yml`);
      return ctx.inputs[input[1]!]!;
    }
    if (expr === 'github.action_path') return root.replace(/\/$/, '');
    const output = expr.match(/^steps\.([A-Za-z_][\w-]*)\.outputs\.([A-Za-z_][\w-]*)$/);
    if (output) {
      const step = ctx.steps[output[1]!];
      if (!step) throw new Error(`\${{ ${expr} }}: no earlier step with id ${output[1]}`);
      // As on GitHub: an output the step did not set is the empty string.
      return step.outputs[output[2]!] ?? '';
    }
    throw new Error(`the test runner does not support the expression \${{ ${expr} }}: teach test/e2e/action.test.ts, or do not use it`);
  });
  if (replaced.includes('${{')) throw new Error(`unterminated expression in ${JSON.stringify(text)}`);
  return replaced;
}

/** GITHUB_OUTPUT as the runner reads it: `name=value` lines and `name<<DELIMITER` blocks; nothing else. */
function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const heredoc = line.match(/^([^=<]+)<<(.+)$/);
    if (heredoc) {
      const end = lines.indexOf(heredoc[2]!, i + 1);
      if (end < 0) throw new Error(`GITHUB_OUTPUT: no closing ${heredoc[2]} for ${heredoc[1]}`);
      outputs[heredoc[1]!] = lines.slice(i + 1, end).join('\n');
      i = end;
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`GITHUB_OUTPUT: a line the runner would reject: ${JSON.stringify(line)}`);
    outputs[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return outputs;
}

let work: string;
let tarball: string;
let server: TestServer;
let noAuth: TestServer;
let caFile: string;
/** Distinctive, and long enough that mailcheck does not withhold the server's words (safety/secrets.ts). */
const secret = 'Act10n-Secr3t-Zq8Wv-Lm4Kp';

interface ActionRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The action's outputs, resolved from its outputs: section. */
  outputs: Record<string, string>;
  /** Everything written to files the runner provides. */
  outputFiles: string;
  summary: string;
  runnerTemp: string;
  cwd: string;
}

let runs = 0;
/** Runs every step of the action with these `with:` inputs and this job environment, as the runner does. */
async function runAction(withInputs: Record<string, string>, jobEnv: Record<string, string>, setup?: (cwd: string) => void): Promise<ActionRun> {
  const dir = join(work, `run-${++runs}`);
  const cwd = join(dir, 'workspace');
  const runnerTemp = join(dir, 'runner-temp');
  for (const d of [cwd, runnerTemp, join(dir, 'npm-cache'), join(dir, 'home')]) mkdirSync(d, { recursive: true });
  setup?.(cwd);
  for (const name of Object.keys(withInputs)) if (!(name in action.inputs)) throw new Error(`with: ${name} is not an input of action.yml`);
  const inputs = Object.fromEntries(Object.entries(action.inputs).map(([name, spec]) => [name, withInputs[name] ?? spec.default ?? '']));
  const ctx: Context = { inputs, steps: {} };
  const files = { GITHUB_STEP_SUMMARY: join(dir, 'summary.md'), GITHUB_ENV: join(dir, 'env'), GITHUB_PATH: join(dir, 'path') };
  for (const f of Object.values(files)) writeFileSync(f, '');
  let stdout = '';
  let stderr = '';
  let code: number | null = 0;
  let outputFiles = '';
  expect(action.runs.using).toBe('composite');
  for (const [index, step] of action.runs.steps.entries()) {
    // Keys this runner does not implement must not be silently ignored.
    const unsupported = Object.keys(step).filter((k) => !['id', 'name', 'shell', 'run', 'env'].includes(k));
    expect(unsupported, `step ${index}: keys the test runner does not implement`).toEqual([]);
    expect(step.shell).toBe('bash');
    expect(typeof step.run).toBe('string');
    const outputFile = join(dir, `output-${index}`);
    writeFileSync(outputFile, '');
    const script = join(dir, `step-${index}.sh`);
    writeFileSync(script, substitute(step.run!, ctx));
    const stepEnv = Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, substitute(String(v), ctx)]));
    const env = {
      PATH: process.env.PATH,
      HOME: join(dir, 'home'),
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      RUNNER_TEMP: runnerTemp,
      GITHUB_WORKSPACE: cwd,
      GITHUB_OUTPUT: outputFile,
      ...files,
      // npx gets the tarball with no registry: an empty cache and offline mode.
      npm_config_cache: join(dir, 'npm-cache'),
      npm_config_offline: 'true',
      npm_config_update_notifier: 'false',
      npm_config_audit: 'false',
      npm_config_fund: 'false',
      ...jobEnv,
      ...stepEnv,
    };
    const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const r = await collect(child);
    stdout += r.stdout;
    stderr += r.stderr;
    code = r.code;
    const written = readFileSync(outputFile, 'utf8');
    outputFiles += written;
    if (step.id) ctx.steps[step.id] = { outputs: parseOutputFile(written) };
    if (code !== 0) break; // no `if:` on any step: the rest would not run
  }
  // The action has no business changing the job's environment or PATH.
  expect(readFileSync(files.GITHUB_ENV, 'utf8')).toBe('');
  expect(readFileSync(files.GITHUB_PATH, 'utf8')).toBe('');
  const outputs = Object.fromEntries(Object.entries(action.outputs).map(([name, o]) => [name, substitute(o.value, ctx)]));
  const summary = readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8');
  return { code, stdout, stderr, outputs, outputFiles, summary, runnerTemp, cwd };
}

/** The SMTP configuration as a workflow gives it: variables in env:, the password from a secret. */
const jobEnv = (password: string) => ({
  SMTP_HOST: '127.0.0.1',
  SMTP_PORT: String(server.port),
  SMTP_SECURE: '0',
  SMTP_USER: defaultUser,
  SMTP_SENDER: 'App <app@example.com>',
  SMTP_PASSWORD: password,
});

function expectNoSecret(run: ActionRun): void {
  const reports = readdirSync(run.runnerTemp, { recursive: true, encoding: 'utf8' })
    .map((p) => join(run.runnerTemp, p))
    .filter((p) => p.endsWith('.json'))
    .map((p) => readFileSync(p, 'utf8'));
  for (const [where, text] of Object.entries({
    stdout: run.stdout,
    stderr: run.stderr,
    GITHUB_OUTPUT: run.outputFiles,
    summary: run.summary,
    reports: reports.join('\n'),
  })) {
    expect(text.includes(secret), `the password appears in ${where}`).toBe(false);
  }
}

function report(run: ActionRun): { result: { ok: boolean; exitCode: number; failureClass?: string }; config: { variable: string; source: string }[] } {
  const document = JSON.parse(readFileSync(run.outputs['json-file']!, 'utf8'));
  assertValidReport(document, 'the report in json-file');
  return document;
}

beforeAll(async () => {
  await ensureBuilt();
  work = mkdtempSync(join(tmpdir(), 'mailcheck-action-'));
  // --ignore-scripts: dist/ is built; `prepare` would only build it again.
  const { stdout } = await promisify(execFile)('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: work, npm_config_cache: join(work, 'pack-cache'), npm_config_update_notifier: 'false' },
  });
  tarball = join(work, (JSON.parse(stdout) as { filename: string }[])[0]!.filename);
  server = await startTestServer({ password: secret });
  noAuth = await startTestServer({ noAuth: true });
  // A directory with a space: `args` must pass it as one argument when quoted.
  mkdirSync(join(work, 'private ca'));
  caFile = join(work, 'private ca', 'ca.pem');
  writeFileSync(caFile, (await localhostCert()).cert);
}, 60_000);
afterAll(async () => {
  await Promise.all([server?.close(), noAuth?.close()]);
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('action.yml', () => {
  it('is a composite action whose run: scripts contain no ${{ }} (inputs reach them only through env:)', () => {
    expect(action.runs.using).toBe('composite');
    expect(action.runs.steps.length).toBeGreaterThan(0);
    for (const step of action.runs.steps) {
      expect(step.run).toBeDefined();
      expect(step.run).not.toContain('${{');
      expect(step.run).not.toMatch(/set -x|set -o xtrace|\benv\b|printenv/);
    }
    expect(Object.keys(action.inputs).sort()).toEqual(['args', 'command', 'env-files', 'json-file', 'package', 'send', 'strict', 'to', 'version']);
    expect(Object.keys(action.outputs).sort()).toEqual(['exit-code', 'failure-class', 'json-file']);
    expect(action.inputs.command!.default).toBe('doctor');
  });

  it("the README's copy-paste workflow uses only inputs and outputs action.yml has", () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('#### GitHub Action'));
    const workflow = parseYaml(section.match(/```yaml\n([\s\S]*?)```/)![1]!) as {
      jobs: Record<string, { steps: { uses?: string; with?: Record<string, unknown> }[] }>;
    };
    const steps = Object.values(workflow.jobs).flatMap((j) => j.steps);
    const ours = steps.filter((st) => st.uses?.endsWith('/mailcheck@v1'));
    expect(ours).toHaveLength(1);
    expect(Object.keys(ours[0]!.with!).filter((k) => !(k in action.inputs))).toEqual([]);
    const used = [...section.slice(0, section.indexOf('```', section.indexOf('```yaml') + 7)).matchAll(/steps\.mailcheck\.outputs\.([\w-]+)/g)].map(
      (m) => m[1]!,
    );
    expect(used.length).toBeGreaterThan(0);
    expect(used.filter((o) => !(o in action.outputs))).toEqual([]);
  });

  it('the test runner fails on expressions it does not know', () => {
    const ctx: Context = { inputs: { command: 'doctor' }, steps: {} };
    expect(substitute('a ${{ inputs.command }} b', ctx)).toBe('a doctor b');
    expect(() => substitute('${{ secrets.TOKEN }}', ctx)).toThrow(/does not support/);
    expect(() => substitute("${{ format('{0}', inputs.command) }}", ctx)).toThrow(/does not support/);
    expect(() => substitute('${{ inputs.nope }}', ctx)).toThrow(/no such input/);
    expect(() => substitute('${{ steps.later.outputs.x }}', ctx)).toThrow(/no earlier step/);
    expect(() => substitute('${{ inputs.command', ctx)).toThrow(/unterminated/);
    expect(parseOutputFile('a=1\nb<<EOF\nx\ny=z\nEOF\n')).toEqual({ a: '1', b: 'x\ny=z' });
    expect(() => parseOutputFile('just text\n')).toThrow(/reject/);
  });
});

describe('the action, run as the runner runs it', () => {
  it('doctor passes: exit 0, outputs set, the report valid and in RUNNER_TEMP, the summary written, the password nowhere', async () => {
    const run = await runAction(
      {
        to: 'you@example.com',
        // Two files, comma- and newline-separated: each becomes a --dotenv.
        'env-files': 'host.env, \naccount.env\n',
        // --no-dns: tests never ask a real DNS server (test/fixtures/cli.ts withoutRealDns).
        args: `--ca-file "${caFile}" --timeout 5s --no-dns`,
        package: tarball,
      },
      { SMTP_PASSWORD: secret },
      (cwd) => {
        writeFileSync(join(cwd, 'host.env'), `SMTP_HOST=127.0.0.1\nSMTP_PORT=${server.port}\nSMTP_SECURE=0\n`);
        writeFileSync(join(cwd, 'account.env'), `SMTP_USER=${defaultUser}\nSMTP_SENDER="App <app@example.com>"\n`);
      },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.outputs['exit-code']).toBe('0');
    expect(run.outputs['failure-class']).toBe('ok');
    expect(run.outputs['json-file']!.startsWith(run.runnerTemp)).toBe(true);
    const r = report(run);
    expect(r.result.exitCode).toBe(0);
    expect(r.result.ok).toBe(true);
    const sources = Object.fromEntries(r.config.map((c) => [c.variable, c.source]));
    expect(sources.SMTP_PORT).toMatch(/host\.env line 2/);
    expect(sources.SMTP_USER).toMatch(/account\.env line 1/);
    expect(sources.SMTP_PASSWORD).toBe('the environment');
    expect(run.summary).toMatch(/^## .*mailcheck doctor/m);
    expect(run.summary).toContain('### Checks');
    expectNoSecret(run);
  });

  it('a wrong password: the step fails with exit 6, outputs still set (auth), ::error annotations, the password nowhere', async () => {
    const wrong = `${secret}-but-wrong`;
    const run = await runAction({ to: 'you@example.com', args: `--ca-file '${caFile}' --no-dns`, package: tarball }, jobEnv(wrong));
    expect(run.code).toBe(ExitCode.auth);
    expect(run.outputs['exit-code']).toBe(String(ExitCode.auth));
    expect(run.outputs['failure-class']).toBe('auth');
    const r = report(run);
    expect(r.result.exitCode).toBe(Number(run.outputs['exit-code']));
    expect(r.result.failureClass).toBe('auth');
    expect(run.stderr).toMatch(/^::error title=mailcheck doctor%3A [^:]*::/m);
    expect(run.summary).toMatch(/^## .*mailcheck doctor/m);
    expect(run.summary).toContain('### Diagnosis');
    for (const text of [run.stdout, run.stderr, run.outputFiles, run.summary, readFileSync(run.outputs['json-file']!, 'utf8')]) {
      expect(text).not.toContain(wrong);
    }
    expectNoSecret(run);
  });

  it('strict: doctor against a server without AUTH warns, and --strict makes that exit 11 (warnings) with a ::warning', async () => {
    const run = await runAction(
      { strict: 'true', to: 'you@example.com', args: `--ca-file "${caFile}" --no-dns`, package: tarball },
      { ...jobEnv(secret), SMTP_PORT: String(noAuth.port) },
    );
    expect(run.code).toBe(ExitCode.warnings);
    expect(run.outputs['exit-code']).toBe(String(ExitCode.warnings));
    expect(run.outputs['failure-class']).toBe('warnings');
    expect(report(run).result.exitCode).toBe(ExitCode.warnings);
    expect(run.stderr).toMatch(/^::warning title=mailcheck doctor%3A smtp\.auth::/m);
    expectNoSecret(run);
  });

  it('test --sandbox with json-file: the report goes where json-file says (relative to the workspace)', async () => {
    const run = await runAction({ command: 'test', 'json-file': 'reports/mail check.json', to: 'you@example.com', args: '--sandbox', package: tarball }, {});
    expect(run.code, run.stderr).toBe(0);
    expect(run.outputs['json-file']).toBe(join(run.cwd, 'reports', 'mail check.json'));
    expect(run.outputs['failure-class']).toBe('ok');
    expect(report(run).result.exitCode).toBe(0);
  });

  it("an input the command does not take (strict with test): mailcheck's own usage error, exit 2, with its report", async () => {
    const run = await runAction({ command: 'test', strict: 'true', to: 'you@example.com', args: '--sandbox', package: tarball }, {});
    expect(run.code).toBe(ExitCode.usage);
    expect(run.outputs['failure-class']).toBe('usage');
    expect(report(run).result.exitCode).toBe(ExitCode.usage);
    expect(run.stderr).toContain("unknown option '--strict'");
  });

  it('shell syntax in inputs is passed as text: nothing is run, nothing expanded', async () => {
    const canary = join(work, 'pwned');
    const run = await runAction(
      {
        to: `you@example.com$(touch ${canary})`,
        'env-files': `$(touch ${canary}).env`,
        args: `--timeout "5s\`touch ${canary}\`" $HOME ; touch ${canary}`,
        package: tarball,
      },
      jobEnv(secret),
    );
    expect(existsSync(canary)).toBe(false);
    // mailcheck saw the text literally and refused it (a usage or configuration error), in a report.
    expect(run.code).not.toBe(0);
    expect(run.outputs['exit-code']).toBe(String(run.code));
    expect(['usage', 'config']).toContain(run.outputs['failure-class']);
    expect(report(run).result.exitCode).toBe(run.code);
    expectNoSecret(run);
  });

  it('an invalid command input: exit 2 and an ::error from the action, before npx runs anything', async () => {
    const run = await runAction({ command: 'send', package: tarball }, jobEnv(secret));
    expect(run.code).toBe(ExitCode.usage);
    expect(run.stdout).toMatch(/^::error title=mailcheck action::the command input must be one of doctor, test, probe/m);
    expect(run.outputs).toEqual({ 'exit-code': '2', 'failure-class': 'usage', 'json-file': '' });
    expect(readdirSync(run.runnerTemp)).toEqual([]);
  });
});

describe('action/run.mjs', () => {
  it('splits args like a shell splits words, without expanding anything', () => {
    expect(splitArgs('')).toEqual([]);
    expect(splitArgs('  --timeout 5s\n--strict\t')).toEqual(['--timeout', '5s', '--strict']);
    expect(splitArgs(`--ca-file "/a b/ca.pem" --from 'App <a@b.c>'`)).toEqual(['--ca-file', '/a b/ca.pem', '--from', 'App <a@b.c>']);
    expect(splitArgs(String.raw`a\ b "q\"uote" 'it''s' x\\y`)).toEqual(['a b', 'q"uote', 'its', 'x\\y']);
    expect(splitArgs('$HOME $(id) `id` * ~ ; | &&')).toEqual(['$HOME', '$(id)', '`id`', '*', '~', ';', '|', '&&']);
    expect(splitArgs('--a \\\n--b "" \'\'')).toEqual(['--a', '--b', '', '']);
    expect(() => splitArgs('"open')).toThrow(/unterminated double quote/);
    expect(() => splitArgs("'open")).toThrow(/unterminated single quote/);
    expect(() => splitArgs('end\\')).toThrow(/lone backslash/);
  });

  it('runs the version in package.json at the action ref by default; a version or dist-tag otherwise; rejects anything else', () => {
    expect(packageSpec({}, root)).toBe(`mailcheck-cli@${own.version}`);
    expect(packageSpec({ MAILCHECK_ACTION_VERSION: 'latest' }, root)).toBe('mailcheck-cli@latest');
    expect(packageSpec({ MAILCHECK_ACTION_VERSION: '^1.2' }, root)).toBe('mailcheck-cli@^1.2');
    expect(packageSpec({ MAILCHECK_ACTION_PACKAGE: '/tmp/x.tgz', MAILCHECK_ACTION_VERSION: '1.0.0' }, root)).toBe('/tmp/x.tgz');
    for (const bad of ['file:../evil', 'git+https://x/y.git', '1.0.0 --foo', '--registry=x', 'a/b']) {
      expect(() => packageSpec({ MAILCHECK_ACTION_VERSION: bad }, root), bad).toThrow(/version input/);
    }
    expect(() => packageSpec({ MAILCHECK_ACTION_PACKAGE: '--registry=http://x' }, root)).toThrow(/not an option/);
  });

  it('builds the command line: --json first, repeated --dotenv, flags, then args', () => {
    expect(
      mailcheckArgs({
        MAILCHECK_ACTION_ENV_FILES: 'a.env,b.env\n c.env ',
        MAILCHECK_ACTION_STRICT: 'true',
        MAILCHECK_ACTION_SEND: 'TRUE',
        MAILCHECK_ACTION_TO: 'x@y.z',
        MAILCHECK_ACTION_ARGS: '--timeout 5s',
      }),
    ).toEqual({
      command: 'doctor',
      args: ['doctor', '--json', '--dotenv', 'a.env', '--dotenv', 'b.env', '--dotenv', 'c.env', '--strict', '--send', '--to', 'x@y.z', '--timeout', '5s'],
    });
    expect(mailcheckArgs({ MAILCHECK_ACTION_COMMAND: 'probe', MAILCHECK_ACTION_STRICT: 'false', MAILCHECK_ACTION_SEND: '' }).args).toEqual(['probe', '--json']);
    expect(() => mailcheckArgs({ MAILCHECK_ACTION_STRICT: 'yes' })).toThrow(/strict input must be true or false/);
    expect(() => mailcheckArgs({ MAILCHECK_ACTION_COMMAND: 'init' })).toThrow(/command input/);
  });
});
