#!/usr/bin/env node
// Start-up and session benchmark (issue 7). Prints the median wall time and peak memory of:
// `node -e 0`, `mailcheck --version`, `mailcheck --help`, a full `mailcheck test` walk
// (STARTTLS, AUTH, MAIL, RCPT, DATA) against a loopback server, and the same session with swaks
// when it is installed; then the ratios against the goals. It installs nothing and skips what is
// missing, saying so.
//
//   npm run bench                  # BENCH_RUNS=40 npm run bench for more samples
//
// How it measures, and why:
// - Cases that are compared run interleaved: one warm-up each, then in every round each case
//   runs once, the order rotating per round (A B, B A, ...). Measuring one block after another
//   let machine load drift between the blocks, which moved the mailcheck/swaks ratio by 15%.
// - Children get a clean environment (PATH, HOME, CI=1, plus what the case needs), so a
//   developer's shell variables do not change what is measured.
// - mailcheck trusts the server's self-signed certificate through `--ca-file`, not through
//   NODE_EXTRA_CA_CERTS: that variable makes Node load OpenSSL's root store eagerly at process
//   start (~23 ms on Node 20), a cost users talking to servers with public certificates never pay.
// - swaks does not verify the server certificate unless asked; mailcheck always does. So swaks
//   runs twice: plain `--tls` (what people type; the goal's reference) and `--tls-verify` with
//   the same CA file (verifying like mailcheck; shown for reference).
// - The server is smtp-server, which holds every greeting for 100 ms to catch clients that talk
//   too early (SMTPConnection.init). Both clients wait for it alike, and it stands in for real
//   network latency; it is why every session costs at least 100 ms.
//
// The server runs in this process while clients run as child processes, so every spawn is
// asynchronous (a synchronous spawn would freeze the server it is talking to).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin', 'mailcheck.cjs');
// 20 rounds keep the whole run well under a minute on a 2-core machine.
const runs = Number(process.env.BENCH_RUNS ?? 20);

const CASE = {
  node: 'node -e 0',
  version: 'mailcheck --version',
  help: 'mailcheck --help',
  mailcheck: 'mailcheck test (full walk)',
  swaks: 'swaks (same session)',
  swaksVerify: 'swaks --tls-verify (same session, verifying like mailcheck)',
};

if (!existsSync(join(root, 'dist', 'cli.js'))) {
  console.error('dist/ is missing: run `npm ci` (or `npm run build`) first.');
  process.exit(2);
}

const gnuTime = ['/usr/bin/time'].find((p) => existsSync(p) && spawnSync(p, ['-f', '%M', 'true']).status === 0);
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const cleanEnv = { PATH: process.env.PATH, HOME: process.env.HOME, CI: '1' };

/** Runs a command once; wall time in ms, and peak RSS in KB when GNU time is available. */
function runOnce({ cmd, args, env }) {
  return new Promise((resolve, reject) => {
    const [file, argv] = gnuTime ? [gnuTime, ['-f', '%M', cmd, ...args]] : [cmd, args];
    const started = performance.now();
    const child = spawn(file, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - started;
      if (code !== 0) return reject(new Error(`exited ${code}: ${firstLines(output)}`));
      // GNU time prints the peak RSS as the last line of stderr, after the command's own output.
      const kb = gnuTime ? Number(output.trim().split('\n').at(-1)) : NaN;
      resolve({ ms, kb });
    });
  });
}

const firstLines = (text) => text.trim().split('\n').slice(0, 3).join(' | ').slice(0, 300);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

/** The order of round `i`: the cases rotated by i, so each case takes each position equally often. */
const roundOrder = (cases, i) => cases.map((_, k) => cases[(k + i) % cases.length]);

/**
 * Measures cases interleaved, so load drifting during the run affects them alike. The warm-up
 * fills the file cache and doubles as a smoke test: a case that fails it is reported as failed
 * and left out of the rounds. Returns { results, failed }.
 */
async function measureInterleaved(cases) {
  const failed = [];
  const ok = [];
  for (const c of cases) {
    try {
      await runOnce(c);
      ok.push(c);
    } catch (error) {
      failed.push({ name: c.name, reason: error.message });
    }
  }
  const samples = new Map(ok.map((c) => [c.name, []]));
  for (let i = 0; i < runs; i++) {
    for (const c of roundOrder(ok, i)) samples.get(c.name).push(await runOnce(c));
  }
  const results = ok.map((c) => {
    const s = samples.get(c.name);
    return { name: c.name, ms: median(s.map((x) => x.ms)), kb: median(s.map((x) => x.kb)) };
  });
  return { results, failed };
}

async function startServer() {
  const { SMTPServer } = await import('smtp-server');
  const { generate } = await import('selfsigned');
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] }],
  });
  const server = new SMTPServer({
    key: pems.private,
    cert: pems.cert,
    logger: false,
    disableReverseLookup: true,
    authMethods: ['PLAIN', 'LOGIN'],
    onAuth: (auth, _s, cb) => (auth.username === 'bench' && auth.password === 'bench-password' ? cb(null, { user: 'bench' }) : cb(new Error('no'))),
    onData: (stream, _s, cb) => stream.on('end', () => cb()).resume(),
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: server.server.address().port, cert: pems.cert };
}

