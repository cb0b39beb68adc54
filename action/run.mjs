// The GitHub Action's one step (action.yml): turns the inputs into a mailcheck command line, runs
// it through npx, writes the JSON report to a file, and sets the outputs. It exits with mailcheck's
// own exit code, after the outputs are written, so the step fails exactly when mailcheck does and
// a later `if: failure()` step can still read exit-code and failure-class.
//
// Inputs arrive as MAILCHECK_ACTION_* environment variables (action.yml maps them), never as
// text inside a shell script. Nothing here goes through a shell: mailcheck's arguments are an
// array handed to spawn. This script never prints the environment or the values of inputs that
// may hold something private (args, to, env-files): secrets are for mailcheck to read and mask.
// Annotations and the step summary are mailcheck's own (it sees GITHUB_ACTIONS=true).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, closeSync, mkdirSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const commands = ['doctor', 'test', 'probe'];

export class InputError extends Error {}

/**
 * Splits `args` into words the way a shell would split a simple command line, and nothing more:
 * whitespace separates; '...' is literal; "..." is literal except \" and \\; a backslash outside
 * quotes takes the next character literally, and backslash-newline continues the line. No
 * expansion of any kind ($VAR, $(...), backticks, globs, ~): those characters stay as written.
 */
export function splitArgs(text) {
  const words = [];
  let word = null;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '\\' && text[i + 1] === '\n') {
      i += 2;
      continue;
    }
    if (/\s/.test(c)) {
      if (word !== null) words.push(word);
      word = null;
      i += 1;
      continue;
    }
    word ??= '';
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new InputError('the args input has an unterminated single quote');
      word += text.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      i += 1;
      for (;;) {
        if (i >= text.length) throw new InputError('the args input has an unterminated double quote');
        const d = text[i];
        if (d === '"') break;
        if (d === '\\' && (text[i + 1] === '"' || text[i + 1] === '\\')) {
          word += text[i + 1];
          i += 2;
        } else {
          word += d;
          i += 1;
        }
      }
      i += 1;
    } else if (c === '\\') {
      if (i + 1 >= text.length) throw new InputError('the args input ends with a lone backslash');
      word += text[i + 1];
      i += 2;
    } else {
      word += c;
      i += 1;
    }
  }
  if (word !== null) words.push(word);
  return words;
}

function boolean(name, value) {
  const v = (value ?? '').trim().toLowerCase();
  if (v === '' || v === 'false') return false;
  if (v === 'true') return true;
  // Safe to quote: an input that is neither true nor false is not a secret anyone meant to pass.
  throw new InputError(`the ${name} input must be true or false, not ${JSON.stringify(value.slice(0, 40))}`);
}

/** The npm package spec to run: the `package` input as given, or mailcheck-cli@<version>. */
export function packageSpec(env, actionPath) {
  const pkg = (env.MAILCHECK_ACTION_PACKAGE ?? '').trim();
  if (pkg) {
    // npx would read a leading dash as one of its own options.
    if (pkg.startsWith('-')) throw new InputError('the package input must be a package spec or path, not an option');
    return pkg;
  }
  let version = (env.MAILCHECK_ACTION_VERSION ?? '').trim();
  if (!version) {
    // The version this ref of the action was released with: @v1.2.3 (or the commit it names)
    // runs mailcheck 1.2.3, so the inputs documented at that ref are the flags that version has.
    version = JSON.parse(readFileSync(join(actionPath, 'package.json'), 'utf8')).version;
  }
  // A version, a range (^1.2, 1.x, >=1.2.0) or a dist-tag (latest, next); nothing that would make
  // npx fetch from elsewhere (a URL, git, a path) by way of the version input.
  if (!/^[0-9A-Za-z^~<>=*.+-]+$/.test(version) || version.startsWith('-')) {
    throw new InputError(`the version input must be a version, range or dist-tag such as 1.2.3 or latest, not ${JSON.stringify(version.slice(0, 40))}`);
  }
  return `mailcheck-cli@${version}`;
}

