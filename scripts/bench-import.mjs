#!/usr/bin/env node
// What `import { doctor } from 'mailcheck-cli'` costs the program that imports it (issue 18): the
// library must load lazily, as the CLI does, so an app pays for nodemailer, resend and the rest
// only when it runs a check. Each sample is a fresh Node process that times, with
// performance.now(), `await import()` of the built entry: dist/index.js (the library), beside
// dist/cli.js (what `mailcheck` loads first) and an empty module (Node's own cost of an import).
// Cases run interleaved, the order rotating per round, so that machine load falls on all alike.
//
//   npm run build && npm run bench:import      # BENCH_RUNS=60 for more samples
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const runs = Number(process.env.BENCH_RUNS ?? 30);
const scratch = mkdtempSync(join(tmpdir(), 'mailcheck-bench-import-'));
const empty = join(scratch, 'empty.mjs');
writeFileSync(empty, 'export {};\n');

const cases = {
  'an empty module': empty,
  'mailcheck-cli (dist/index.js)': join(root, 'dist', 'index.js'),
  'the CLI entry (dist/cli.js)': join(root, 'dist', 'cli.js'),
};

function sample(file) {
  const script = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); process.stdout.write(String(performance.now() - t));`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { PATH: process.env.PATH } });
  if (child.status !== 0) throw new Error(`importing ${file} failed: ${child.stderr}`);
  return Number(child.stdout);
}

const times = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
const names = Object.keys(cases);
for (const name of names) sample(cases[name]); // warm the file cache
for (let round = 0; round < runs; round++) {
  for (let i = 0; i < names.length; i++) {
    const name = names[(i + round) % names.length];
    times[name].push(sample(cases[name]));
  }
}
rmSync(scratch, { recursive: true, force: true });

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
console.log(`await import(), median of ${runs} fresh processes:`);
for (const name of names) console.log(`  ${name.padEnd(32)} ${median(times[name]).toFixed(2).padStart(7)} ms`);
