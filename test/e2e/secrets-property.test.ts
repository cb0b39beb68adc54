import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/exit-codes.js';
import { escapeData, markdownText } from '../../src/render/github.js';
import { startFakeResend } from '../fixtures/fake-resend.js';
import { localhostCert } from '../fixtures/certs.js';
import { runCli, stackTrace } from '../fixtures/cli.js';
import { startTestServer } from '../fixtures/smtp-server.js';
import { closedPort } from '../fixtures/unreachable.mjs';

/**
 * A property: whatever the secret looks like, and whichever way a run ends, it never leaves the
 * process. Random passwords and API keys (seeded, so a failure reproduces: set
 * MAILCHECK_SECRET_SEED to the seed in the failing test's name) go through every scenario, every
 * command and every output mode of the built binary; stdout, stderr and every file the run wrote
 * are searched for the secret in each encoding it could take on the way out.
 */

const seed = Number(process.env.MAILCHECK_SECRET_SEED ?? 0x5ec7e7);

/** mulberry32: small, fast, and the same sequence on every machine. */
function prng(start: number): () => number {
  let a = start >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const random = prng(seed);
const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
const pick = <T>(items: readonly T[]): T => items[int(0, items.length - 1)]!;
const drawFrom = (alphabet: string, length: number) => Array.from({ length }, () => pick([...alphabet])).join('');

const alnum = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const base64Alphabet = `${alnum}+/`;
// Protocol words and reply codes a careless scrubber would trip over, or that a leak could hide in.
const protocolWords = ['EHLO', '250', 'AUTH', 'PLAIN', 'LOGIN', '235', '334', '535', 'STARTTLS', 'MAIL', 'RCPT', 'DATA', 'QUIT', 'OK', 're_', 'SMTP'];
const nonAscii = ['ä', 'ö', 'ß', 'é', 'ñ', 'ø', '日本', '語', 'пароль', 'σ', '🔑', '€', 'ı', 'İ', 'ﬁ', 'a\u0301'];

/**
 * A two-letter password occurs in ordinary words, so "finding" it in the output would prove
 * nothing; secrets shorter than this are left to secrets-differential.test.ts, which compares
 * whole outputs instead (none of the generators below produce one; the guard keeps it that way).
 */
const minSecretLength = 4;

type SecretKind = 'base64-looking' | 'protocol-words' | 'punctuation' | 'non-ascii' | 'mixed';

const secretGenerators: Record<SecretKind, () => string> = {
  // Looks like the base64 the transcript is full of (and may end in padding).
  'base64-looking': () => `${drawFrom(base64Alphabet, int(3, 8) * 4 - 2)}${pick(['==', 'Q=', 'xy'])}`,
  // Protocol words with random padding, so the secret itself never occurs in honest output.
  'protocol-words': () => `${drawFrom(alnum, int(4, 6))}${pick(protocolWords)}${drawFrom(alnum, int(2, 4))}${pick(protocolWords)}${drawFrom(alnum, int(4, 6))}`,
  // What breaks quoting: spaces, both quotes, #, =, backslash, %, +, :, &.
  punctuation: () => `${drawFrom(alnum, 4)}${Array.from({ length: int(6, 12) }, () => pick([...' "\'#=\\%+:&!', ...alnum])).join('')}${drawFrom(alnum, 3)}`,
  'non-ascii': () => `${drawFrom(alnum, 3)}${Array.from({ length: int(3, 6) }, () => pick(nonAscii)).join(pick(['', '-', ' ']))}${drawFrom(alnum, 3)}`,
  mixed: () => Array.from({ length: int(10, 24) }, () => pick([...alnum, ...' #="\'', ...nonAscii])).join(''),
};

const secretKinds = Object.keys(secretGenerators) as SecretKind[];
let kindTurn = 0;

function drawPassword(): string {
  for (;;) {
    const secret = secretGenerators[secretKinds[kindTurn++ % secretKinds.length]!]();
    if (secret.length >= minSecretLength && secret.trim() === secret) return secret;
  }
}

/** Resend keys: re_ and the characters the key lint accepts, seeded with protocol words too. */
function drawApiKey(): string {
  const body = random() < 0.5 ? drawFrom(`${alnum}_`, int(16, 32)) : `${drawFrom(alnum, 6)}_${pick(protocolWords).replace(/\W/g, '')}_${drawFrom(alnum, 12)}`;
  return `re_${body}`;
}

// --- what counts as a leak --------------------------------------------------------------------

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/** Every form in which the secret could leave: raw, escaped for each output, and inside AUTH payloads. */
function leakForms(secret: string, users: string[]): string[] {
  const forms = new Set<string>([
    secret,
    JSON.stringify(secret).slice(1, -1),
    encodeURIComponent(secret),
    encodeURIComponent(secret).replace(/%20/g, '+'),
    markdownText(secret),
    escapeData(secret),
    b64(secret),
    b64(secret).replace(/=+$/, ''),
    Buffer.from(secret, 'utf8').toString('base64url'),
  ]);
  for (const user of users) {
    forms.add(b64(`\u0000${user}\u0000${secret}`)); // AUTH PLAIN
    forms.add(b64(`${user}\u0000${user}\u0000${secret}`)); // AUTH PLAIN with an authorization identity
  }
  return [...forms];
}

function findLeaks(secret: string, users: string[], outputs: Record<string, string>): string[] {
  const found: string[] = [];
  for (const [where, text] of Object.entries(outputs)) {
    for (const form of leakForms(secret, users)) if (text.includes(form)) found.push(`${where} contains ${JSON.stringify(form)}`);
  }
  return found;
}

// --- how the secret reaches mailcheck -----------------------------------------------------------

type Delivery = 'env' | 'alias-env' | 'dotenv' | 'stdin';

/** How to write the value in .env so dotenv keeps it whole; undefined when no quoting can. */
function dotenvQuoted(value: string): string | undefined {
  if (!value.includes("'")) return `'${value}'`;
  if (!value.includes('`')) return `\`${value}\``;
  if (!value.includes('"') && !value.includes('\\')) return `"${value}"`;
  return undefined;
}

// --- scenarios --------------------------------------------------------------------------------

type Command = 'test' | 'doctor' | 'probe' | 'init';
type Mode = 'human' | 'json' | 'github' | 'github-json';
const modes: Mode[] = ['human', 'json', 'github', 'github-json'];

interface Prepared {
  env: Record<string, string>;
  /** The .env file's lines, when the scenario's values come from a file. */
  dotenv?: string[];
  /** The arguments after the command name. */
  args: string[];
  users: string[];
  close(): Promise<void>;
}

interface Scenario {
  name: string;
  /** Where the secret goes: the SMTP password (or its alias), or the Resend API key. */
  secret: 'password' | 'apiKey';
  /** What it looks like; by default a password is random and an API key is shaped like one (re_...). */
  shape?: 'password' | 'apiKey';
  /** The exit code each command must end with: proof the scenario happened as intended. */
  exits: Partial<Record<Command, number>>;
  /** Start Node with `--` (only for the --env-file error path: nodejs/node#54232). */
  endNodeOptions?: boolean;
  prepare(secret: string, command: Command): Promise<Prepared>;
}

const user = 'mailer';
const noop = async () => {};

/** The SMTP block for a loopback server; the password itself is added per delivery. */
const smtpEnv = (port: number, extra: Record<string, string> = {}) => ({
  SMTP_HOST: '127.0.0.1',
  SMTP_PORT: String(port),
  SMTP_USER: user,
  SMTP_SENDER: 'Sender <sender@example.com>',
  SMTP_SECURE: '0',
  ...extra,
});

/** Each command's way of pointing at the same server; `init` takes every answer as a flag (and, without --write, writes nothing). */
function smtpArgs(command: Command, env: Record<string, string>): string[] {
  switch (command) {
    case 'test':
      return ['--to', 'rcpt@example.com'];
    case 'doctor':
      return [];
    case 'probe':
      return [env.SMTP_HOST!, '--ports', env.SMTP_PORT!, '--auth'];
    case 'init':
      return [
        '--provider',
        'other',
        '--host',
        env.SMTP_HOST!,
        '--port',
        env.SMTP_PORT!,
        '--user',
        user,
        '--secure',
        env.SMTP_SECURE!,
        '--from',
        'sender@example.com',
        '--to',
        'rcpt@example.com',
      ];
  }
}

function smtpScenario(
  name: string,
  exits: Scenario['exits'],
  server: (secret: string) => Promise<{ port: number; close(): Promise<void> }>,
  extraEnv: Record<string, string> = {},
): Scenario {
  return {
    name,
    secret: 'password',
    exits,
    async prepare(secret, command) {
      const s = await server(secret);
      const env = smtpEnv(s.port, extraEnv);
      return { env, args: smtpArgs(command, env), users: [user], close: () => s.close() };
    },
  };
}

const sandboxReply = 'You can only send testing emails to your own email address (owner@example.com)';

const scenarios: Scenario[] = [
  smtpScenario('success', { test: ExitCode.ok, doctor: ExitCode.ok, probe: ExitCode.ok, init: ExitCode.ok }, (secret) =>
    startTestServer({ user, password: secret }),
  ),
  smtpScenario('535 wrong password', { test: ExitCode.auth, doctor: ExitCode.auth, probe: ExitCode.auth }, () =>
    startTestServer({ user, password: 'the-right-one' }),
  ),
  smtpScenario('535 that echoes the credentials back, raw and base64', { test: ExitCode.auth, doctor: ExitCode.auth, init: ExitCode.auth }, () =>
    startTestServer({
      extra: {
        onAuth(auth, _session, callback) {
          const plain = b64(`\u0000${auth.username}\u0000${auth.password}`);
          callback(Object.assign(new Error(`5.7.8 rejected ${auth.username}:${auth.password} (${plain}) ${b64(auth.password ?? '')}`), { responseCode: 535 }));
        },
      },
    }),
  ),
  smtpScenario('550 sender', { test: ExitCode.envelope, doctor: ExitCode.envelope }, (secret) =>
    startTestServer({ user, password: secret, rejectMail: { code: 550, message: '5.7.1 Sender address not verified' } }),
  ),
  smtpScenario('550 sandbox-like recipient', { test: ExitCode.envelope, doctor: ExitCode.envelope }, (secret) =>
    startTestServer({ user, password: secret, rejectRcpt: { code: 550, message: sandboxReply } }),
  ),
  smtpScenario('connection refused', { test: ExitCode.network, doctor: ExitCode.network, probe: ExitCode.network }, async () => ({
    port: await closedPort(),
    close: noop,
  })),
  smtpScenario(
    'TLS mismatch (implicit TLS on a STARTTLS port)',
    { test: ExitCode.tls, doctor: ExitCode.tls, init: ExitCode.tls },
    (secret) => startTestServer({ user, password: secret }),
    { SMTP_SECURE: '1' },
  ),
  smtpScenario('configuration error (bad port)', { test: ExitCode.config, doctor: ExitCode.config }, async () => ({ port: 0, close: noop }), {
    SMTP_PORT: 'twenty-five',
  }),
  {
    name: 'usage error (bad --timeout)',
    secret: 'password',
    exits: { test: ExitCode.usage, doctor: ExitCode.usage },
    async prepare(_secret, command) {
      return { env: smtpEnv(2525), args: [...smtpArgs(command, smtpEnv(2525)), '--timeout', 'forever'], users: [user], close: noop };
    },
  },
  {
    name: 'unreadable --env-file',
    secret: 'password',
    exits: { test: ExitCode.config, doctor: ExitCode.config },
    endNodeOptions: true,
    async prepare(_secret, command) {
      return { env: smtpEnv(2525), args: [...smtpArgs(command, smtpEnv(2525)), '--env-file', 'missing.env'], users: [user], close: noop };
    },
  },
  {
    name: 'Resend API: sandbox (testing domain to a stranger)',
    secret: 'apiKey',
    exits: { test: ExitCode.envelope, doctor: ExitCode.envelope },
    async prepare(secret, command) {
      const api = await startFakeResend({ fullAccessKeys: [secret] });
      return {
        env: { RESEND_SENDER_EMAIL: 'onboarding@resend.dev', RESEND_BASE_URL: api.url },
        args: command === 'doctor' ? ['--send', '--to', 'stranger@example.com'] : ['--to', 'stranger@example.com'],
        users: ['resend'],
        close: () => api.close(),
      };
    },
  },
  {
    name: 'Resend API: invalid key, echoed back by the API',
    secret: 'apiKey',
    exits: { test: ExitCode.auth, doctor: ExitCode.auth },
    async prepare(_secret, command) {
      const api = await startFakeResend({ echoKey: true });
      return {
        env: { RESEND_SENDER_EMAIL: 'me@example.com', RESEND_BASE_URL: api.url },
        args: command === 'test' ? ['--to', 'delivered@resend.dev'] : [],
        users: ['resend'],
        close: () => api.close(),
      };
    },
  },
  {
    name: 'Resend configuration error (key of the wrong shape)',
    secret: 'apiKey',
    shape: 'password',
    exits: { test: ExitCode.config, doctor: ExitCode.config },
    async prepare(_secret, command) {
      return {
        env: { RESEND_SENDER_EMAIL: 'me@example.com', RESEND_BASE_URL: 'http://127.0.0.1:9' },
        args: command === 'test' ? ['--to', 'delivered@resend.dev'] : [],
        users: ['resend'],
        close: noop,
      };
    },
  },
];

// --- running ----------------------------------------------------------------------------------

let root: string;
let caFile: string;
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'mailcheck-secrets-'));
  caFile = join(root, 'loopback-ca.pem');
  writeFileSync(caFile, (await localhostCert()).cert);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

