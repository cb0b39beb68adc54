#!/usr/bin/env node
// Type-checks src/ and writes dist/index.d.ts, the type declarations of the library
// (`import { doctor } from 'mailcheck-cli'`, src/api.ts), after scripts/build.mjs has bundled dist/.
//
// tsc emits declarations for every module while it checks them (about the cost of --noEmit), into
// a temporary folder; rollup-plugin-dts then keeps, from those, only what src/api.ts exports and
// what that refers to, in one file. The package has no runtime dependencies and its users need no
// devDependency of ours (nodemailer's types, @types/node) to compile against it, so the file must
// import nothing: the build fails when it does. test/e2e/api.test.ts compiles a strict consumer
// against the packed tarball.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rollup } from 'rollup';
import { dts } from 'rollup-plugin-dts';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = `${root}dist/index.d.ts`;
const declarations = mkdtempSync(join(tmpdir(), 'mailcheck-types-'));

/** A build whose types are wrong ships nothing, as build.mjs does for a bundle that is not fit to ship. */
function fail(message) {
  console.error(`build failed: ${message}`);
  rmSync(`${root}dist`, { recursive: true, force: true });
  process.exit(1);
}

try {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json', '--declaration', '--emitDeclarationOnly', '--outDir', declarations], {
      cwd: root,
      stdio: 'inherit',
    });
  } catch {
    fail('the type check of src/ failed (above)');
  }
  const bundle = await rollup({ input: join(declarations, 'api.d.ts'), plugins: [dts()] });
  const { output } = await bundle.write({ file: out, format: 'es' });
  await bundle.close();
  const imports = output.flatMap((chunk) => (chunk.type === 'chunk' ? chunk.imports : []));
  if (imports.length) fail(`dist/index.d.ts imports ${imports.join(', ')}: the library's types must not need another package`);
  if (/\bNodeJS\./.test(readFileSync(out, 'utf8'))) fail("dist/index.d.ts names the NodeJS namespace: the library's types must not need @types/node");
} finally {
  rmSync(declarations, { recursive: true, force: true });
}
