#!/bin/sh
":" //; exec node -- "$0" "$@"
// A shell/JavaScript polyglot. The shell runs the line above (":" is a no-op, then exec), which
// starts Node with `--` so Node stops reading options: Node 20 otherwise takes a script argument
// spelled `--env-file` as its own (nodejs/node#54232), loading the file into the environment, or
// exiting 9 when it is missing, before mailcheck runs. `#!/usr/bin/env -S node --` would do the
// same but BusyBox env (Alpine images) has no -S. To JavaScript the line is a string and a comment.
//
// The CLI itself is bundled into dist/ (built by `npm ci` via `prepare`). `--version` is answered
// without loading it: it is run often (scripts, bug reports) and should cost no more than Node.
// That is also why this file is CommonJS: an ES module entry point costs Node ~15 ms more.
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  process.stdout.write(`${require('../package.json').version}\n`);
} else {
  import('../dist/cli.js').then((cli) => cli.main(process.argv));
}
