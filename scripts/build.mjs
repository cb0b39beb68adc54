#!/usr/bin/env node
// Bundles the CLI into dist/ with esbuild (type checking is `tsc --noEmit`, run before this).
// Why bundle: start-up is dominated by Node resolving and reading ~70 small files; one entry
// chunk plus lazily loaded chunks per heavy dependency cuts `mailcheck test`'s start-up by about
// a third (measure with `npm run bench`). Code splitting keeps every `await import()` lazy, so
// `--help` never loads nodemailer, and only the sandbox loads smtp-server.
//
// The bundle is the whole program: package.json lists no runtime `dependencies` (they are all
// devDependencies), so installing mailcheck installs one package and nothing else (issue 16).
// That only holds while nothing in dist/ still loads a package at run time, so after bundling
// this script checks the output for that, and fails the build when it finds one. Bundled code
// is still other people's code under their licences: the build writes their licence texts to
// dist/THIRD-PARTY-LICENSES.txt, and fails when a bundled package has no licence file or a
// licence that is not on the permissive list below.
import { build, transform } from 'esbuild';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

// What import.meta.url is called in the CommonJS chunks (see below).
const MODULE_URL = '__mailcheckModuleUrl';

// Imports that may stay unbundled. resend renders React e-mails with `await import('@react-email/
// render')` inside a try/catch, only when a caller passes `react:`; mailcheck never does, so the
// import never runs. Named here so that it is the one known exception, not a silent one.
const OPTIONAL_EXTERNALS = ['@react-email/render'];

// SPDX ids whose terms a bundling, redistributing CLI can meet by shipping the licence text.
// Anything else (GPL, LGPL, MPL, unknown, missing) fails the build until someone decides.
const PERMISSIVE = new Set([
  'MIT',
  'MIT-0',
  'ISC',
  'BSD-2-Clause',
  'BSD-3-Clause',
  'Apache-2.0',
  '0BSD',
  'BlueOak-1.0.0',
  'Unlicense',
  'CC0-1.0',
  'Zlib',
  'Python-2.0',
]);

// Packages published without a licence file of their own. Each entry was checked by hand: the
// package.json id must still match (so a relicensed release fails the build again), and the text
// comes from the package's own repository, kept in scripts/licenses/.
const LICENSE_TEXT_FROM_REPO = {
  // npm tarball has no LICENSE; the text is libraries/LICENSE in standard-webhooks/standard-webhooks.
  standardwebhooks: { license: 'MIT', file: 'scripts/licenses/standardwebhooks.txt' },
};

rmSync(`${root}dist`, { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  // cli.js for the bin; index.js is the library (`import { doctor } from 'mailcheck-cli'`), sharing chunks with it.
  entryPoints: [
    { in: 'src/cli.ts', out: 'cli' },
    { in: 'src/version.ts', out: 'version' },
    { in: 'src/api.ts', out: 'index' },
  ],
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: OPTIONAL_EXTERNALS,
  // The chunks become CommonJS below, where import.meta does not exist; this name stands in for
  // import.meta.url and is defined by the chunks that use it.
  define: { 'import.meta.url': MODULE_URL },
  // Chunks sit beside cli.js so that import.meta.url-relative paths (../package.json) hold.
  chunkNames: '[name]-[hash]',
  // The metafile says which input files ended up in which output: the source of truth for both
  // checks below (what is still imported at run time, and whose code is in the bundle).
  metafile: true,
  write: false,
  logLevel: 'warning',
});

// Code splitting exists only for ES modules, so esbuild writes ESM chunks and each one is turned
// into CommonJS here: import/export become require/module.exports and every `await import()`
// becomes a lazy require. Node 20 can cache V8's compiled code only for scripts it compiles
// through vm.Script, never for ES modules (module.enableCompileCache is Node 22), so CommonJS is
// what lets bin/load-dist.cjs reuse the compiled code of the last run (a quarter of `mailcheck
// test`'s CPU time against a real MTA, `npm run bench`). It also skips Node's ES module loader,
// whose asynchronous resolve/load/link per chunk costs a few ms on its own. dist/package.json
// says "commonjs", so Node (the package test, a plain require) reads these .js files that way too.
mkdirSync(`${root}dist`, { recursive: true });
// esbuild heads each bundled file with a `// node_modules/<package>/<file>` (or `// src/...`)
// comment, which the package test reads as its own account of what is bundled. A transform keeps
// only legal comments (`//!`), so the headers are made legal for it and plain again afterwards.
const fileHeader = /^\/\/ ((?:node_modules|src)\/\S+)$/gm;
const legalFileHeader = /^\/\/! ((?:node_modules|src)\/\S+)$/gm;
for (const file of result.outputFiles) {
  const { code: converted } = await transform(file.text.replace(fileHeader, '//! $1'), {
    format: 'cjs',
    loader: 'js',
    platform: 'node',
    target: 'node20',
    // import() of a chunk becomes Promise.resolve().then(() => require(chunk)): still lazy.
    supported: { 'dynamic-import': false },
    logLevel: 'warning',
  });
  const code = converted.replace(legalFileHeader, '// $1');
  const usesModuleUrl = code.includes(MODULE_URL);
  writeFileSync(file.path, usesModuleUrl ? `const ${MODULE_URL} = require('node:url').pathToFileURL(__filename).href;\n${code}` : code);
}
writeFileSync(`${root}dist/package.json`, `${JSON.stringify({ type: 'commonjs' })}\n`);
const { outputs } = result.metafile;
const problems = [];

