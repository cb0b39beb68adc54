#!/usr/bin/env node
// A plain Node script, so that npm's shims start it the same way everywhere: a symlink run
// through this #! line on Linux and macOS, and `node <this file>` from the .cmd, .ps1 and sh
// shims npm writes on Windows (cmd-shim reads the #! line; a #!/bin/sh script would need a
// /bin/sh that stock Windows lacks, npm/cmd-shim#152).
//
// Node 20 still scans the arguments after the script for `--env-file` (nodejs/node#54232; 20.20
// checked): a missing file ends the run with `node: x: not found` (exit 9) and /dev/zero or a FIFO
// hangs it, before this file runs. No #! line prevents that on every platform (`env -S node --`
// would, and npm's shims read -S, but BusyBox env in Alpine images has no -S), so `--dotenv` is
// the documented flag, a name Node leaves alone; `--env-file` still works when the file is readable.
//
// The CLI itself is bundled into dist/ (built by `npm ci` via `prepare`) and loaded by
// ./load-dist.cjs, which reuses V8's compiled code of the last run. `--version` is answered
// without loading it: it is run often (scripts, bug reports) and should cost no more than Node.
// That is also why this file is CommonJS: an ES module entry point costs Node ~15 ms more.
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  const line = `${require('../package.json').version}\n`;
  // Straight to fd 1: building process.stdout (a stream over a pipe or a terminal) would cost
  // this run more than everything else it does (~15M instructions, callgrind). Should the write
  // fail, the stream is used after all, so an error is handled as any other output's is.
  try {
    require('node:fs').writeSync(1, line);
  } catch {
    process.stdout.write(line);
  }
} else {
  // A Ctrl-C while the bundle loads would otherwise end the process with no report; it is
  // remembered, and main() treats it as a Ctrl-C of its own. The listener stays until main's own
  // is in place: a signal that arrived during the (synchronous) load is delivered only after it,
  // and with no listener left by then it would be dropped.
  const early = { interrupted: false, stopRemembering: () => process.off('SIGINT', remember) };
  const remember = () => (early.interrupted = true);
  process.on('SIGINT', remember);
  require('./load-dist.cjs').loadCli().main(process.argv, early);
}
