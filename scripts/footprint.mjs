#!/usr/bin/env node
// What a user pays to get mailcheck (issue 16): prints the tarball size, its unpacked size, the
// size and package count of node_modules after installing the tarball into an empty project,
// and the wall time of a cold `npx --yes --package <tarball> mailcheck --version` (median of a
// few runs, each with an empty npm cache, as on a fresh CI runner or a first `npx`).
//
//   npm run footprint                                  # packs the work tree (builds it first)
//   node scripts/footprint.mjs --tarball x.tgz         # measures a tarball made elsewhere,
//                                                      # e.g. packed from an older commit
//   FOOTPRINT_RUNS=5 npm run footprint                 # more npx samples (default 3)
//
// Every install here starts from an empty cache, so a tarball with dependencies downloads them
// from the registry (that is the cost being measured); one with none installs without it.
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
};
const runs = Number(option('--runs') ?? process.env.FOOTPRINT_RUNS ?? 3);
const work = mkdtempSync(join(tmpdir(), 'mailcheck-footprint-'));

/** Runs a command to the end; throws with its output when it fails. */
function run(cmd, argv, options = {}) {
  const started = performance.now();
  const result = spawnSync(cmd, argv, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  const ms = performance.now() - started;
  if (result.status !== 0) {
    throw new Error(`${cmd} ${argv.join(' ')} exited ${result.status}\n${result.stdout}\n${result.stderr}`);
  }
  return { stdout: result.stdout, stderr: result.stderr, ms };
}

/** npm with its cache in `cache` (a fresh directory means a cold cache) and no nagging. */
function npmEnv(cache) {
  return { ...process.env, npm_config_cache: cache, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
}

/**
 * Bytes of all regular files under dir (apparent size, symlinks not followed), their count, and
 * the disk space they take (`du`'s figure: whole blocks, so many small files cost more).
 */
function treeSize(dir) {
  let bytes = 0;
  let disk = 0;
  let files = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      const sub = treeSize(path);
      bytes += sub.bytes;
      disk += sub.disk;
      files += sub.files;
    } else if (entry.isFile()) {
      const stat = lstatSync(path);
      bytes += stat.size;
      disk += stat.blocks * 512;
      files += 1;
    }
  }
  return { bytes, disk, files };
}

/** Package folders under a node_modules tree (scoped and nested ones included). */
function countPackages(nodeModules) {
  if (!existsSync(nodeModules)) return 0;
  let count = 0;
  for (const entry of readdirSync(nodeModules, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const dirs = entry.name.startsWith('@')
      ? readdirSync(join(nodeModules, entry.name), { withFileTypes: true })
          .filter((e) => e.isDirectory())
          .map((e) => join(nodeModules, entry.name, e.name))
      : [join(nodeModules, entry.name)];
    for (const dir of dirs) {
      if (existsSync(join(dir, 'package.json'))) count += 1;
      count += countPackages(join(dir, 'node_modules'));
    }
  }
  return count;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const mb = (bytes) => `${(bytes / 1e6).toFixed(2)} MB`;

try {
  // 1. The tarball: packed from this work tree (npm pack runs `prepare`, i.e. the build), or given.
  let tarball = option('--tarball');
  if (tarball) {
    tarball = resolve(tarball);
  } else {
    const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], { cwd: root, env: npmEnv(join(work, 'pack-cache')) }).stdout);
    tarball = join(work, packed[0].filename);
  }
  const tarballBytes = statSync(tarball).size;

  // 2. Unpacked: what the tarball holds once extracted (as npm puts it under node_modules/<name>).
  const unpackDir = join(work, 'unpacked');
  run('mkdir', ['-p', unpackDir]);
  run('tar', ['-xzf', tarball, '-C', unpackDir]);
  const unpacked = treeSize(unpackDir);

  // 3. Installed into an empty project with an empty cache.
  const project = join(work, 'project');
  run('mkdir', ['-p', project]);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'footprint-probe', version: '1.0.0', private: true }));
  const install = run('npm', ['install', '--no-audit', '--no-fund', tarball], { cwd: project, env: npmEnv(join(work, 'install-cache')) });
  const installed = treeSize(join(project, 'node_modules'));
  const packages = countPackages(join(project, 'node_modules'));

  // 4. Cold npx: a new empty cache and a new empty working directory for every run.
  const npxMs = [];
  let printed = '';
  for (let i = 0; i < runs; i += 1) {
    const cwd = mkdtempSync(join(work, 'npx-cwd-'));
    const result = run('npx', ['--yes', '--package', tarball, 'mailcheck', '--version'], { cwd, env: npmEnv(mkdtempSync(join(work, 'npx-cache-'))) });
    npxMs.push(result.ms);
    printed = result.stdout.trim();
  }

  const figures = {
    tarball: tarballBytes,
    unpacked: unpacked.bytes,
    unpackedFiles: unpacked.files,
    installed: installed.bytes,
    installedOnDisk: installed.disk,
    installedFiles: installed.files,
    packages,
    installMs: Math.round(install.ms),
    npxColdMedianMs: Math.round(median(npxMs)),
    npxColdRunsMs: npxMs.map(Math.round),
    version: printed,
  };
  console.log(`tarball              ${mb(figures.tarball)}  (${tarball})`);
  console.log(`unpacked             ${mb(figures.unpacked)} in ${figures.unpackedFiles} files`);
  console.log(
    `installed            ${mb(figures.installed)} in ${figures.installedFiles} files (${mb(figures.installedOnDisk)} on disk), ${figures.packages} package(s) in node_modules`,
  );
  console.log(`npm install (cold)   ${figures.installMs} ms`);
  console.log(`npx --version (cold) ${figures.npxColdMedianMs} ms median of ${runs} (${figures.npxColdRunsMs.join(', ')} ms); printed ${printed}`);
  if (args.includes('--json')) console.log(JSON.stringify(figures));
} finally {
  rmSync(work, { recursive: true, force: true });
}
