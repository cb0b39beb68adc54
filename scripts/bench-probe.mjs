#!/usr/bin/env node
// Time to diagnosis (issue 5): how long until the user learns what is wrong with port and
// SMTP_SECURE, with mailcheck and with a plain nodemailer client using its default options, on
// the same loopback servers:
//   1. SMTP_SECURE=0 on an implicit-TLS port      (the server waits for a TLS handshake)
//   2. SMTP_SECURE=1 on a STARTTLS port           (the client reads "220" as a TLS record)
//   3. finding a working combination on a host with an implicit-TLS port, a STARTTLS port, a
//      refused port, a silent port and a port that never accepts: `mailcheck probe` against
//      trying one SMTP_SECURE value after another with nodemailer.
//
//   npm run bench:probe                 # BENCH_RUNS=5 for more mailcheck samples (median shown)
//                                       # BENCH_CAP_S=130 to wait out nodemailer's 120 s connect timeout
//
// mailcheck runs as the built binary (child processes, start-up included: what a user waits);
// nodemailer runs in this process. It prints figures; it asserts nothing.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import nodemailer from 'nodemailer';
import { generate } from 'selfsigned';
import { SMTPServer } from 'smtp-server';
import { closedPort, startNeverAcceptingListener, startSilentListener } from '../test/fixtures/unreachable.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin', 'mailcheck.cjs');
const runs = Number(process.env.BENCH_RUNS ?? 3);
const capMs = Number(process.env.BENCH_CAP_S ?? 40) * 1000;

if (!existsSync(join(root, 'dist', 'cli.js'))) {
  console.error('dist/ is missing: run `npm run build` first.');
  process.exit(2);
}

// --- loopback servers ----------------------------------------------------------------------

const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
  keyType: 'ec',
  algorithm: 'sha256',
  notBeforeDate: new Date(Date.now() - 60_000),
  notAfterDate: new Date(Date.now() + 86_400_000),
  extensions: [
    { name: 'basicConstraints', cA: true },
    { name: 'keyUsage', digitalSignature: true, keyCertSign: true },
    {
      name: 'subjectAltName',
      altNames: [
        { type: 2, value: 'localhost' },
        { type: 7, ip: '127.0.0.1' },
      ],
    },
  ],
});
const dir = mkdtempSync(join(tmpdir(), 'mailcheck-bench-probe-'));
const caFile = join(dir, 'ca.pem');
writeFileSync(caFile, pems.cert);

function startSmtp(secure) {
  const server = new SMTPServer({
    key: pems.private,
    cert: pems.cert,
    secure,
    logger: false,
    disableReverseLookup: true,
    authMethods: ['PLAIN', 'LOGIN'],
    onAuth: (_auth, _session, callback) => callback(null, { user: 'user' }),
  });
  server.on('error', () => {}); // clients that give up mid-handshake are the point here
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ port: server.server.address().port, close: () => new Promise((r) => server.close(r)) })),
  );
}

const [implicit, starttls, silent, neverAccepts, refused] = await Promise.all([
  startSmtp(true),
  startSmtp(false),
  startSilentListener(),
  startNeverAcceptingListener(),
  closedPort(),
]);

// --- mailcheck -------------------------------------------------------------------------------

const userEnv = (port, secure) => ({
  SMTP_HOST: '127.0.0.1',
  SMTP_PORT: String(port),
  SMTP_SECURE: secure,
  SMTP_USER: 'user',
  SMTP_PASSWORD: 'bench-password',
  SMTP_SENDER: 'app@example.com',
});

function mailcheck(args, env) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [bin, ...args, '--json'], {
      cwd: dir,
      env: { PATH: process.env.PATH, NODE_EXTRA_CA_CERTS: caFile, ...env },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - started;
      const report = JSON.parse(stdout);
      const said = report.diagnoses[0]?.summary ?? report.probe?.recommendation?.lines.join(' ') ?? `exit ${code}`;
      resolve({ ms, said });
    });
  });
}

async function median(measure) {
  const samples = [];
  for (let i = 0; i < runs; i++) samples.push(await measure());
  samples.sort((a, b) => a.ms - b.ms);
  return samples[Math.floor(samples.length / 2)];
}

