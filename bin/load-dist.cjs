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
//   such directory (no HOME) or when NODE_DISABLE_COMPILE_CACHE is set (Node's own switch for its
//   cache). Compiled code is code: on every run, before anything is read, the base directory and
//   every directory above it must be a real directory owned by this user or root that nobody else
//   can write to (a sticky one such as /tmp aside, where nobody else can replace what is ours),
//   and the directories below it real directories of this user's alone, never symlinks.
//   Otherwise there is no cache: no other user (nor `sudo` keeping another user's HOME) can plant
//   code there, or swap a directory while the run reads it.
// - Which: one file per chunk, named after the chunk and its size and change time (ctime, in ns,
//   which no copy or unpack can set), so a rebuilt or edited chunk never meets its old code; V8
//   itself rejects data from another V8 version or other flags (then it is rewritten). A cache
//   directory is only made below a directory of the user's own (not in another's HOME under sudo).
// - When: at exit, for the chunks this run compiled from source, each written to a temporary file
//   and renamed, so a reader sees a whole file or none. Every failure to read or write is ignored.
// - How much: a chunk's older entries go when its new one is written, and the directories of
//   installations unused for 30 days when a new installation's is made (about 1 MB each).
'use strict';
const {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} = require('node:fs');
const { createRequire } = require('node:module');
const { basename, dirname, isAbsolute, join } = require('node:path');
const { Script } = require('node:vm');

const dist = join(__dirname, '..', 'dist');
// Node built-ins, and the one optional package resend may ask for (scripts/build.mjs), resolve
// from dist/ as they would for a chunk Node loaded itself.
const requireOutside = createRequire(join(dist, 'cli.js'));
const unusedInstallationMs = 30 * 24 * 60 * 60 * 1000;
/** The trusted cache directory of this installation, once loadCli found it; undefined: no cache. */
let cacheDir;
const modules = new Map();
/** Chunks compiled from source in this run: their code is written to the cache at exit. */
const compiled = [];

/** Where the cache would be: the user's cache directory and the path below it, or undefined when there is none. */
function cacheDirectory() {
  const env = process.env;
  if (env.NODE_DISABLE_COMPILE_CACHE) return undefined;
  let base;
  if (process.platform === 'win32') base = env.LOCALAPPDATA;
  else if (env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME)) base = env.XDG_CACHE_HOME;
  else if (env.HOME) base = join(env.HOME, process.platform === 'darwin' ? 'Library/Caches' : '.cache');
  if (!base || !isAbsolute(base)) return undefined;
  return { base, below: ['mailcheck', `v8-${process.version}-${process.arch}`, installationId(dist)] };
}

/** A short name for this copy of mailcheck: FNV-1a of its dist/ path, in hex. */
function installationId(path) {
  let hash = 0x811c9dc5;
  for (let i = 0; i < path.length; i++) hash = Math.imul(hash ^ path.charCodeAt(i), 0x01000193) >>> 0;
  return hash.toString(16).padStart(8, '0');
}

/**
 * `dir` is a real directory (not a symlink) of this user's, or also root's for the directories
 * above the cache, that nobody else can write to: above the cache, a sticky directory such as /tmp
 * is trusted too, since nobody else can remove or rename what is ours in it.
 */
function isTrustedDirectory(dir, above) {
  const stat = lstatSync(dir, { throwIfNoEntry: false });
  if (!stat?.isDirectory()) return false;
  if (stat.uid !== process.getuid() && !(above && stat.uid === 0)) return false;
  return (stat.mode & 0o022) === 0 || (above && (stat.mode & 0o1000) !== 0);
}

/**
 * The cache directory, made where missing, once every directory from the root down to it is
 * trusted (see the header); undefined when any is not. `created`: this run made the installation's
 * directory (a new installation, which clears the old ones).
 */
function trustedCacheDir(where) {
  if (process.platform === 'win32') {
    // Modes and owners say nothing there; %LOCALAPPDATA% is the user's own.
    const dir = join(where.base, ...where.below);
    const existed = statSync(dir, { throwIfNoEntry: false }) !== undefined;
    mkdirSync(dir, { recursive: true });
    return { dir, created: !existed };
  }
  let base = where.base;
  if (!lstatSync(base, { throwIfNoEntry: false })) {
    // No ~/.cache yet: made only inside a directory that is trusted itself.
    const parent = realpathSync(dirname(base));
    if (!chainIsTrusted(parent)) return undefined;
    mkdirSync(join(parent, basename(base)), { mode: 0o700 });
  }
  // Symlinks above the cache (a HOME under /usr/home) are resolved; the real path must be trusted.
  base = realpathSync(base);
  if (!chainIsTrusted(base)) return undefined;
  let dir = base;
  let created = false;
  for (const part of where.below) {
    dir = join(dir, part);
    if (!lstatSync(dir, { throwIfNoEntry: false })) {
      // Fails (and so no cache) should someone else create it first; checked below either way.
      mkdirSync(dir, { mode: 0o700 });
      created = true;
    }
    if (!isTrustedDirectory(dir, false)) return undefined;
  }
  return { dir, created };
}

/** `dir` (a real path) and every directory above it are trusted. */
function chainIsTrusted(dir) {
  for (let at = dir; ; at = dirname(at)) {
    if (!isTrustedDirectory(at, true)) return false;
    if (dirname(at) === at) return true;
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
      cachedData = readCacheFile(cacheFile);
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

/** A cache file's bytes: a regular file only, opened without following a symlink or waiting on a FIFO. */
function readCacheFile(path) {
  const fd = openSync(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
  try {
    return fstatSync(fd).isFile() ? readFileSync(fd) : undefined;
  } finally {
    closeSync(fd);
  }
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
  const where = cacheDirectory();
  let trusted;
  try {
    trusted = where && trustedCacheDir(where);
  } catch {
    // No cache this run: it only ever saves time.
  }
  if (trusted) {
    cacheDir = trusted.dir;
    if (trusted.created) {
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