let runCount = 0;

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

interface RunResult {
  leaks: string[];
  code: number | null;
  output: string;
  delivery: Delivery;
  /** No command rewrites the user's .env unasked (init writes only with --write or a yes). */
  dotenvUntouched: boolean;
}

async function runOnce(scenario: Scenario, command: Command, mode: Mode, secret: string, delivery: Delivery): Promise<RunResult> {
  const dir = join(root, `run-${++runCount}`);
  mkdirSync(dir);
  const prepared = await scenario.prepare(secret, command);
  try {
    const env: Record<string, string> = {
      ...prepared.env,
      NODE_EXTRA_CA_CERTS: caFile,
      // Anything the run writes to its home or temp directory is searched too.
      HOME: dir,
      TMPDIR: dir,
    };
    const summary = join(dir, 'github-step-summary.md');
    if (mode === 'github' || mode === 'github-json') Object.assign(env, { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary });
    const secretName = scenario.secret === 'apiKey' ? 'RESEND_API_KEY' : delivery === 'alias-env' ? 'SMTP_PASS' : 'SMTP_PASSWORD';
    let stdin: string | undefined;
    const args = [command, ...prepared.args];
    const dotenvPath = join(dir, '.env');
    if (delivery === 'dotenv') {
      writeFileSync(dotenvPath, `${secretName}=${dotenvQuoted(secret)}\n`);
    } else if (delivery === 'stdin') {
      args.push('--password-stdin');
      stdin = secret;
    } else {
      env[secretName] = secret;
    }
    if (mode === 'json' || mode === 'github-json') args.unshift('--json');

    const result = await runCli(args, {
      cwd: dir,
      env,
      ...(stdin !== undefined ? { stdin } : {}),
      ...(scenario.endNodeOptions ? { endNodeOptions: true } : {}),
    });
    const outputs: Record<string, string> = { stdout: result.stdout, stderr: result.stderr };
    const dotenvAfter = delivery === 'dotenv' ? readFileSync(dotenvPath, 'utf8') : undefined;
    for (const file of filesUnder(dir)) {
      if (file === dotenvPath || file === caFile) continue; // the user's own .env holds the secret by design
      outputs[relative(dir, file)] = readFileSync(file, 'utf8');
    }
    return {
      leaks: findLeaks(secret, prepared.users, outputs),
      code: result.code,
      output: `${result.stdout}\n${result.stderr}`,
      delivery,
      dotenvUntouched: dotenvAfter === undefined || dotenvAfter === `${secretName}=${dotenvQuoted(secret)}\n`,
    };
  } finally {
    await prepared.close();
  }
}

