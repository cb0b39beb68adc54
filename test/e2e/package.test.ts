import { execFile, spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import cmdShim from 'cmd-shim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/exit-codes.js';
import { collect } from '../fixtures/cli.js';
import { own, type Packed, packAndInstall, root } from '../fixtures/packed.js';
import { ensureBuilt } from './cli-harness.js';

/**
 * The package as a user gets it: the tarball installed offline into a fresh project
 * (test/fixtures/packed.ts), whose installed copy then runs with no node_modules beside it but its own.
 */

/** The goal of issue 16: installing mailcheck adds at most this much. */
const MAX_INSTALLED_BYTES = 5_000_000;
const MAX_PACKAGES = 10;

let work: string;
let project: string;
let installed: string;
let packed: Packed;

function run(file: string, args: string[], cwd: string) {
  const child = spawn(file, args, { cwd, env: { PATH: process.env.PATH, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  return collect(child);
}

/** Apparent bytes of the regular files under dir (symlinks, such as .bin entries, not followed). */
function treeBytes(dir: string): number {
  let bytes = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) bytes += treeBytes(path);
    else if (entry.isFile()) bytes += lstatSync(path).size;
  }
  return bytes;
}

/** Folders with a package.json directly under node_modules (scoped and nested included). */
function packagesIn(nodeModules: string): string[] {
  if (!existsSync(nodeModules)) return [];
  return readdirSync(nodeModules, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .flatMap((e) => (e.name.startsWith('@') ? readdirSync(join(nodeModules, e.name)).map((n) => join(e.name, n)) : [e.name]))
    .flatMap((name) => {
      const dir = join(nodeModules, name);
      return [...(existsSync(join(dir, 'package.json')) ? [name] : []), ...packagesIn(join(dir, 'node_modules')).map((n) => `${name}/node_modules/${n}`)];
    });
}

beforeAll(async () => {
  await ensureBuilt();
  packed = await packAndInstall('mailcheck-package-');
  ({ work, project, installed } = packed);
}, 120_000);
afterAll(() => packed?.remove());

describe('the packed tarball', () => {
  it('holds the program and its licences, and no source, tests or source maps', () => {
    const paths = packed.files.map((f) => f.path);
    expect(paths).toContain('bin/mailcheck.cjs');
    expect(paths).toContain('dist/cli.js');
    expect(paths).toContain('dist/index.js');
    expect(paths).toContain('dist/index.d.ts');
    expect(paths).toContain('dist/THIRD-PARTY-LICENSES.txt');
    // dist/package.json says the chunks are CommonJS (scripts/build.mjs).
    expect(paths).toContain('dist/package.json');
    expect(paths).toContain('schema/report.v1.json');
    const unexpected = paths.filter(
      (p) =>
        !/^(bin\/[^/]+\.cjs|dist\/[^/]+\.(js|txt)|dist\/index\.d\.ts|dist\/package\.json|schema\/report\.v1\.json|package\.json|README\.md|LICEN[CS]E(\.\w+)?)$/.test(
          p,
        ),
    );
    expect(unexpected).toEqual([]);
  });

  it('asks for no dependencies: installing it installs only mailcheck, within the size bound', () => {
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
    expect(manifest.dependencies ?? {}).toEqual({});
    expect(manifest.optionalDependencies ?? {}).toEqual({});
    expect(manifest.peerDependencies ?? {}).toEqual({});
    const packages = packagesIn(join(project, 'node_modules'));
    expect(packages).toEqual([own.name]);
    expect(packages.length).toBeLessThanOrEqual(MAX_PACKAGES);
    expect(treeBytes(join(project, 'node_modules'))).toBeLessThanOrEqual(MAX_INSTALLED_BYTES);
  });
});

describe('the installed copy', () => {
  const bin = () => join(project, 'node_modules', '.bin', 'mailcheck');

  it('--version prints the package version', async () => {
    const r = await run(bin(), ['--version'], project);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`${own.version}\n`);
    expect(r.code).toBe(0);
  });

  it('--help loads the CLI and exits 0', async () => {
    const r = await run(bin(), ['--help'], project);
    expect(r.stdout).toMatch(/^Usage: mailcheck/);
    expect(r.code).toBe(0);
  });

  it('`test --sandbox` walks a whole session (smtp-server, selfsigned, nodemailer) and exits 0', async () => {
    const r = await run(bin(), ['test', '--sandbox'], project);
    expect(r.stderr).not.toMatch(/ERR_MODULE_NOT_FOUND|Cannot find (module|package)/);
    expect(r.code).toBe(0);
  });

  it('every chunk in dist/ loads with no node_modules but its own (lazy ones such as ora and @inquirer/prompts too)', async () => {
    // A chunk that failed to load would be noticed only where it is used: ora's, for one, only on
    // a terminal, and its failure is swallowed (no spinner). Importing each one catches that here.
    const chunks = readdirSync(join(installed, 'dist')).filter((f) => f.endsWith('.js'));
    const script = `for (const f of ${JSON.stringify(chunks)}) await import('./dist/' + f);`;
    const r = await run(process.execPath, ['--input-type=module', '-e', script], installed);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  // npx starts its own Node first, and Node 20 acts on a script argument --env-file
  // (nodejs/node#54232): a missing file would be `node: x: not found`, exit 9. --dotenv reaches mailcheck.
  it("`npx --package <tarball> -- mailcheck doctor --dotenv <missing>` is mailcheck's own error, exit 3", async () => {
    const cwd = join(work, 'npx-cwd');
    mkdirSync(cwd);
    const env = {
      PATH: process.env.PATH,
      HOME: work,
      NO_COLOR: '1',
      npm_config_cache: join(work, 'npx-cache'),
      npm_config_offline: 'true',
      npm_config_update_notifier: 'false',
    };
    const child = spawn('npx', ['--yes', '--package', packed.tarball, '--', 'mailcheck', 'doctor', '--no-dns', '--dotenv', 'missing.env'], {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const r = await collect(child);
    expect(r.stderr).not.toMatch(/^node: /m);
    expect(r.stderr).toContain(`mailcheck: cannot read the env file missing.env: no such file (looked in ${cwd})`);
    expect(r.code).toBe(ExitCode.config);
  }, 60_000);

  it('exports the JSON Schema of --json output as mailcheck-cli/schema/report.v1.json', async () => {
    // Resolved from the user's project, through package.json `exports`, as a validator would load it.
    const script = `const s = require(require.resolve(${JSON.stringify(`${own.name}/schema/report.v1.json`)})); process.stdout.write(s.$schema);`;
    const r = await run(process.execPath, ['-e', script], project);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(readFileSync(join(installed, 'schema', 'report.v1.json'), 'utf8')).toBe(readFileSync(join(root, 'schema', 'report.v1.json'), 'utf8'));
  });

  it('ships THIRD-PARTY-LICENSES.txt naming every package bundled into dist/', () => {
    const licences = readFileSync(join(installed, 'dist', 'THIRD-PARTY-LICENSES.txt'), 'utf8');
    // esbuild heads each bundled file with a `// node_modules/<package>/<file>` comment: an account
    // of what is in the bundle that does not come from the build script's own bookkeeping.
    const bundled = new Set<string>();
    for (const file of readdirSync(join(installed, 'dist')).filter((f) => f.endsWith('.js'))) {
      for (const [, path] of readFileSync(join(installed, 'dist', file), 'utf8').matchAll(/^\/\/ (node_modules\/\S+)$/gm)) {
        const at = path!.lastIndexOf('node_modules/');
        const [first, second] = path!.slice(at + 'node_modules/'.length).split('/');
        bundled.add(path!.slice(0, at) + 'node_modules/' + (first!.startsWith('@') ? `${first}/${second}` : first));
      }
    }
    expect(bundled.size).toBeGreaterThan(20); // nodemailer, smtp-server, commander, ... and theirs
    const missing = [...bundled].filter((dir) => {
      const { name, version } = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));
      return !licences.includes(`\n${name}@${version}\nLicense: `);
    });
    expect(missing).toEqual([]);
  });
});

/**
 * npm runs a package's bin through shims that cmd-shim writes from its #! line: on Windows a .cmd
 * (cmd.exe), a .ps1 (PowerShell) and an sh script (Git Bash, Cygwin). A #!/bin/sh bin makes all
 * three start /bin/sh, which stock Windows lacks (npm/cmd-shim#152); they must start node.
 */
describe('the shims npm writes for the packed bin', () => {
  let shims: string;
  let unpacked: string;
  beforeAll(async () => {
    unpacked = join(work, 'unpacked');
    mkdirSync(unpacked);
    await promisify(execFile)('tar', ['-xzf', packed.tarball, '-C', unpacked]);
    shims = join(work, 'shims');
    await cmdShim(join(unpacked, 'package', 'bin', 'mailcheck.cjs'), join(shims, 'mailcheck'));
  });

  it('the .cmd shim runs node on the bin, never sh', () => {
    const cmd = readFileSync(join(shims, 'mailcheck.cmd'), 'utf8');
    expect(cmd).toMatch(/SET "_prog=node"/);
    expect(cmd).toMatch(/"%_prog%"\s+"%dp0%\\..\\unpacked\\package\\bin\\mailcheck\.cjs" %\*/);
    expect(cmd).not.toMatch(/\bsh\b|\/bin\//);
  });

  it('the .ps1 shim runs node on the bin, never sh', () => {
    const ps1 = readFileSync(join(shims, 'mailcheck.ps1'), 'utf8');
    expect(ps1).toMatch(/\$exe="\.exe"/);
    expect(ps1).toMatch(/& "node\$exe"\s+"\$basedir\/..\/unpacked\/package\/bin\/mailcheck\.cjs" \$args/);
    expect(ps1).not.toMatch(/\/bin\/sh|"sh\$exe"/);
  });

  it('the sh shim execs node on the bin, and runs it: --version and --help', async () => {
    const sh = readFileSync(join(shims, 'mailcheck'), 'utf8');
    expect(sh).toMatch(/^exec "\$PROG_EXE"\s+"\$basedir_win\/..\/unpacked\/package\/bin\/mailcheck\.cjs" "\$@"$/m);
    expect(sh).toMatch(/PROG_EXE=node$/m);
    expect(sh).not.toMatch(/\/bin\/sh\.exe|PROG_EXE="?\$basedir\/sh/);
    // The shim tests `[ -x node ]` relative to the working directory, so on Linux it falls through
    // to `exec node.exe`, found on PATH as it is under Git Bash on Windows: give PATH one.
    const windowsLikeBin = join(work, 'windows-like-bin');
    mkdirSync(windowsLikeBin);
    symlinkSync(process.execPath, join(windowsLikeBin, 'node.exe'));
    const env = { PATH: `${windowsLikeBin}:/usr/bin:/bin`, NO_COLOR: '1' };
    const runShim = (args: string[]) => collect(spawn(join(shims, 'mailcheck'), args, { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] }));
    const version = await runShim(['--version']);
    expect(version.stderr).toBe('');
    expect(version.stdout).toBe(`${own.version}\n`);
    const help = await runShim(['--help']);
    expect(help.stdout).toMatch(/^Usage: mailcheck/);
    expect(help.code).toBe(0);
  });
});
