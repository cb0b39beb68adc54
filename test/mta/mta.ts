import { describe, expect } from 'vitest';
import { ensureBuilt } from '../e2e/cli-harness.js';
import { runCli, type CliRun } from '../fixtures/cli.js';
import { installScript, login, mtaUnavailable, type Lab } from './harness.mjs';

/**
 * What the real-MTA test files share: whether to run at all, and one way to drive the built CLI
 * against a lab listener and read its JSON report.
 */

/**
 * `describe` for a file that needs real MTAs: skipped with the reason (and the script to run)
 * when they cannot start here, but on CI (CI=true) a missing MTA fails the run, so a green CI
 * cannot hide a suite that never ran.
 */
export function describeWithMtas(name: string, kind: 'postfix' | 'exim', body: () => void): void {
  const unavailable = mtaUnavailable(kind);
  if (unavailable && process.env.CI === 'true') {
    throw new Error(`${name}: ${unavailable}. On CI the real-MTA tests must run: .ci/run calls ${installScript} before npm test.`);
  }
  if (unavailable) {
    // The default reporter shows only a count of skipped tests, so say why where it is seen.
    console.warn(`skipping ${name}: ${unavailable}`);
    describe.skip(`${name} (skipped: ${unavailable})`, body);
  } else {
    describe(name, body);
  }
}

export interface TranscriptLine {
  at: number;
  dir: 'client' | 'server' | 'info' | string;
  text: string;
}

/** The parts of the --json report these tests read. */
export interface JsonReport {
  result: { exitCode: number; failureClass?: string };
  diagnoses?: { id: string; class?: string; summary?: string; causes?: string[]; fixes?: string[] }[];
  transcript?: TranscriptLine[];
  checks?: { id: string; status: string; message?: string }[];
}

export interface MailcheckRun extends CliRun {
  json: JsonReport;
  ids: string[];
}

export interface Session {
  port: number;
  secure: '0' | '1';
  /** Default: the login every lab knows. */
  password?: string;
  /** Default: app@<lab domain>, the sender the login owns. */
  from?: string;
}

/**
 * Runs `mailcheck <args> --json` with the session in the environment (SMTP_* variables, as an
 * app's deploy would set them), trusting the lab's CA with --ca-file, in the lab's directory (no
 * .env there), and checks the exit code agrees with the JSON's.
 */
export async function mailcheck(lab: Lab<string>, session: Session, args: string[]): Promise<MailcheckRun> {
  await ensureBuilt();
  const run = await runCli([...args, '--json', '--ca-file', lab.caFile], {
    cwd: lab.dir,
    env: {
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(session.port),
      SMTP_USER: login.user,
      SMTP_PASSWORD: session.password ?? login.password,
      SMTP_SENDER: session.from ?? `app@${lab.domain}`,
      SMTP_SECURE: session.secure,
    },
  });
  let json: JsonReport;
  try {
    json = JSON.parse(run.stdout) as JsonReport;
  } catch {
    throw new Error(`mailcheck ${args.join(' ')} printed no JSON (exit ${run.code}):\n${run.stdout}\n${run.stderr}\n${lab.describe()}`);
  }
  expect(run.code, 'exit code and result.exitCode agree').toBe(json.result.exitCode);
  return { ...run, json, ids: (json.diagnoses ?? []).map((d) => d.id) };
}

/**
 * The exit code and the diagnosis ids, compared in one go, exactly; a failure shows both and the
 * end of the transcript (the server's own words).
 */
export function expectOutcome(run: MailcheckRun, exit: number, ids: string[]): void {
  const tail = (run.json.transcript ?? [])
    .slice(-8)
    .map((l) => `${l.dir} ${l.text}`)
    .join('\n');
  expect({ exit: run.code, ids: run.ids }, `transcript ends:\n${tail}`).toEqual({ exit, ids });
}

/** The lines one side sent, in order. */
export function lines(run: MailcheckRun, dir: 'client' | 'server'): string[] {
  return (run.json.transcript ?? []).filter((l) => l.dir === dir).map((l) => l.text);
}