// 1. Nothing in dist/ may load a package at run time: once dependencies are devDependencies it
//    would not be installed, and the command using it would crash for users only.
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
for (const [file, output] of Object.entries(outputs)) {
  for (const { path, external } of output.imports) {
    if (external && !builtins.has(path) && !OPTIONAL_EXTERNALS.includes(path)) {
      problems.push(`${file} loads "${path}" at run time: it is not bundled and would not be installed`);
    }
  }
  // A require()/import() of a computed name is invisible to esbuild and to the check above.
  // (Not `x.import(...)` calls, nor methods named import: `import(data) {`.)
  if (!file.endsWith('.js')) continue;
  const code = readFileSync(`${root}${file}`, 'utf8');
  for (const match of code.matchAll(/(?<![\w$.])(?:require|import)\((?!\s*["'`])[^)]{0,60}\)(?!\s*\{)/g)) {
    problems.push(`${file} has a computed ${match[0]}: esbuild cannot bundle what it names`);
  }
  // An import() left in a chunk would load through Node's ES module loader, which a chunk that
  // bin/load-dist.cjs compiled cannot even call (vm.Script has no dynamic-import callback).
  for (const match of code.matchAll(/(?<![\w$.])import\(\s*["'`][^)]{0,60}\)/g)) {
    problems.push(`${file} still has ${match[0]}: the CommonJS conversion should have made it a require`);
  }
}

// 2. Whose code is in the bundle: every node_modules package with a file in an output, keyed by
//    its folder, so that two versions of one package (nested node_modules) are both listed. A
//    package whose files all shrank to nothing (a pure re-export like @inquirer/prompts' index)
//    is listed too: naming one package too many costs nothing.
const packageDirs = new Set();
for (const output of Object.values(outputs)) {
  for (const input of Object.keys(output.inputs)) {
    const at = input.lastIndexOf('node_modules/');
    if (at === -1) continue;
    const [first, second] = input.slice(at + 'node_modules/'.length).split('/');
    packageDirs.add(input.slice(0, at) + 'node_modules/' + (first.startsWith('@') ? `${first}/${second}` : first));
  }
}

/** An SPDX expression is acceptable when one of its OR-alternatives is all permissive ids. */
function isPermissive(expression) {
  return expression
    .replace(/[()]/g, ' ')
    .split(/\s+OR\s+/)
    .some((alternative) => alternative.split(/\s+AND\s+/).every((id) => PERMISSIVE.has(id.trim())));
}

const licensed = [];
for (const dir of [...packageDirs].sort()) {
  const manifest = JSON.parse(readFileSync(`${root}${dir}/package.json`, 'utf8'));
  const id =
    typeof manifest.license === 'string'
      ? manifest.license
      : [manifest.license, ...(manifest.licenses ?? [])]
          .filter(Boolean)
          .map((l) => l.type)
          .join(' OR ');
  const who = `${manifest.name}@${manifest.version} (${dir})`;
  // LICENSE, LICENCE, LICENSE.md, LICENSE-MIT.txt, COPYING; NOTICE files too (Apache-2.0 §4d).
  const files = readdirSync(`${root}${dir}`)
    .filter((f) => /^(licen[cs]e|copying|notice|copyrightnotice)([-._].*)?$/i.test(f))
    .sort();
  let texts = files.map((f) => ({ file: f, text: readFileSync(`${root}${dir}/${f}`, 'utf8').trim() }));
  const fromRepo = LICENSE_TEXT_FROM_REPO[manifest.name];
  if (!files.some((f) => !/notice/i.test(f)) && fromRepo && fromRepo.license === id) {
    texts = [...texts, { file: `${fromRepo.file} (from its repository)`, text: readFileSync(`${root}${fromRepo.file}`, 'utf8').trim() }];
  }
  if (!id) problems.push(`${who} declares no licence in package.json`);
  else if (!isPermissive(id)) problems.push(`${who} is licensed "${id}", which is not on the permissive list in scripts/build.mjs`);
  if (!texts.some((t) => !/notice/i.test(t.file))) problems.push(`${who} ships no licence file to copy into THIRD-PARTY-LICENSES.txt`);
  licensed.push({ name: manifest.name, version: manifest.version, id, texts, repository: manifest.repository?.url ?? manifest.repository });
}

licensed.sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version, undefined, { numeric: true }));
if (problems.length) {
  console.error(`build failed: the bundle is not fit to ship\n  ${problems.join('\n  ')}`);
  rmSync(`${root}dist`, { recursive: true, force: true });
  process.exit(1);
}

const rule = '='.repeat(78);
const own = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
writeFileSync(
  `${root}dist/THIRD-PARTY-LICENSES.txt`,
  [
    `${own.name} ${own.version} bundles code from the ${licensed.length} packages below into dist/.`,
    'Their licences and notices follow, as shipped in each package.',
    '',
    ...licensed.flatMap(({ name, version, id, texts, repository }) => [
      rule,
      `${name}@${version}`,
      `License: ${id}`,
      ...(repository ? [`Repository: ${String(repository).replace(/^git\+/, '')}`] : []),
      ...texts.flatMap(({ file, text }) => ['', `--- ${file} ---`, '', text]),
      '',
    ]),
  ].join('\n'),
);
for (const entry of ['cli.js', 'index.js']) if (!existsSync(`${root}dist/${entry}`)) throw new Error(`esbuild wrote no dist/${entry}`);
