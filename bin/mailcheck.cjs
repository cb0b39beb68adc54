#!/bin/sh
":" //; case " $* " in *" --ca-file"* | *" --sandbox"*) exec node --use-openssl-ca -- "$0" "$@";; esac; exec node -- "$0" "$@"
// A shell/JavaScript polyglot. The shell runs the line above (":" is a no-op, then exec), which
// starts Node with `--` so Node stops reading options: Node 20 otherwise takes a script argument
// spelled `--env-file` as its own (nodejs/node#54232), loading the file into the environment, or
// exiting 9 when it is missing, before mailcheck runs. `#!/usr/bin/env -S node --` would do the
// same but BusyBox env (Alpine images) has no -S. To JavaScript the line is a string and a comment.
//
// With --ca-file (or --sandbox, which trusts its own CA) the SMTP connections trust only that CA,
// so Node's bundled root certificates are never consulted for them; yet Node 20 parses all ~140
// of them (20 ms of OpenSSL work, on the critical path) the first time a TLS context is made,
// `ca` or not. --use-openssl-ca makes that store OpenSSL's own, which is read lazily, so the cost
// goes away. The only connections it changes are those without a CA of their own in such a run
// (the Resend API with doctor --api-check): they verify against the system's CA store instead of
// Node's copy of Mozilla's. Where the shell line does not run (Windows), nothing changes.
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
