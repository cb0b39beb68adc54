#!/usr/bin/env node
// Thin shim: the CLI itself is compiled TypeScript in dist/ (built by `npm ci` via `prepare`).
import('../dist/cli.js').then((cli) => cli.main(process.argv));