const probePorts = [implicit.port, starttls.port, refused, silent.port, neverAccepts.port];
const mc = {
  plainOnTls: await median(() => mailcheck(['test', '--to', 'you@example.com'], userEnv(implicit.port, '0'))),
  tlsOnStarttls: await median(() => mailcheck(['test', '--to', 'you@example.com'], userEnv(starttls.port, '1'))),
  probe: await median(() => mailcheck(['probe', '127.0.0.1', '--ports', probePorts.join(',')], {})),
};

// --- nodemailer with its defaults ------------------------------------------------------------

/** One verify() as an app would run it; capped so the benchmark ends (nodemailer's connect timeout is 120 s). */
async function nodemailerVerify(port, secure) {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure, auth: { user: 'user', pass: 'bench-password' }, tls: { ca: pems.cert } });
  const started = performance.now();
  let timer;
  const outcome = await Promise.race([
    transport.verify().then(
      () => ({ ok: true, said: 'verified' }),
      (error) => ({ ok: false, said: String(error.message).split('\n')[0] }),
    ),
    new Promise((resolve) => (timer = setTimeout(() => resolve({ ok: false, capped: true, said: 'still waiting' }), capMs))),
  ]);
  clearTimeout(timer);
  transport.close();
  return { ...outcome, ms: performance.now() - started };
}

// Concurrently: they only wait on timers and sockets, so one does not slow another down.
const [nmPlainOnTls, nmTlsOnStarttls, ...nmTries] = await Promise.all([
  nodemailerVerify(implicit.port, false),
  nodemailerVerify(starttls.port, true),
  ...probePorts.flatMap((port) => [nodemailerVerify(port, true), nodemailerVerify(port, false)]),
]);

// --- report ----------------------------------------------------------------------------------

const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`;
const clip = (text, n = 70) => (text.length > n ? `${text.slice(0, n - 1)}…` : text);
const capped = (r) => (r.capped ? `> ${seconds(capMs)}` : seconds(r.ms));
const sequential = nmTries.reduce((sum, r) => sum + r.ms, 0);
const anyCapped = nmTries.some((r) => r.capped);
const working = nmTries.filter((r) => r.ok).length;

console.log(
  `mailcheck probe benchmark: loopback, ${cpus().length} cores, Node ${process.version}; mailcheck = median of ${runs} runs of the built CLI (start-up included)\n`,
);
const rows = [
  ['SMTP_SECURE=0 on an implicit-TLS port', seconds(mc.plainOnTls.ms), mc.plainOnTls.said, capped(nmPlainOnTls), nmPlainOnTls.said],
  ['SMTP_SECURE=1 on a STARTTLS port', seconds(mc.tlsOnStarttls.ms), mc.tlsOnStarttls.said, capped(nmTlsOnStarttls), `(no fix named) ${nmTlsOnStarttls.said}`],
  [
    `find what works: ${probePorts.length} ports (open, closed, silent, never accepting)`,
    seconds(mc.probe.ms),
    `probe recommends ${mc.probe.said}`,
    `${anyCapped ? '> ' : ''}${seconds(sequential)}`,
    `${nmTries.length} verify() calls in turn, ${working} work${anyCapped ? ` (waits cut at ${seconds(capMs)})` : ''}`,
  ],
];
const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i].length), 10));
console.log(
  `${'case'.padEnd(widths[0])}  ${'mailcheck'.padStart(widths[1])}  ${'what it says'.padEnd(widths[2])}  ${'nodemailer'.padStart(widths[3])}  what it says`,
);
for (const [name, mcTime, mcSaid, nmTime, nmSaid] of rows) {
  console.log(`${name.padEnd(widths[0])}  ${mcTime.padStart(widths[1])}  ${clip(mcSaid).padEnd(widths[2])}  ${nmTime.padStart(widths[3])}  ${clip(nmSaid)}`);
}

await Promise.all([implicit, starttls, silent, neverAccepts].map((s) => s.close()));
rmSync(dir, { recursive: true, force: true });
process.exit(0);
