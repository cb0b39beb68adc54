#!/usr/bin/env node
// Bundles the CLI into dist/ with esbuild (type checking is `tsc --noEmit`, run before this).
// Why bundle: start-up is dominated by Node resolving and reading ~70 small files; one entry
// chunk plus lazily loaded chunks per heavy dependency cuts `mailcheck test`'s start-up by about
// a third (measure with `npm run bench`). Code splitting keeps every `await import()` lazy, so
// `--help` never loads nodemailer, and only the sandbox loads smtp-server.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
rmSync(`${root}dist`, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: ['src/cli.ts', 'src/version.ts'],
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Bundled CommonJS dependencies (commander, nodemailer) call require() for Node built-ins.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  // Chunks sit beside cli.js so that import.meta.url-relative paths (../package.json) hold.
  chunkNames: '[name]-[hash]',
  logLevel: 'warning',
});
