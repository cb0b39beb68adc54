#!/usr/bin/env node
// Start-up and session benchmark (issue 7). Measures, from one run on this machine, the median
// wall time and peak memory of: `node -e 0`, `mailcheck --version`, `mailcheck --help`, a full
// `mailcheck test` walk (STARTTLS, AUTH, MAIL, RCPT, DATA) against a loopback server, and the
// same session with swaks when it is installed. It installs nothing and skips what is missing.
//
//   npm run bench                  # BENCH_RUNS=30 npm run bench for more samples
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
const runs = Number(process.env.BENCH_RUNS ?? 15);

if (!existsSync(join(root, 'dist', 'cli.js'))) {
  console.error('dist/ is missing: run `npm ci` (or `npm run build`) first.');
  process.exit(2);
}

const gnuTime = ['/usr/bin/time'].find((p) => existsSync(p) && spawnSync(p, ['-f', '%M', 'true']).status === 0);
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

/** Runs a command once; wall time in ms, and peak RSS in KB when GNU time is available. */
function runOnce(cmd, args, env) {
  return new Promise((resolve, reject) => {
    const full = gnuTime ? [gnuTime, ['-f', '%M', cmd, ...args]] : [cmd, args];
    const started = performance.now();
    const child = spawn(full[0], full[1], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - started;
      const kb = gnuTime ? Number(stderr.trim().split('\n').at(-1)) : NaN;
      if (code !== 0) return reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr.slice(0, 500)}`));
      resolve({ ms, kb });
    });
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

async function measure(name, cmd, args, env = process.env) {
  await runOnce(cmd, args, env); // warm the file cache
  const samples = [];
  for (let i = 0; i < runs; i++) samples.push(await runOnce(cmd, args, env));
  return { name, ms: median(samples.map((s) => s.ms)), kb: median(samples.map((s) => s.kb)) };
}

async function startServer() {
  const { SMTPServer } = await import('smtp-server');
  const { generate } = await import('selfsigned');
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] }],
  });
  const [key, cert] = [pems.private, pems.cert];
  const server = new SMTPServer({
    key,
    cert,
    logger: false,
    disableReverseLookup: true,
    authMethods: ['PLAIN', 'LOGIN'],
    onAuth: (auth, _s, cb) => (auth.username === 'bench' && auth.password === 'bench-password' ? cb(null, { user: 'bench' }) : cb(new Error('no'))),
    onData: (stream, _s, cb) => stream.on('end', () => cb()).resume(),
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: server.server.address().port, cert };
}

const results = [];
const skipped = [];
const cleanEnv = { PATH: process.env.PATH, HOME: process.env.HOME, CI: '1' };

results.push(await measure('node -e 0', process.execPath, ['-e', '0'], cleanEnv));
results.push(await measure('mailcheck --version', bin, ['--version'], cleanEnv));
results.push(await measure('mailcheck --help', bin, ['--help'], cleanEnv));

const { server, port, cert } = await startServer();
const dir = mkdtempSync(join(tmpdir(), 'mailcheck-bench-'));
try {
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, cert);
  const smtpEnv = {
    ...cleanEnv,
    NODE_EXTRA_CA_CERTS: caFile,
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(port),
    SMTP_USER: 'bench',
    SMTP_PASSWORD: 'bench-password',
    SMTP_SENDER: 'bench@example.com',
    SMTP_SECURE: '0',
  };
  results.push(await measure('mailcheck test (full walk)', bin, ['test', '--to', 'rcpt@example.com', '--env-file', '/dev/null'], smtpEnv));
  if (has('swaks')) {
    results.push(
      await measure('swaks (same session)', 'swaks', [
        '--server', `127.0.0.1:${port}`, '--tls', '--auth', 'PLAIN', '--auth-user', 'bench', '--auth-password', 'bench-password',
        '--from', 'bench@example.com', '--to', 'rcpt@example.com', '--silent', '2',
      ], cleanEnv),
    );
  } else skipped.push('swaks (not installed: apt-get install swaks)');
} finally {
  server.close();
  rmSync(dir, { recursive: true, force: true });
}

const byName = Object.fromEntries(results.map((r) => [r.name, r]));
console.log(`mailcheck benchmark: ${runs} runs each, median; node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB`);
console.log('');
console.log(`${'case'.padEnd(30)} ${'wall ms'.padStart(9)} ${'peak RSS MB'.padStart(12)}`);
for (const r of results) console.log(`${r.name.padEnd(30)} ${r.ms.toFixed(1).padStart(9)} ${(Number.isNaN(r.kb) ? 'n/a' : (r.kb / 1024).toFixed(1)).padStart(12)}`);
for (const s of skipped) console.log(`${'skipped:'.padEnd(30)} ${s}`);
console.log('');
// Goals from issue 7; --help has none (it loads commander to print), so it is shown for reference.
const ratio = (a, b, goal) => {
  if (!byName[a] || !byName[b]) return;
  const value = byName[a].ms / byName[b].ms;
  const verdict = goal === undefined ? '' : `  (goal <= ${goal}x: ${value <= goal ? 'met' : 'NOT met'})`;
  console.log(`${`${a} / ${b}`.padEnd(52)} ${value.toFixed(2)}x${verdict}`);
};
ratio('mailcheck --version', 'node -e 0', 1.3);
ratio('mailcheck --help', 'node -e 0');
ratio('mailcheck test (full walk)', 'swaks (same session)', 1.2);
if (!gnuTime) console.log('peak memory needs GNU time (/usr/bin/time); not found, so it is reported as n/a');
