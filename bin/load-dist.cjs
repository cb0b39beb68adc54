// Loads the bundle in dist/ (CommonJS chunks, see scripts/build.mjs) and keeps V8's compiled
// code for the next run, the technique of v8-compile-cache. Compiling the ~600 KB of JavaScript a
// `mailcheck test` runs was a quarter of its CPU time against a real MTA; with the compiled code
// of the last run, V8 skips parsing and compiling nearly all of it (`npm run bench`). Node 22 can
// do this itself (module.enableCompileCache); Node 20 cannot, and it offers no cache for ES
// modules at all, which is why the chunks are CommonJS, compiled here through vm.Script.
//
// The cache may only ever make a run faster, never different or failed:
// - Where: a directory of the user's own (XDG_CACHE_HOME or ~/.cache, ~/Library/Caches on macOS,
//   %LOCALAPPDATA% on Windows), mailcheck/v8-<node version>-<arch>/<installation>/, one per
//   copy of mailcheck (a global one and npx's do not evict each other). Nowhere when there is no
//   such directory (no HOME), when NODE_DISABLE_COMPILE_CACHE is set (Node's own switch for its
//   cache), or when the directory is not the user's alone (another user could plant code there).
// - Which: one file per chunk, named after the chunk and its size and change time (ctime, in ns,
//   which no copy or unpack can set), so a rebuilt or edited chunk never meets its old code; V8
//   itself rejects data from another V8 version or other flags (then it is rewritten). A cache
//   directory is only made below a directory of the user's own (not in another's HOME under sudo).
// - When: at exit, for the chunks this run compiled from source, each written to a temporary file
//   and renamed, so a reader sees a whole file or none. Every failure to read or write is ignored.
// - How much: a chunk's older entries go when its new one is written, and the directories of
//   installations unused for 30 days when a new installation's is made (about 1 MB each).
'use strict';
const { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { dirname, isAbsolute, join } = require('node:path');
const { Script } = require('node:vm');

const dist = join(__dirname, '..', 'dist');
// Node built-ins, and the one optional package resend may ask for (scripts/build.mjs), resolve
// from dist/ as they would for a chunk Node loaded itself.
const requireOutside = createRequire(join(dist, 'cli.js'));
const unusedInstallationMs = 30 * 24 * 60 * 60 * 1000;
let cacheDir = cacheDirectory();
const modules = new Map();
/** Chunks compiled from source in this run: their code is written to the cache at exit. */
const compiled = [];

function cacheDirectory() {
  const env = process.env;
  if (env.NODE_DISABLE_COMPILE_CACHE) return undefined;
  let base;
  if (process.platform === 'win32') base = env.LOCALAPPDATA;
  else if (env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME)) base = env.XDG_CACHE_HOME;
  else if (env.HOME) base = join(env.HOME, process.platform === 'darwin' ? 'Library/Caches' : '.cache');
  if (!base || !isAbsolute(base)) return undefined;
  return join(base, 'mailcheck', `v8-${process.version}-${process.arch}`, installationId(dist));
}

/** A short name for this copy of mailcheck: FNV-1a of its dist/ path, in hex. */
function installationId(path) {
  let hash = 0x811c9dc5;
  for (let i = 0; i < path.length; i++) hash = Math.imul(hash ^ path.charCodeAt(i), 0x01000193) >>> 0;
  return hash.toString(16).padStart(8, '0');
}

/**
 * Whether the nearest existing directory above the cache is this user's: under `sudo`, HOME may
 * still be another user's, who should not find root's files in their ~/.cache.
 */
function cacheParentIsOurs() {
  if (process.platform === 'win32') return true;
  for (let dir = dirname(cacheDir); ; dir = dirname(dir)) {
    try {
      return statSync(dir).uid === process.getuid();
    } catch {
      if (dirname(dir) === dir) return false;
    }
  }
}

/** Whether the cache directory exists and nobody but this user can write to it (always true on Windows, where modes say nothing). */
function cacheDirIsOurs() {
  try {
    const dir = statSync(cacheDir);
    return dir.isDirectory() && (process.platform === 'win32' || (dir.uid === process.getuid() && (dir.mode & 0o022) === 0));
  } catch {
    return false;
  }
}

/** Removes the cache directories of other installations that wrote nothing for 30 days. */
function pruneUnusedInstallations() {
  const parent = dirname(cacheDir);
  for (const entry of readdirSync(parent)) {
    const dir = join(parent, entry);
    if (dir !== cacheDir && Date.now() - statSync(dir).mtimeMs > unusedInstallationMs) rmSync(dir, { recursive: true, force: true });
  }
}

/** The chunk `name` (a file in dist/, such as cli.js), loaded once, as require() would. */
function load(name) {
  const loaded = modules.get(name);
  if (loaded) return loaded.exports;
  const filename = join(dist, name);
  let cacheFile;
  let cachedData;
  if (cacheDir) {
    try {
      // Before the source is read: should the file be replaced in between, the code compiled
      // from the new source goes under the old file's name, which no later run looks up.
      const { size, ctimeNs } = statSync(filename, { bigint: true });
      cacheFile = join(cacheDir, `${name}-${size}-${ctimeNs}`);
      cachedData = readFileSync(cacheFile);
    } catch {
      // Not cached yet (or unreadable): compiled from source, and cached at exit.
    }
  }
  const source = readFileSync(filename, 'utf8');
  // The wrapper Node's CommonJS loader uses (Module.wrap), on the first line, so line numbers hold.
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename, cachedData });
  if (cacheFile && (cachedData === undefined || script.cachedDataRejected)) compiled.push({ name, cacheFile, script });
  const module = { exports: {} };
  modules.set(name, module);
  script.runInThisContext().call(module.exports, module.exports, requireChunk, module, filename, dist);
  return module.exports;
}

/** The require() a chunk calls: its sibling chunks (`./chunk-X.js`) through load(), anything else through Node. */
function requireChunk(id) {
  return id.startsWith('./') ? load(id.slice(2)) : requireOutside(id);
}

function writeCache() {
  try {
    const earlier = readdirSync(cacheDir);
    for (const { name, cacheFile, script } of compiled) {
      const temporary = `${cacheFile}.${process.pid}.tmp`;
      writeFileSync(temporary, script.createCachedData(), { mode: 0o600 });
      renameSync(temporary, cacheFile);
      // The code of this chunk's earlier builds will never be read again.
      for (const old of earlier) if (old.startsWith(`${name}-`) && join(cacheDir, old) !== cacheFile) rmSync(join(cacheDir, old), { force: true });
    }
  } catch {
    // A cache that cannot be written costs the next run its compile time, nothing else.
  }
}

/** Loads dist/cli.js (the rest follows on demand) and returns its exports. */
function loadCli() {
  if (cacheDir && !cacheDirIsOurs()) {
    let created = false;
    try {
      if (cacheParentIsOurs()) created = mkdirSync(cacheDir, { recursive: true, mode: 0o700 }) !== undefined;
    } catch {
      // Checked below.
    }
    // Compiled code from a directory others can write to could run their code as this user.
    if (!cacheDirIsOurs()) cacheDir = undefined;
    else if (created) {
      try {
        pruneUnusedInstallations();
      } catch {
        // Left for the next new installation to clear.
      }
    }
  }
  const cli = load('cli.js');
  if (cacheDir) process.on('exit', () => compiled.length > 0 && writeCache());
  return cli;
}

module.exports = { loadCli };