const startupCases = () => [
  { name: CASE.node, cmd: process.execPath, args: ['-e', '0'], env: cleanEnv },
  { name: CASE.version, cmd: bin, args: ['--version'], env: cleanEnv },
  { name: CASE.help, cmd: bin, args: ['--help'], env: cleanEnv },
];

/** The session clients, all doing STARTTLS, AUTH PLAIN, MAIL, RCPT, DATA against the same server. */
function sessionCases(port, caFile, skipped) {
  const mailcheck = {
    name: CASE.mailcheck,
    cmd: bin,
    args: ['test', '--to', 'rcpt@example.com', '--env-file', '/dev/null', '--ca-file', caFile],
    env: {
      ...cleanEnv,
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(port),
      SMTP_USER: 'bench',
      SMTP_PASSWORD: 'bench-password',
      SMTP_SENDER: 'bench@example.com',
      SMTP_SECURE: '0',
    },
  };
  if (!has('swaks')) {
    skipped.push('swaks (not installed: apt-get install swaks)');
    return [mailcheck];
  }
  const swaksArgs = [
    '--server', `127.0.0.1:${port}`, '--tls', '--auth', 'PLAIN', '--auth-user', 'bench', '--auth-password', 'bench-password',
    '--from', 'bench@example.com', '--to', 'rcpt@example.com', '--silent', '2',
  ];
  return [
    mailcheck,
    { name: CASE.swaks, cmd: 'swaks', args: swaksArgs, env: cleanEnv },
    { name: CASE.swaksVerify, cmd: 'swaks', args: [...swaksArgs, '--tls-verify', '--tls-ca-path', caFile], env: cleanEnv },
  ];
}

/** Runs the session cases against a fresh loopback server, which is closed afterwards. */
async function measureSessions(skipped) {
  const { server, port, cert } = await startServer();
  const dir = mkdtempSync(join(tmpdir(), 'mailcheck-bench-'));
  try {
    const caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, cert);
    return await measureInterleaved(sessionCases(port, caFile, skipped));
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function printReport({ results, failed, skipped }) {
  const byName = Object.fromEntries(results.map((r) => [r.name, r]));
  const width = Math.max(...Object.values(CASE).map((n) => n.length));
  const mb = (kb) => (Number.isNaN(kb) ? 'n/a' : (kb / 1024).toFixed(1));
  console.log(`mailcheck benchmark: ${runs} interleaved rounds, median; node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB`);
  console.log('');
  console.log(`${'case'.padEnd(width)} ${'wall ms'.padStart(9)} ${'peak RSS MB'.padStart(12)}`);
  for (const r of results) console.log(`${r.name.padEnd(width)} ${r.ms.toFixed(1).padStart(9)} ${mb(r.kb).padStart(12)}`);
  for (const s of skipped) console.log(`skipped: ${s}`);
  for (const f of failed) console.log(`FAILED:  ${f.name}: ${f.reason}`);
  if (byName[CASE.mailcheck]) console.log('Sessions include the 100 ms smtp-server holds every greeting for (early-talker check; like network latency).');
  if (!gnuTime) console.log('Peak memory needs GNU time (/usr/bin/time); not found, so it is reported as n/a.');
  console.log('');

  // Goals from issue 7; --help has none (it loads commander to print), so it is for reference.
  const ratio = (label, a, b, goal) => {
    if (!byName[a] || !byName[b]) return;
    const value = byName[a].ms / byName[b].ms;
    const verdict = goal === undefined ? '(reference)' : `(goal <= ${goal}x: ${value <= goal ? 'met' : 'NOT met'})`;
    console.log(`${label.padEnd(40)} ${value.toFixed(2).padStart(5)}x  ${verdict}`);
  };
  ratio('mailcheck --version / node -e 0', CASE.version, CASE.node, 1.3);
  ratio('mailcheck --help / node -e 0', CASE.help, CASE.node);
  ratio('mailcheck test / swaks', CASE.mailcheck, CASE.swaks, 1.2);
  ratio('mailcheck test / swaks --tls-verify', CASE.mailcheck, CASE.swaksVerify);
  if (byName[CASE.mailcheck] && byName[CASE.swaksVerify]) {
    console.log('  (swaks verifies only when asked; --tls-verify with a CA file is the like-for-like session, and faster');
    console.log('   than plain --tls, which makes IO::Socket::SSL load the system CA store even though it does not verify)');
  }
}

const startup = await measureInterleaved(startupCases());
const skipped = [];
const sessions = await measureSessions(skipped);
const failed = [...startup.failed, ...sessions.failed];
printReport({ results: [...startup.results, ...sessions.results], failed, skipped });
// A case that could not run makes the run fail, so a broken binary is not mistaken for a fast one.
process.exitCode = failed.length ? 1 : 0;