describe('the leak detector itself', () => {
  it('finds the secret raw, base64, URL-encoded, JSON- and Markdown-escaped, and inside AUTH PLAIN payloads', () => {
    const secret = 'pa ss"#wörd';
    const leaking = [secret, b64(secret), encodeURIComponent(secret), JSON.stringify(secret), markdownText(secret), b64(`\u0000mailer\u0000${secret}`)];
    for (const text of leaking) expect(findLeaks(secret, ['mailer'], { stdout: `before ${text} after` })).not.toEqual([]);
    expect(findLeaks(secret, ['mailer'], { stdout: 'SMTP_PASSWORD = …(11 chars)' })).toEqual([]);
  });
});

const deliveries: Delivery[] = ['env', 'alias-env', 'dotenv', 'stdin'];
let deliveryTurn = 0;

describe.concurrent(`secrets never leave the process (seed ${seed})`, () => {
  for (const scenario of scenarios) {
    for (const command of Object.keys(scenario.exits) as Command[]) {
      it(`${scenario.name}: mailcheck ${command}, in every output mode`, async ({ expect }) => {
        for (const mode of modes) {
          const secret = (scenario.shape ?? scenario.secret) === 'apiKey' ? drawApiKey() : drawPassword();
          let delivery = deliveries[deliveryTurn++ % deliveries.length]!;
          // The API key has no stdin flag; a value no quoting can hold comes from the environment.
          if (scenario.secret === 'apiKey' && (delivery === 'stdin' || delivery === 'alias-env')) delivery = 'env';
          if (delivery === 'dotenv' && dotenvQuoted(secret) === undefined) delivery = 'env';
          // init takes the secret from --password-stdin or the environment, never from the .env it is about to write.
          if (delivery === 'dotenv' && command === 'init') delivery = 'env';
          const run = await runOnce(scenario, command, mode, secret, delivery);
          const context = `${mode}, secret ${JSON.stringify(secret)} via ${run.delivery}\n${run.output}`;
          expect(run.leaks, context).toEqual([]);
          expect(run.code, context).toBe(scenario.exits[command]);
          expect(run.output, context).not.toMatch(stackTrace);
          expect(run.dotenvUntouched, context).toBe(true);
        }
      });
    }
  }
});