/** mailcheck's arguments (after `mailcheck`), from the inputs. */
export function mailcheckArgs(env) {
  const command = (env.MAILCHECK_ACTION_COMMAND ?? '').trim() || 'doctor';
  if (!commands.includes(command)) {
    throw new InputError(`the command input must be one of ${commands.join(', ')}, not ${JSON.stringify(command.slice(0, 40))}`);
  }
  // --json first: the report goes to the json-file, and mailcheck decides from it, before
  // anything from `args` (which may hold a `--`), that every way of ending prints one document.
  const args = [command, '--json'];
  for (const file of (env.MAILCHECK_ACTION_ENV_FILES ?? '')
    .split(/[\n,]/)
    .map((f) => f.trim())
    .filter(Boolean)) {
    // --dotenv, not --env-file: Node 20 would act on that itself and exit 9 for a missing file (nodejs/node#54232).
    args.push('--dotenv', file);
  }
  if (boolean('strict', env.MAILCHECK_ACTION_STRICT)) args.push('--strict');
  if (boolean('send', env.MAILCHECK_ACTION_SEND)) args.push('--send');
  const to = (env.MAILCHECK_ACTION_TO ?? '').trim();
  if (to) args.push('--to', to);
  args.push(...splitArgs(env.MAILCHECK_ACTION_ARGS ?? ''));
  return { command, args };
}

/** `name<<DELIMITER` form, with a delimiter the value cannot contain, so any value is one output. */
function setOutputs(outputs) {
  const file = process.env.GITHUB_OUTPUT;
  if (!file) return;
  let text = '';
  for (const [name, value] of Object.entries(outputs)) {
    let delimiter;
    do delimiter = `MAILCHECK_${randomBytes(12).toString('hex')}`;
    while (value.includes(delimiter));
    text += `${name}<<${delimiter}\n${value}\n${delimiter}\n`;
  }
  appendFileSync(file, text);
}

/** Workflow-command escaping for messages this script writes itself (never input values that may be private). */
const escapeData = (text) => text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');

function reportFile(env, command) {
  const given = (env.MAILCHECK_ACTION_JSON_FILE ?? '').trim();
  if (given) {
    const path = resolve(given);
    mkdirSync(dirname(path), { recursive: true });
    return path;
  }
  // A new directory per run, so two mailcheck steps in one job never overwrite each other's report.
  const dir = mkdtempSync(join(env.RUNNER_TEMP || tmpdir(), 'mailcheck-'));
  return join(dir, `${command}.json`);
}

/** failure-class from the report: `ok`, the class, or '' when there is no readable report. */
function failureClassOf(path) {
  try {
    const report = JSON.parse(readFileSync(path, 'utf8'));
    if (report?.result?.ok === true) return 'ok';
    const cls = report?.result?.failureClass;
    return typeof cls === 'string' && /^[a-z-]+$/.test(cls) ? cls : '';
  } catch {
    return '';
  }
}

async function main() {
  const env = process.env;
  const actionPath = env.MAILCHECK_ACTION_PATH || fileURLToPath(new URL('..', import.meta.url));
  let spec;
  let parsed;
  try {
    spec = packageSpec(env, actionPath);
    parsed = mailcheckArgs(env);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    process.stdout.write(`::error title=mailcheck action::${escapeData(error.message)}\n`);
    // Exit 2 is mailcheck's own code for a bad command line; no report was written.
    setOutputs({ 'exit-code': '2', 'failure-class': 'usage', 'json-file': '' });
    process.exitCode = 2;
    return;
  }
  const jsonFile = reportFile(env, parsed.command);
  // mailcheck gets the job's environment (the SMTP_*/RESEND_* variables the step was given) but
  // not the action's own inputs, which are no business of the program.
  const childEnv = Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('MAILCHECK_ACTION_')));
  process.stdout.write(`mailcheck action: running ${parsed.command} from ${spec}; JSON report: ${jsonFile}\n`);

  const out = openSync(jsonFile, 'w');
  const code = await new Promise((done) => {
    // `--` ends npx's own options: without it npm reads some of mailcheck's (`--env-file` makes
    // npx exit 9 before mailcheck starts), and an `args` word could otherwise set npm config.
    const child = spawn('npx', ['--yes', '--package', spec, '--', 'mailcheck', ...parsed.args], { stdio: ['inherit', out, 'inherit'], env: childEnv });
    child.on('error', (error) => {
      process.stdout.write(`::error title=mailcheck action::could not start npx: ${escapeData(error.message)}\n`);
      done(1);
    });
    child.on('close', (status, signal) => done(status ?? 128 + (constants.signals[signal] ?? 0)));
  });
  closeSync(out);

  const failureClass = failureClassOf(jsonFile);
  if (!failureClass) {
    // npx could not install or start mailcheck (no such version, no network): say so, since the
    // annotations that would explain a failure come from mailcheck itself.
    process.stdout.write(
      `::error title=mailcheck action::mailcheck exited ${code} without a JSON report: could npx install and run ${escapeData(spec)}? See the log above.\n`,
    );
  }
  setOutputs({ 'exit-code': String(code), 'failure-class': failureClass, 'json-file': jsonFile });
  process.stdout.write(`mailcheck action: exit code ${code}${failureClass ? ` (${failureClass})` : ''}\n`);
  process.exitCode = code;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
}
