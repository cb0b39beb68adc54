import { existsSync, readdirSync, type Dirent } from 'node:fs';
import { resolve } from 'node:path';
import { readEnvFile, type EnvFile } from './env-file.js';
import { describeSource, type Setting, type Source } from './source.js';
import { variableNames, type SettingKey } from './variables.js';

export interface FlagValue {
  value: string;
  flag: string;
}

export interface ResolveInput {
  /** Files given with --env-file, in order (later wins). Undefined means "./.env if present". */
  envFiles?: readonly string[];
  env: NodeJS.ProcessEnv;
  flags?: Partial<Record<SettingKey, FlagValue>>;
  /** The password (--password-stdin) or token (--oauth2-token-stdin) read from stdin, which outranks files and environment. */
  stdinSecret?: { key: 'password' | 'oauth2Token'; value: string };
}

export interface ConfigNote {
  message: string;
  fix: string;
}

export interface ResolvedConfig {
  settings: Partial<Record<SettingKey, Setting>>;
  /** Files actually read, in order. */
  files: string[];
  /** `.env` files in the current directory that were not read (`.env.local`, ...): frameworks read them, mailcheck reads what it is told. */
  candidates: string[];
  /** Things worth telling the user that are not errors (duplicate keys, shadowed aliases), each with its fix. */
  notes: ConfigNote[];
}

const defaultEnvFile = '.env';

/**
 * Merges .env files < process environment < flags, remembering for each value where it came
 * from. Reading a file the user named explicitly and failing is an error (EnvFileError);
 * a missing default .env is normal.
 */
export function resolveConfig(input: ResolveInput): ResolvedConfig {
  const paths = input.envFiles ?? (existsSync(defaultEnvFile) ? [defaultEnvFile] : []);
  const files = paths.map(readEnvFile);
  const notes: ConfigNote[] = [];
  for (const file of files) {
    for (const [key, lines] of file.duplicates) {
      if (isKnownVariable(key)) {
        notes.push({
          message: `${key} is set ${lines.length} times in ${file.path} (lines ${lines.join(', ')}); the last one wins`,
          fix: `keep one ${key} line in ${file.path}`,
        });
      }
    }
    notes.push(...fileValueNotes(file));
  }

  const settings: Partial<Record<SettingKey, Setting>> = {};
  for (const key of Object.keys(variableNames) as SettingKey[]) {
    const layers: (Setting | undefined)[] = [
      ...files.map((file) => fromFile(file, key, notes)),
      fromEnv(input.env, key, notes),
      fromFlag(key, input.flags?.[key]),
      input.stdinSecret?.key === key
        ? {
            name: variableNames[key][0]!,
            value: input.stdinSecret.value,
            source: { kind: 'stdin', flag: key === 'password' ? '--password-stdin' : '--oauth2-token-stdin' },
          }
        : undefined,
    ];
    const winner = layers.filter((s): s is Setting => s !== undefined).at(-1);
    if (winner) settings[key] = winner;
  }
  for (const setting of Object.values(settings)) {
    if (setting.value.trim() === '') {
      notes.push({
        message: `${setting.name} is set but empty (from ${describeSource(setting.source)}); an empty value counts as unset`,
        fix: `give ${setting.name} a value, or remove it`,
      });
    }
  }
  return { settings, files: files.map((f) => f.path), candidates: unreadCandidates(files.map((f) => f.path)), notes };
}

// Templates and mailcheck's own backups hold no configuration an app reads.
const notConfiguration = /^\.env\.(example|sample|template|dist|bak(\.\d+)?)$/i;

/**
 * The .env files beside the default one that were not read. Next.js, Vite and dotenv-flow read
 * `.env.local`, `.env.production`, ... on their own, so a value the app sees may be in one of
 * them; saying that they exist, and were not read, saves looking in the wrong file.
 */
function unreadCandidates(read: readonly string[]): string[] {
  const readPaths = new Set(read.map((path) => resolve(path)));
  let entries: Dirent[];
  try {
    entries = readdirSync('.', { withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .filter((e) => (e.isFile() || e.isSymbolicLink()) && /^\.env(\..+)?$/.test(e.name) && !notConfiguration.test(e.name) && !readPaths.has(resolve(e.name)))
    .map((e) => e.name)
    .sort();
}

/** What dotenv read differently from what the user most likely meant. Never quotes the value: it may be a secret. */
function fileValueNotes(file: EnvFile): ConfigNote[] {
  const notes: ConfigNote[] = [];
  for (const [key, entry] of file.values) {
    if (!isKnownVariable(key)) continue;
    const where = `${file.path} line ${entry.line}`;
    if (entry.cutAtHash) {
      notes.push({
        message: `${key} (${where}) has a # inside its unquoted value: dotenv, and so your app, reads everything from the # on as a comment`,
        fix: `put the value of ${key} in single quotes if the # belongs to it`,
      });
    }
    if (entry.value.includes('\uFFFD')) {
      notes.push({
        message: `${key} (${where}) contains bytes that are not UTF-8`,
        fix: `save ${file.path} as UTF-8 so its non-ASCII characters reach the server as written`,
      });
    }
  }
  return notes;
}

function fromFile(file: EnvFile, key: SettingKey, notes: ConfigNote[]): Setting | undefined {
  return pickAlias(
    key,
    (name) => file.values.get(name)?.value,
    notes,
    `in ${file.path}`,
    (name) => ({
      kind: 'file',
      path: file.path,
      line: file.values.get(name)!.line,
    }),
  );
}

function fromEnv(env: NodeJS.ProcessEnv, key: SettingKey, notes: ConfigNote[]): Setting | undefined {
  return pickAlias(
    key,
    (name) => env[name],
    notes,
    'in the environment',
    () => ({ kind: 'env' }),
  );
}

function fromFlag(key: SettingKey, flag: FlagValue | undefined): Setting | undefined {
  // Hints still name the variable (the thing to fix in .env); the source names the flag.
  return flag && { name: variableNames[key][0]!, value: flag.value, source: { kind: 'flag', flag: flag.flag } };
}

/** Within one layer the canonical name beats its alias; both being set is worth a note. */
function pickAlias(
  key: SettingKey,
  lookup: (name: string) => string | undefined,
  notes: ConfigNote[],
  where: string,
  sourceOf: (name: string) => Source,
): Setting | undefined {
  const present = variableNames[key].filter((name) => lookup(name) !== undefined);
  if (present.length === 0) return undefined;
  if (present.length > 1 && new Set(present.map(lookup)).size > 1) {
    notes.push({
      message: `${present.join(' and ')} are both set ${where} with different values; ${present[0]} is used`,
      fix: `remove ${present.slice(1).join(' and ')}`,
    });
  }
  const name = present[0]!;
  return { name, value: lookup(name)!, source: sourceOf(name) };
}

function isKnownVariable(name: string): boolean {
  return Object.values(variableNames).some((names) => names.includes(name));
}
