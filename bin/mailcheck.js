#!/usr/bin/env -S node --
// `node --` stops Node's own option parsing: Node 20 would otherwise act on our --env-file itself.
// Thin shim: the CLI itself is compiled TypeScript in dist/ (built by `npm ci` via `prepare`).
// `--version` is answered without loading the CLI at all: it is run often (scripts, bug reports)
// and should cost no more than starting Node.
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  import('../dist/version.js').then(({ version }) => process.stdout.write(`${version}\n`));
} else {
  import('../dist/cli.js').then((cli) => cli.main(process.argv));
}
