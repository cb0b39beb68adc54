import type { LoadedConfig } from '../config/load.js';
import { recogniseProvider } from '../config/providers.js';
import { parsePort, parseSecure, smtpNames } from '../config/smtp-settings.js';
import { diagnoseSmtpFailure } from '../diagnose/smtp-rules.js';
import { UserError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { probeMatrix } from '../probe/matrix.js';
import { recommend } from '../probe/recommend.js';
import { checkProbeHost, parsePortList, portsToProbe, resolveAddresses } from '../probe/targets.js';
import type { Report } from '../report/model.js';
import type { ProbeMode, ProbeReport } from '../report/probe.js';
import { probeVerdict } from '../probe/verdict.js';
import type { Sandbox } from '../sandbox/server.js';
import { safeLine } from '../safety/text.js';
import type { CommandOptions } from './flags.js';
import { Live } from './live.js';
import type { RunContext } from './run.js';
import { runConfig, sandboxFromFlag } from './sandbox-config.js';
import { dnsServerFromFlag, parseTimeout, readCaFile, sessionChoicesFromFlags } from './options.js';
import type { SessionChoices } from '../smtp/connection.js';
import { Session } from './session.js';

/** `ports` ("465,587") replaces the default port list (the configured port is always added). */
export type ProbeOptions = CommandOptions<'probe'>;

/** Short, because every attempt runs at once and silent ports are common: the probe takes about this long. */
export const defaultProbeTimeoutMs = 3000;

/**
 * `mailcheck probe [host]`: every submission port in every mode at once, then the exact
 * SMTP_PORT and SMTP_SECURE lines for the best combination that works.
 * `options.timeout` is undefined unless the user gave --timeout (the global default is for walks).
 */
export async function runProbe(hostArgument: string | undefined, options: ProbeOptions, run: RunContext): Promise<Report> {
  const timeoutMs = options.timeout === undefined ? defaultProbeTimeoutMs : parseTimeout(options.timeout);
  const explicitPorts = options.ports === undefined ? undefined : parsePortList(options.ports);
  const caFile = readCaFile(options.caFile);
  const choices = probeChoices(options);
  if (options.sandbox && hostArgument !== undefined)
    throw new UserError(
      '--sandbox probes the local sandbox server, not a host of your choice',
      ExitCode.usage,
      `leave out ${safeLine(hostArgument, 100)}, or --sandbox`,
    );
  const sandbox = await sandboxFromFlag(options);
  try {
    return await probe(hostArgument, options, run, timeoutMs, explicitPorts, sandbox ? sandbox.ca : caFile, sandbox, choices);
  } finally {
    await sandbox?.close();
  }
}

async function probe(
  hostArgument: string | undefined,
  options: ProbeOptions,
  run: RunContext,
  timeoutMs: number,
  explicitPorts: number[] | undefined,
  ca: string | undefined,
  sandbox: Sandbox | undefined,
  choices: SessionChoices,
): Promise<Report> {
  const { signal } = run;
  const dnsServer = dnsServerFromFlag(options.dnsServer);
  const loaded = await runConfig(options, sandbox, run);
  const settings = loaded.config.settings;
  const configuredHost = settings.host?.value.trim().replace(/\.$/, '') || undefined;
  if (hostArgument === undefined && configuredHost === undefined) {
    throw new UserError('no host to probe: SMTP_HOST is not set', ExitCode.config, 'give one: mailcheck probe smtp.example.com (or set SMTP_HOST in .env)');
  }
  const host = checkProbeHost(hostArgument ?? configuredHost!);
  const sameHost = configuredHost?.toLowerCase() === host.toLowerCase();
  const configuredPort = sameHost ? parsePort(settings.port?.value ?? '') : undefined;
  const configured =
    configuredPort === undefined ? undefined : { port: configuredPort, mode: (parseSecure(settings.secure?.value) ? 'implicit-tls' : 'starttls') as ProbeMode };
  const login = options.auth ? credentials(loaded) : undefined;
  const names = smtpNames(loaded.config);
  const provider = recogniseProvider(host)?.id;

  // Configuration lint is doctor's job: a probe needs nothing but a host, and its exit code
  // says what the network showed.
  const session = await Session.open('probe', { ...loaded, lint: [] }, new Live(run.view));
  if (sameHost) session.showHeader();
  const progress = run.view.progress;
  progress.update(`resolving ${host}…`);
  // The sandbox listens on one port; the default list would only add refusals from other loopback ports.
  const ports = portsToProbe(explicitPorts ?? (sandbox ? [] : undefined), configuredPort);
  const report: ProbeReport = { host, addresses: [], ports, timeoutMs, ...(configured ? { configured } : {}), cells: [] };

  const resolved = await resolveAddresses(host, { server: dnsServer, timeoutMs, family: choices.family });
  if ('failure' in resolved) {
    const diagnosis = diagnoseSmtpFailure(resolved.failure, {
      host,
      port: configuredPort ?? ports[0]!,
      secure: false,
      names,
      ...(provider ? { provider } : {}),
      ...(choices.family ? { family: choices.family } : {}),
    });
    return session.finish({
      checks: [{ id: 'probe.dns', status: 'fail', title: `resolve ${host}`, detail: resolved.failure.message }],
      diagnoses: [diagnosis],
      probe: report,
    });
  }
  report.addresses = resolved.addresses;
  report.cells = await probeMatrix({
    host,
    addresses: resolved.addresses,
    ports,
    timeoutMs,
    signal,
    ...(ca ? { ca } : {}),
    ...(login ? { login: { ...login, ...(choices.authMethod ? { method: choices.authMethod } : {}) } } : {}),
    ...(choices.ehloName ? { ehloName: choices.ehloName } : {}),
    onProgress: (finished, total) => progress.update(`probing ${host}: ${finished} of ${total} attempts finished…`),
  });
  if (signal.aborted) return session.finishInterrupted({ checks: [], probe: report });
  const recommendation = recommend({ cells: report.cells, names, ...(configured ? { configured } : {}) });
  if (recommendation) report.recommendation = recommendation;
  const { checks, diagnoses } = probeVerdict({
    report,
    names,
    auth: login !== undefined,
    ...(ca ? { customCa: true } : {}),
    ...(provider ? { provider } : {}),
    ...(login ? { user: login.user } : {}),
  });
  run.view.probeGrid(report);
  return session.finish({ checks, diagnoses, probe: report });
}

/** -4/-6, --ehlo and --auth-method; the last only with --auth, whose login is by password. */
function probeChoices(options: ProbeOptions): SessionChoices {
  const choices = sessionChoicesFromFlags(options);
  if (choices.authMethod && !options.auth)
    throw new UserError('--auth-method chooses how --auth logs in, and --auth is not given', ExitCode.usage, `add --auth, or leave out --auth-method`);
  if (choices.authMethod === 'XOAUTH2')
    throw new UserError(
      '--auth-method XOAUTH2 logs in with an OAuth 2.0 token, and probe --auth logs in with the password',
      ExitCode.usage,
      'probe with PLAIN, LOGIN or CRAM-MD5, or check the token with mailcheck doctor --auth-method XOAUTH2',
    );
  return choices;
}

function credentials(loaded: LoadedConfig): { user: string; password: string } {
  const user = loaded.config.settings.user?.value;
  const password = loaded.config.settings.password?.value;
  if (!user || !password) {
    const names = smtpNames(loaded.config);
    throw new UserError(
      `--auth logs in with ${names.user} and ${names.password}, but ${!user ? names.user : names.password} is not set`,
      ExitCode.config,
      `set both in .env, or pipe the password in: printf %s "$PASSWORD" | mailcheck probe --auth --password-stdin`,
    );
  }
  return { user, password };
}
