/**
 * Turns one SMTP failure (nodemailer's error fields plus the stage) into a diagnosis: what
 * happened, why, and what to change, in the user's own variable names.
 *
 * An ordered table of rules; the first whose `matches` is true wins. Rules branch on the
 * structured fields (`code`, `originalCode`, `timeoutType`, `responseCode`, `stage`) and read the
 * server's text only where providers differ only in wording. Pure: no I/O, no clock.
 */
import type { FailureClass } from '../exit-codes.js';
import { implicitTlsPorts, knownProviders, providerInfo, startsLikeSecretOf, type KnownProvider } from '../config/providers.js';
import { parseAddress } from '../config/address.js';
import { codesOf, hasCode, isClosed, isWrongVersion, saysClosed } from './failure-facts.js';
import { ruleKit, RuleTable } from './engine.js';
import { authMethods, type Diagnosis, type DiagnosisContext, type DiagnosisTexts, type SmtpFailure, type SmtpStage } from './types.js';
import { hostPort } from '../config/host-port.js';

type Make = (f: SmtpFailure, ctx: DiagnosisContext) => DiagnosisTexts;

/** A server's reply, its own words (already scrubbed and terminal-safe), is quoted as is; the summary stays on one line. */
const { rule } = ruleKit<SmtpFailure, DiagnosisContext>({ serverSaid: (f) => f.response?.trim(), summary: (text) => oneLine(text) });

// ---------------------------------------------------------------------------------------------
// Facts about the failure

/** The reply code: nodemailer's responseCode, or the leading digits of the response. */
function replyOf(f: SmtpFailure): number | undefined {
  if (typeof f.responseCode === 'number' && f.responseCode > 0) return f.responseCode;
  const m = /^([2-5]\d\d)[ -]/.exec(words(f).response?.trim() ?? '');
  return m ? Number(m[1]) : undefined;
}

const is4xx = (f: SmtpFailure): boolean => {
  const r = replyOf(f);
  return r !== undefined && r >= 400 && r < 500;
};
const is5xx = (f: SmtpFailure): boolean => {
  const r = replyOf(f);
  return r !== undefined && r >= 500 && r < 600;
};

/**
 * The server's words when there are any, else nodemailer's message. Cause patterns read this, not
 * the message: nodemailer's own wording ("Recipient command failed") would mislead them.
 */
const serverText = (f: SmtpFailure): string => words(f).response ?? words(f).message;
/** Everything we were told, for TLS/socket errors that only exist as messages. */
const allText = (f: SmtpFailure): string => `${words(f).response ?? ''}\n${words(f).message}`;
/** What the rules match on: the server's words even where they are withheld from the report (never quoted). */
const words = (f: SmtpFailure): { response?: string; message: string } => f.withheldWords ?? f;

const isImplicitPort = (port: number): boolean => implicitTlsPorts.includes(port);

const envelopeStages: readonly SmtpStage[] = ['mail', 'rcpt', 'data'];

function isGreetingTimeout(f: SmtpFailure): boolean {
  if (f.timeoutType === 'GREETING_TIMEOUT') return true;
  return f.stage === 'greeting' && hasCode(f, 'ETIMEDOUT') && f.timeoutType !== 'CONNECT_TIMEOUT' && f.timeoutType !== 'UPGRADE_TIMEOUT';
}

/** Mechanisms that take a token, not a password. */
const tokenMechanisms = ['XOAUTH2', 'OAUTHBEARER'];

// ---------------------------------------------------------------------------------------------
// Words

function oneLine(s: string): string {
  return s.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

const hostPortOf = (ctx: DiagnosisContext): string => hostPort(ctx.host, ctx.port);

/** The bare address in `Name <addr@domain>` or `addr@domain` (config/address.ts). */
const bareAddress = (s: string | undefined): string | undefined => (s ? parseAddress(s)?.address : undefined);

function stageWords(stage: SmtpStage): string {
  switch (stage) {
    case 'dns':
      return 'while resolving the host name';
    case 'connect':
      return 'while connecting';
    case 'tls':
      return 'during the TLS handshake';
    case 'greeting':
      return 'before the greeting';
    case 'ehlo':
      return 'after EHLO';
    case 'starttls':
      return 'during STARTTLS';
    case 'auth':
      return 'during login';
    case 'mail':
      return 'at MAIL FROM';
    case 'rcpt':
      return 'at RCPT TO';
    case 'data':
      return 'after DATA';
    case 'quit':
      return 'at QUIT';
  }
}

/** "set SMTP_PORT=587 with SMTP_SECURE=0 (STARTTLS)" and friends. */
const portSecure = (ctx: DiagnosisContext, port: number, secure: 0 | 1): string =>
  `${ctx.names.port}=${port} with ${ctx.names.secure}=${secure}${secure === 1 ? ' (implicit TLS)' : ' (STARTTLS)'}`;

/** The recognised provider does not accept this port (Resend: 25), as the provider registry says. */
const refusesPort = (ctx: DiagnosisContext, port: number): boolean =>
  ctx.provider !== undefined && (providerInfo(ctx.provider).smtp.unsupportedPorts?.includes(port) ?? false);

/** "Resend does not support port 25", when it applies. */
const portRefusal = (ctx: DiagnosisContext): string[] =>
  ctx.provider && refusesPort(ctx, ctx.port) ? [`${providerInfo(ctx.provider).label} does not support port ${ctx.port}`] : [];

/** The usual "pair your port with the right mode" advice, skipping the port already in use. */
function otherPorts(ctx: DiagnosisContext): string {
  const options: [number, 0 | 1][] = [
    [587, 0],
    [465, 1],
    [2525, 0],
  ];
  return options
    .filter(([p]) => p !== ctx.port && !refusesPort(ctx, p))
    .map(([p, s]) => portSecure(ctx, p, s))
    .join(', or ');
}

// ---------------------------------------------------------------------------------------------
// Patterns over the server's words (providers differ only in text here)

const sandboxRe = /sandbox|own email address|testing emails|only send (testing )?e?mails? to/i;
const senderRe =
  /\bsender\b|from[- ]address|\bmail from\b|send ?as|not (allowed|authori[sz]ed|permitted) to send|not verified|unverified|verify (your|the) domain|identit(y|ies)|\b5\.1\.[78]\b/i;
const relayRe = /relay(ing)? (access )?(denied|not permitted|prohibited)|not permitted to relay|unable to relay|relay not permitted/i;
const tooLargeRe = /\b5\.3\.4\b|message (is )?too (big|large)|message size|size exceeds|exceeds (the )?(maximum|max|size)|too large/i;
const recipientRe =
  /recipient|user unknown|unknown user|no such (user|mailbox|recipient|address)|mailbox (unavailable|not found|does not exist)|does not exist|invalid mailbox|\b5\.1\.(1|10)\b|not our customer|undeliverable/i;
const rateRe = /rate|throttl|too many (connections|messages|e?mails|requests|logins?|attempts|concurrent|sessions)|limit|quota|exceeded|slow down/i;
const tlsRequiredRe = /STARTTLS|\bTLS\b|encrypt/i;
const authRequiredRe = /auth(entication)? required|not authenticated|must (first )?authenticate|authenticate first|client was not authenticated/i;
const o365DisabledRe = /SmtpClientAuthentication is disabled|security defaults|basic authentication is disabled/i;

/** SES sandbox: the reply lists the recipient as an unverified identity, but not the sender. */
function sesSandboxRecipient(f: SmtpFailure, ctx: DiagnosisContext): boolean {
  const text = serverText(f).toLowerCase();
  if (!/not verified|identit(y|ies) failed/.test(text)) return false;
  const to = bareAddress(ctx.recipient)?.toLowerCase();
  const from = bareAddress(ctx.sender)?.toLowerCase();
  return !!to && text.includes(to) && !(from && text.includes(from));
}

const isEnvelopeRejection = (f: SmtpFailure): boolean => is5xx(f) && (envelopeStages.includes(f.stage) || hasCode(f, 'EENVELOPE', 'EMESSAGE'));

const isAuthRejection = (f: SmtpFailure): boolean => {
  const r = replyOf(f);
  if (r === undefined || r === 530 || r === 538) return false;
  if (r === 534 || r === 535) return true;
  return r >= 500 && r < 600 && (f.stage === 'auth' || hasCode(f, 'EAUTH'));
};

/** How the username looks, without echoing it (it may be an API key pasted into the wrong place). */
function describeUser(user: string | undefined): string {
  if (user === undefined || user === '') return 'it is empty';
  if (startsLikeSecretOf('resend', user)) return 'it looks like an API key (re_...), which belongs in the password';
  if (startsLikeSecretOf('sendgrid', user)) return 'it looks like a SendGrid API key, which belongs in the password';
  if (user.includes('@')) return 'it is an email address';
  if (knownProviders.some((id) => providerInfo(id).fixedUser === user.toLowerCase())) return 'it has the wrong letter case';
  if (user !== user.trim()) return 'it has spaces around it';
  return 'it is not the expected literal';
}

// ---------------------------------------------------------------------------------------------
// The rules, in order: first match wins

const neverDisable = 'do not turn off certificate verification to "fix" this: it also hides an attacker reading your password';

/**
 * How to trust a certificate. With --ca-file, Node trusts that file alone (NODE_EXTRA_CA_CERTS is
 * ignored then), so the file is what failed to vouch for the server.
 */
const trustFix = (ctx: DiagnosisContext, extraCaFix: string): string =>
  ctx.customCa ? 'the certificate does not chain to the CA given with --ca-file: give the CA that issued it (or its root)' : extraCaFix;

const certRule = <Id extends string>(id: Id, codes: string[], re: RegExp, make: Make) =>
  rule(id, 'tls', (f) => hasCode(f, ...codes) || re.test(allText(f)), make);

export const smtpRules = [
  // --- Port and TLS mode disagree -----------------------------------------------------------
  rule(
    'tls.implicit-on-starttls-port',
    'tls',
    (f, ctx) =>
      ctx.secure &&
      f.stage !== 'starttls' &&
      replyOf(f) === undefined &&
      (isWrongVersion(f) || (!isImplicitPort(ctx.port) && /disconnected before secure TLS connection/i.test(f.message))),
    (_f, ctx) => {
      const n = ctx.names;
      if (isImplicitPort(ctx.port)) {
        return {
          summary: `${hostPortOf(ctx)} did not answer in TLS, although port ${ctx.port} normally means implicit TLS`,
          causes: [
            `the server on port ${ctx.port} is not speaking TLS: it answered in plain text`,
            `${n.host} may point at a server that only offers STARTTLS, or something in between (proxy, antivirus) answers instead`,
          ],
          fixes: [
            `check that ${n.host} is the provider's SMTP server and that it offers implicit TLS on port ${ctx.port}`,
            `try port 587 instead: ${portSecure(ctx, 587, 0)}`,
          ],
        };
      }
      return {
        summary: `${n.secure}=1 asks for implicit TLS, but ${hostPortOf(ctx)} expects plain SMTP with STARTTLS`,
        causes: [
          `port ${ctx.port} starts in plain text and upgrades with STARTTLS; implicit TLS (${n.secure}=1) belongs to port 465`,
          'the server greeted in plain text, which the TLS client read as a broken record ("wrong version number")',
        ],
        fixes: [`or move to port 465: ${portSecure(ctx, 465, 1)}`, `set ${n.secure}=0 to use STARTTLS on port ${ctx.port}`],
      };
    },
  ),

  rule(
    'tls.plaintext-on-implicit-port',
    'tls',
    (f, ctx) =>
      !ctx.secure &&
      isImplicitPort(ctx.port) &&
      replyOf(f) === undefined &&
      (isGreetingTimeout(f) || (f.stage === 'greeting' && (isClosed(f) || hasCode(f, 'EPROTOCOL')))),
    (f, ctx) => ({
      summary: `${hostPortOf(ctx)} expects implicit TLS, but ${ctx.names.secure} is not 1, so the server never greeted`,
      causes: [
        `port ${ctx.port} starts with a TLS handshake; a plain-text client waits for a greeting that never comes${
          isGreetingTimeout(f) ? ' until the greeting timeout' : ''
        }`,
      ],
      fixes: [`or move to port 587: ${portSecure(ctx, 587, 0)}`, `set ${ctx.names.secure}=1 for port ${ctx.port}`],
    }),
  ),

  // --- Certificates ------------------------------------------------------------------------
  certRule('tls.self-signed-in-chain', ['SELF_SIGNED_CERT_IN_CHAIN'], /self[- ]signed certificate in certificate chain/i, (_f, ctx) => ({
    summary: `the certificate chain of ${hostPortOf(ctx)} ends in a self-signed root this machine does not trust`,
    causes: [
      'an antivirus (mail or TLS scanning) or a corporate proxy is intercepting TLS and re-signing it with its own root',
      'the server uses a private certificate authority',
    ],
    fixes: [
      neverDisable,
      `check from another network whether ${ctx.names.host} shows the same certificate`,
      trustFix(ctx, 'if the interception is intended, trust its root: NODE_EXTRA_CA_CERTS=path/to/proxy-ca.pem'),
      "turn off the antivirus' mail/TLS scanning, or ask IT to exempt the SMTP server",
    ],
  })),
  certRule('tls.self-signed', ['DEPTH_ZERO_SELF_SIGNED_CERT'], /self[- ]signed certificate(?! in certificate chain)/i, (_f, ctx) => ({
    summary: `${hostPortOf(ctx)} presented a self-signed certificate`,
    causes: ['a test or internal server that made its own certificate', `${ctx.names.host} may point at a hosting default instead of the real mail server`],
    fixes: [
      neverDisable,
      trustFix(ctx, 'for your own test server, trust its certificate: NODE_EXTRA_CA_CERTS=path/to/ca.pem'),
      `for real mail, set ${ctx.names.host} to a server with a publicly trusted certificate`,
    ],
  })),
  certRule(
    'tls.unknown-issuer',
    ['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT'],
    /unable to get local issuer certificate|unable to verify the first certificate|unable to get issuer certificate/i,
    (_f, ctx) => ({
      summary: `the certificate of ${hostPortOf(ctx)} was issued by an authority this machine does not know`,
      causes: [
        'the server does not send its intermediate certificate (a server misconfiguration)',
        'the server uses a private certificate authority',
        'a proxy or antivirus is intercepting TLS',
      ],
      fixes: [
        neverDisable,
        'if the server is yours, serve the full chain (certificate plus intermediates)',
        trustFix(ctx, `if ${ctx.names.host} uses a private CA, trust it: NODE_EXTRA_CA_CERTS=path/to/ca.pem`),
      ],
    }),
  ),
  certRule('tls.not-yet-valid', ['CERT_NOT_YET_VALID'], /certificate is not yet valid/i, (_f, ctx) => ({
    summary: `the certificate of ${hostPortOf(ctx)} is not valid yet`,
    causes: ["this machine's clock is behind (a container or VM without NTP)", 'the certificate was issued with a start date in the future'],
    fixes: [neverDisable, "fix this machine's clock (NTP), then check the certificate's start date"],
  })),
  certRule('tls.expired', ['CERT_HAS_EXPIRED'], /certificate has expired/i, (_f, ctx) => {
    const local = /^(localhost|127\.0\.0\.1|::1)$/i.test(ctx.host);
    return {
      summary: `the certificate of ${hostPortOf(ctx)} has expired`,
      causes: [
        'the server did not renew its certificate',
        ...(local ? ['a local smtp-server without its own certificate uses a built-in one that expired in February 2025'] : []),
        "this machine's clock may be wrong (check the date)",
      ],
      fixes: [neverDisable, `the owner of ${ctx.names.host} must renew the certificate; until then use another server`],
    };
  }),
  certRule('tls.hostname-mismatch', ['ERR_TLS_CERT_ALTNAME_INVALID'], /does not match certificate's altnames/i, (f, ctx) => {
    const listed = /cert's (?:altnames|list): (.*)$/im.exec(allText(f))?.[1];
    const names = (listed ?? '')
      .split(/,\s*/)
      .map((s) => s.replace(/^(DNS|IP Address|IP):/i, '').trim())
      .filter((s) => s !== '' && !s.includes(' '));
    const isIp = /^[\d.]+$|:/.test(ctx.host);
    const example = names.find((x) => !x.startsWith('*.')) ?? names[0];
    return {
      summary: `the certificate of ${hostPortOf(ctx)} is not for the name "${ctx.host}"`,
      causes: [
        isIp
          ? `${ctx.names.host} is an IP address; certificates name hosts, so the name must be used`
          : `${ctx.names.host} is an alias (CNAME, shared hosting name) rather than the name on the certificate`,
        ...(names.length > 0 ? [`the certificate is for: ${names.slice(0, 5).join(', ')}`] : []),
      ],
      fixes: [neverDisable, `set ${ctx.names.host} to the name on the certificate${example ? ` (e.g. ${example})` : ''}, not an IP or an alias`],
    };
  }),

  // 454 to STARTTLS (Postfix, Exim: "TLS not available due to local problem") is the server failing
  // to set up TLS, typically an unreadable certificate or key; retrying will not help.
  rule(
    'tls.starttls-server-fault',
    'tls',
    (f) => f.stage === 'starttls' && is4xx(f),
    (f, ctx) => ({
      summary: `${hostPortOf(ctx)} offers STARTTLS but could not start TLS (${replyOf(f)}): a fault in the server's TLS set-up`,
      causes: [
        'the server cannot load its certificate or private key (a missing file, wrong permissions, an expired or mismatched pair)',
        'its TLS library failed to initialise',
      ],
      fixes: [
        `if the server is yours, check its TLS certificate and key settings and its log; if not, tell the provider and meanwhile try implicit TLS: ${portSecure(ctx, 465, 1)}`,
      ],
    }),
  ),

  // --- Temporary (4xx) -----------------------------------------------------------------------
  rule(
    'temporary.rate-limited',
    'temporary',
    (f, ctx) => is4xx(f) && (rateRe.test(serverText(f)) || (ctx.provider === 'resend' && replyOf(f) === 421)),
    (f, ctx) => ({
      summary: `${hostPortOf(ctx)} is limiting you for now (${replyOf(f)} ${stageWords(f.stage)})`,
      causes: [
        'too many messages, connections or logins in a short time',
        ...(ctx.provider === 'resend' ? ['Resend answers 421 when rate limited; the free tier also stops at 100 emails a day and 3,000 a month'] : []),
        ...(ctx.provider === 'ses' ? ["SES throttles above your account's maximum sending rate"] : []),
        ...(/too many connections/i.test(serverText(f)) ? ['several processes or pooled connections share one sending IP'] : []),
      ],
      fixes: ['send fewer messages at once, or open fewer connections in parallel', 'this is temporary: retry after a brief pause'],
    }),
  ),
  rule(
    'temporary.failure',
    'temporary',
    (f) => is4xx(f),
    (f, ctx) => ({
      summary: `${hostPortOf(ctx)} refused for now (${replyOf(f)} ${stageWords(f.stage)}), a temporary error`,
      causes: [
        /grey ?list|gray ?list/i.test(serverText(f))
          ? 'greylisting: the server asks first-time senders to come back later'
          : 'the server is busy, restarting or temporarily refusing this client',
        ...(f.stage === 'greeting' ? ['a 421 instead of the greeting means the server will not take connections right now'] : []),
      ],
      fixes: ["if it keeps happening, show the server's words to the provider", 'retry after a brief pause'],
    }),
  ),

  // --- The server refuses this client outright -----------------------------------------------
  rule(
    'greeting.rejected',
    'network',
    (f) => is5xx(f) && (f.stage === 'greeting' || /invalid greeting/i.test(f.message)),
    (_f, ctx) => ({
      summary: `${hostPortOf(ctx)} refused to serve this client (it greeted with an error)`,
      causes: [
        "this machine's IP address is on a block list (the reply usually says which)",
        'the server does not accept mail submission from outside on this port',
      ],
      fixes: [
        `use the provider's submission port: ${portSecure(ctx, 587, 0)}, or ${portSecure(ctx, 465, 1)}`,
        `check ${ctx.names.host} is your provider's outgoing (submission) server, not an MX`,
      ],
    }),
  ),

  // --- Authentication ------------------------------------------------------------------------
  // Nothing was sent: the server offers no mechanism for the credentials mailcheck has.
  rule(
    'auth.oauth2-only',
    'auth',
    (f, ctx) => hasCode(f, 'ENOAUTHMECH') && !ctx.oauth2Token && (ctx.authMechanisms ?? []).some((m) => tokenMechanisms.includes(m)),
    (_f, ctx) => {
      const n = ctx.names;
      const offered = (ctx.authMechanisms ?? []).join(', ');
      const provider: Partial<Record<KnownProvider, string[]>> = {
        office365: [
          `or ask the tenant admin to enable Authenticated SMTP for the mailbox in ${n.user} (Set-CASMailbox -SmtpClientAuthenticationDisabled $false); Microsoft is retiring it`,
          'register an app in Microsoft Entra ID with the SMTP.Send permission, get an access token for the mailbox (OAuth 2.0), and pass it as SMTP_OAUTH2_TOKEN or with --oauth2-token-stdin',
        ],
        gmail: [
          `or, with 2-Step Verification on, create an App Password and put it in ${n.password} (where the admin allows it)`,
          'log in with an OAuth 2.0 access token for the Gmail account (scope https://mail.google.com/): SMTP_OAUTH2_TOKEN or --oauth2-token-stdin',
        ],
      };
      return {
        summary: `${hostPortOf(ctx)} accepts only OAuth 2.0 tokens (it offers AUTH ${offered}), not a password: mailcheck sent no AUTH`,
        causes: [
          ctx.provider === 'office365'
            ? 'Microsoft 365 has basic authentication (a password over SMTP AUTH) turned off for this tenant or mailbox'
            : ctx.provider === 'gmail'
              ? 'Google does not allow password logins for this account'
              : 'the server turned password logins off and takes only XOAUTH2 or OAUTHBEARER',
          `${n.password} cannot work here, however correct it is`,
        ],
        fixes: (ctx.provider ? provider[ctx.provider] : undefined) ?? [
          'ask the provider how to get an OAuth 2.0 access token for SMTP, or whether password logins (SMTP AUTH) can be enabled',
          'log in with an OAuth 2.0 access token: pass it as SMTP_OAUTH2_TOKEN or with --oauth2-token-stdin (XOAUTH2)',
        ],
      };
    },
  ),
  rule(
    'auth.mechanism-unavailable',
    'auth',
    (f) => hasCode(f, 'ENOAUTHMECH'),
    (_f, ctx) => ({
      summary: `${hostPortOf(ctx)} offers no login mechanism for the credentials given (it offers AUTH ${(ctx.authMechanisms ?? []).join(', ') || 'nothing usable'}): mailcheck sent no AUTH`,
      causes: [
        ctx.oauth2Token
          ? 'an OAuth 2.0 token was given, but the server does not offer XOAUTH2'
          : 'the server offers only mechanisms mailcheck cannot answer with a password',
      ],
      fixes: [
        ctx.oauth2Token
          ? `set ${ctx.names.password} to the password instead of a token for this server`
          : "check the server's AUTH settings, or ask the provider which login it expects",
      ],
    }),
  ),
  rule(
    'auth.method-not-offered',
    'auth',
    (f) => hasCode(f, 'EAUTHMETHOD'),
    (_f, ctx) => {
      const offered = ctx.authMechanisms ?? [];
      const usable = offered.filter((m) => (authMethods as readonly string[]).includes(m));
      return {
        summary: `${hostPortOf(ctx)} does not offer AUTH ${ctx.authMethod ?? 'with the mechanism asked for'} (it offers ${offered.length ? `AUTH ${offered.join(', ')}` : 'no AUTH at all'}): mailcheck sent no AUTH`,
        causes: [
          `--auth-method allows only ${ctx.authMethod ?? 'one mechanism'}, and the server did not advertise it in its EHLO reply`,
          'servers offer some mechanisms only over TLS, or only to some clients; the app may pick another one by itself',
        ],
        fixes: [
          ...(usable.length ? [`or force one it offers: --auth-method ${usable[0]}`] : []),
          `drop --auth-method and let mailcheck choose among what the server offers${offered.length ? ` (${offered.join(', ')})` : ''}, as most apps do`,
        ],
      };
    },
  ),
  rule(
    'auth.tls-required',
    'tls',
    (f) => {
      const r = replyOf(f);
      return r === 538 || (r === 530 && tlsRequiredRe.test(serverText(f))) || /must issue a STARTTLS command first/i.test(serverText(f));
    },
    (_f, ctx) => {
      const n = ctx.names;
      const onSubmission = ctx.port === 587 && !ctx.secure;
      return {
        summary: `${hostPortOf(ctx)} requires TLS before login or sending, and the connection was not encrypted`,
        causes: [
          'login or MAIL FROM was sent before the connection was encrypted',
          onSubmission
            ? 'the server did not offer STARTTLS on this connection: something in between (firewall, ISP, proxy) may strip it'
            : `port ${ctx.port} without TLS: the server only allows login after STARTTLS or on the implicit-TLS port`,
        ],
        fixes: onSubmission
          ? [`check nothing between you and ${n.host} filters SMTP`, `use port 465 instead: ${portSecure(ctx, 465, 1)}`]
          : [`or set ${portSecure(ctx, 465, 1)}`, `set ${portSecure(ctx, 587, 0)}`],
      };
    },
  ),
  rule(
    'auth.required',
    'auth',
    (f) => replyOf(f) === 530 || (is5xx(f) && authRequiredRe.test(serverText(f))),
    (_f, ctx) => {
      const n = ctx.names;
      return {
        summary: `${hostPortOf(ctx)} requires login before sending, and no login happened`,
        causes: [
          ...(ctx.user ? [] : [`${n.user} is not set, so no login was attempted`]),
          ...(ctx.authAdvertised === false ? ['the server did not offer AUTH on this connection (many offer it only after TLS, or only on port 587/465)'] : []),
          'the server only relays for logged-in users',
        ],
        fixes: [
          ...(ctx.authAdvertised === false ? [`use the submission port: ${portSecure(ctx, 587, 0)}`] : []),
          `set ${n.user} and ${n.password} to your SMTP login`,
        ],
      };
    },
  ),
  rule(
    'auth.o365-smtp-auth-disabled',
    'auth',
    // Provider wording counts only on that provider's hosts: any server can say the same words.
    (f, ctx) => isAuthRejection(f) && ctx.provider === 'office365' && o365DisabledRe.test(serverText(f)),
    (f, ctx) => {
      const n = ctx.names;
      const secDefaults = /security defaults/i.test(serverText(f));
      return {
        summary: 'Office 365 refused the login: SMTP AUTH is disabled for this mailbox or tenant',
        causes: [
          secDefaults
            ? "the tenant's Security Defaults block basic SMTP AUTH"
            : 'Authenticated SMTP (SmtpClientAuthentication) is turned off for the tenant or this mailbox; a correct password still fails',
        ],
        fixes: [
          'or send through another service: Microsoft is retiring basic SMTP AUTH',
          `ask the tenant admin to enable Authenticated SMTP for the mailbox in ${n.user} (admin center: user > Mail > Manage email apps; or Set-CASMailbox -SmtpClientAuthenticationDisabled $false)`,
        ],
      };
    },
  ),
  rule(
    'auth.gmail-app-password',
    'auth',
    (f, ctx) => isAuthRejection(f) && ctx.provider === 'gmail',
    (f, ctx) => {
      const n = ctx.names;
      const text = serverText(f);
      const cause = /5\.7\.9|application-specific/i.test(text)
        ? 'the account has 2-Step Verification, so Google requires an App Password instead of the account password'
        : /5\.7\.14|web browser/i.test(text)
          ? 'Google blocked the sign-in as unusual and wants a browser sign-in first; an App Password avoids this'
          : 'Google rejected the user name or password; with 2-Step Verification the normal password never works over SMTP';
      return {
        summary: 'Gmail refused the login: it needs an App Password',
        causes: [cause, 'Workspace admins can also turn off App Passwords or SMTP for the domain'],
        fixes: [
          `set ${n.user} to the full Gmail address`,
          `create an App Password (Google Account > Security > 2-Step Verification > App passwords) and put its 16 letters in ${n.password}`,
        ],
      };
    },
  ),
  rule(
    'auth.ses-credentials',
    'auth',
    // Only by host: "credentials invalid" is also smtp-server's and others' generic wording.
    (f, ctx) => isAuthRejection(f) && ctx.provider === 'ses',
    (_f, ctx) => {
      const n = ctx.names;
      const region = /^email-smtp\.([a-z0-9-]+)\.amazonaws\.com$/i.exec(ctx.host)?.[1];
      return {
        summary: 'Amazon SES refused the SMTP credentials',
        causes: [
          'IAM access keys were used: SES SMTP credentials are a separate user name and password',
          `SMTP credentials work only in the region they were created in${region ? ` (${n.host} is in ${region})` : ''}`,
          'new SMTP credentials take a few minutes to start working',
        ],
        fixes: [
          'if you just created them, wait a few minutes and retry',
          `check the region in ${n.host} (email-smtp.<region>.amazonaws.com) matches where the credentials were created`,
          `create SMTP credentials in the SES console (SMTP settings) and put the SMTP user name in ${n.user} and the SMTP password in ${n.password}`,
        ],
      };
    },
  ),
  rule(
    'auth.resend-username',
    'auth',
    (f, ctx) => isAuthRejection(f) && ctx.provider === 'resend' && ctx.user !== providerInfo('resend').fixedUser,
    (_f, ctx) => {
      const n = ctx.names;
      return {
        summary: `Resend refused the login: ${n.user} must be the literal word "resend"`,
        causes: [`${n.user} is not "resend": ${describeUser(ctx.user)}`],
        fixes: [`put your Resend API key (re_...) in ${n.password}`, `set ${n.user}=resend (lowercase, not your email address)`],
      };
    },
  ),
  rule(
    'auth.resend-api-key',
    'auth',
    (f, ctx) => isAuthRejection(f) && ctx.provider === 'resend',
    (_f, ctx) => {
      const n = ctx.names;
      return {
        summary: `Resend refused the API key in ${n.password}`,
        causes: [
          `${n.password} is not a Resend API key (the account password does not work)`,
          'the key was revoked or deleted',
          'the key has no sending access',
        ],
        fixes: ['check on the API Keys page that the key is active and has sending access', `set ${n.password} to a Resend API key (it starts with re_)`],
      };
    },
  ),
  rule(
    'auth.sendgrid-username',
    'auth',
    (f, ctx) => isAuthRejection(f) && ctx.provider === 'sendgrid' && ctx.user !== providerInfo('sendgrid').fixedUser,
    (_f, ctx) => {
      const n = ctx.names;
      return {
        summary: `SendGrid refused the login: ${n.user} must be the literal word "apikey"`,
        causes: [`${n.user} is not "apikey": ${describeUser(ctx.user)}`],
        fixes: [`put a SendGrid API key with Mail Send permission in ${n.password}`, `set ${n.user}=apikey`],
      };
    },
  ),
  rule(
    'auth.rejected',
    'auth',
    (f) => isAuthRejection(f),
    (_f, ctx) => {
      const n = ctx.names;
      const notes: Partial<Record<KnownProvider, string>> = {
        sendgrid: `SendGrid: ${n.password} must be an API key with Mail Send permission`,
        office365: 'Office 365: SMTP AUTH may be off for this mailbox, and accounts with MFA need an app password',
        mailgun: `Mailgun: ${n.user} is the full SMTP login (e.g. postmaster@your-domain) and ${n.password} its SMTP password, not the API key`,
        postmark: `Postmark: both ${n.user} and ${n.password} are the Server API token`,
      };
      const note = ctx.provider ? notes[ctx.provider] : undefined;
      return {
        summary: `${ctx.provider ? `${providerInfo(ctx.provider).label} (${hostPortOf(ctx)})` : hostPortOf(ctx)} rejected the login`,
        causes: [
          `the password in ${n.password} is wrong, or is the account password where the provider wants an app password or API key`,
          `the user name in ${n.user} is not the login the provider expects`,
          ...(ctx.user !== undefined && ctx.user !== ctx.user.trim() ? [`${n.user} has spaces around it`] : []),
          ...(note ? [note] : []),
        ],
        fixes: [
          `check ${n.user} is the exact login the provider expects (often the full email address)`,
          `set ${n.password} to the SMTP password for that login (an app password or API key where the provider requires one)`,
        ],
      };
    },
  ),
  rule(
    'auth.missing-credentials',
    'config',
    (f) => hasCode(f, 'EAUTH') && /missing credentials/i.test(f.message),
    (_f, ctx) => ({
      summary: 'login was needed but no user name or password was given',
      causes: [`${ctx.names.user} or ${ctx.names.password} is empty`],
      fixes: [`set both ${ctx.names.user} and ${ctx.names.password}`],
    }),
  ),

  // --- Sender, recipient, message (5xx at MAIL, RCPT or after DATA) -------------------------
  rule(
    'sender.sandbox',
    'envelope',
    (f, ctx) => isEnvelopeRejection(f) && (sandboxRe.test(serverText(f)) || sesSandboxRecipient(f, ctx)),
    (_f, ctx) => {
      const n = ctx.names;
      const how =
        ctx.provider === 'ses'
          ? 'request production access in the SES console (until then, recipients must be verified identities too)'
          : ctx.provider === 'resend'
            ? 'verify your domain on the Resend Domains page, then send from it'
            : 'verify your domain with the provider and leave its sandbox';
      return {
        summary: 'the account is in sandbox mode: it may only send to your own (or verified) addresses',
        causes: [
          "new accounts may only send test emails to the account owner's address until a domain is verified",
          ...(ctx.recipient ? [`the recipient ${ctx.recipient} is not allowed in sandbox mode`] : []),
        ],
        fixes: ["for a quick test, send to the account owner's address", `${how}; ${n.sender} must be an address on that domain`],
      };
    },
  ),
  rule(
    'sender.unverified',
    'envelope',
    (f) => isEnvelopeRejection(f) && senderRe.test(serverText(f)) && !/recipient address rejected/i.test(serverText(f)),
    (f, ctx) => {
      const n = ctx.names;
      const from = bareAddress(ctx.sender);
      const providerCause: Partial<Record<KnownProvider, string>> = {
        resend: 'the domain of the From address is not verified in Resend (Domains page)',
        sendgrid: 'no verified Sender Identity (single sender or authenticated domain) matches the From address',
        ses: 'the From address or its domain is not a verified identity in this SES region',
        office365: `the mailbox in ${n.user} has no permission to send as this address`,
        gmail: "Gmail only sends as your own address or a configured 'Send mail as' alias",
      };
      const pc = ctx.provider ? providerCause[ctx.provider] : undefined;
      const to = bareAddress(ctx.recipient)?.toLowerCase();
      return {
        summary: `${hostPortOf(ctx)} will not send from ${from ?? `the address in ${n.sender}`}: the sender is not verified or not allowed`,
        causes: [
          pc ?? 'the From address (or its domain) is not verified with the provider, or does not belong to the account you log in with',
          ...(f.stage === 'rcpt'
            ? ['the server checks the sender when the recipient is given (Postfix does by default), so it came at RCPT but is about the sender']
            : []),
          ...(f.stage === 'data' ? ['the provider checks the sender only after DATA; this is still about the sender'] : []),
          ...(ctx.provider === 'ses' && to && serverText(f).toLowerCase().includes(to)
            ? ['in the SES sandbox, recipients must be verified identities too']
            : []),
        ],
        fixes: [
          'verify the domain with the provider (add the DNS records it asks for)',
          `set ${n.sender} to an address on a domain verified with the provider${ctx.user?.includes('@') ? ` (or the address in ${n.user})` : ''}`,
        ],
      };
    },
  ),
  rule(
    'envelope.relay-denied',
    'envelope',
    (f) => isEnvelopeRejection(f) && relayRe.test(serverText(f)),
    (_f, ctx) => {
      const n = ctx.names;
      return {
        summary: `${hostPortOf(ctx)} will not relay to this recipient for an unauthenticated client`,
        causes: [
          ...(ctx.user ? [] : [`${n.user} is not set, so no login happened`]),
          ...(ctx.authAdvertised === false ? ['the server did not offer AUTH, so no login happened'] : []),
          `${n.host} is a receiving (MX) server that only accepts mail for its own domains`,
        ],
        fixes: [
          `set ${n.host} to your provider's outgoing server, ${portSecure(ctx, 587, 0)}`,
          `set ${n.user} and ${n.password} so the client logs in before sending`,
        ],
      };
    },
  ),
  rule(
    'message.too-large',
    'message',
    (f) => isEnvelopeRejection(f) && tooLargeRe.test(serverText(f)) && !/mailbox|quota/i.test(serverText(f)),
    (_f, ctx) => ({
      summary: `${hostPortOf(ctx)} rejected the message as too large`,
      causes: ["the message with its attachments exceeds the server's size limit (base64 adds a third)"],
      fixes: ['send smaller attachments, or a link instead'],
    }),
  ),
  rule(
    'recipient.rejected',
    'envelope',
    (f) => isEnvelopeRejection(f) && (f.stage === 'rcpt' || (f.stage !== 'mail' && recipientRe.test(serverText(f)))),
    (_f, ctx) => ({
      summary: `${hostPortOf(ctx)} rejected the recipient${ctx.recipient ? ` ${ctx.recipient}` : ''}`,
      causes: ['the address does not exist or has a typo', "the recipient's server refuses mail from this sender"],
      fixes: [`if every recipient fails, check ${ctx.names.sender} and the login in ${ctx.names.user}`, 'check the recipient address (--to) for typos'],
    }),
  ),
  rule(
    'sender.rejected',
    'envelope',
    (f) => isEnvelopeRejection(f) && f.stage === 'mail',
    (_f, ctx) => {
      const n = ctx.names;
      return {
        summary: `${hostPortOf(ctx)} rejected the sender${ctx.sender ? ` ${bareAddress(ctx.sender)}` : ''} at MAIL FROM`,
        causes: ['the account may not send from this address, or the address is malformed'],
        fixes: [`set ${n.sender} to an address the account in ${n.user} may send from`],
      };
    },
  ),
  rule(
    'message.rejected',
    'message',
    (f) => isEnvelopeRejection(f),
    (_f, ctx) => ({
      summary: `${hostPortOf(ctx)} rejected the message after DATA`,
      causes: ['a content or spam filter refused it', `the domain of ${ctx.names.sender} fails SPF/DKIM/DMARC checks for this provider`],
      fixes: [
        `make sure the domain of ${ctx.names.sender} has the SPF and DKIM records the provider asks for`,
        "read the server's words: they usually name the policy that refused the message",
      ],
    }),
  ),

  // --- STARTTLS refused: the walk insists on it before credentials ---------------------------
  rule(
    'tls.starttls-unavailable',
    'tls',
    (f) => f.stage === 'starttls' && ((hasCode(f, 'ETLS') && (replyOf(f) ?? 0) >= 400) || hasCode(f, 'ENOSTARTTLS')),
    (f, ctx) => {
      const n = ctx.names;
      return {
        summary: `${hostPortOf(ctx)} ${hasCode(f, 'ENOSTARTTLS') ? 'does not offer STARTTLS' : 'refused STARTTLS'}, so the connection would stay unencrypted and ${n.password} would cross the network in the clear; mailcheck stopped before sending it`,
        causes: [
          `the server on port ${ctx.port} only speaks plain SMTP (a relay or an MX, not a submission server)`,
          'something in between (a firewall, an ISP, an antivirus with "SMTP inspection") strips STARTTLS',
        ],
        fixes: [
          'if the server is yours, enable STARTTLS on it',
          `or use implicit TLS: ${portSecure(ctx, 465, 1)}`,
          `check ${n.host} and ${n.port} are your provider's submission server and port (587 with ${n.secure}=0 offers STARTTLS)`,
        ],
      };
    },
  ),

  // --- TLS handshake, other ------------------------------------------------------------------
  rule(
    'tls.handshake',
    'tls',
    (f) =>
      f.timeoutType === 'UPGRADE_TIMEOUT' ||
      // Implicit TLS: the TCP connection was made (the walk only enters 'tls' after it), so a
      // connect timeout here is a handshake that never finished, not a blocked port.
      (f.stage === 'tls' && f.timeoutType === 'CONNECT_TIMEOUT') ||
      hasCode(f, 'ETLS', 'EPROTO') ||
      codesOf(f).some((c) => c.startsWith('ERR_SSL_') || c.startsWith('ERR_TLS_')) ||
      isWrongVersion(f),
    (f, ctx) => {
      const n = ctx.names;
      const text = allText(f);
      const cause =
        f.timeoutType === 'UPGRADE_TIMEOUT' || f.timeoutType === 'CONNECT_TIMEOUT'
          ? 'the TLS handshake never finished: the server accepted the connection but stayed silent, or something in between blocks TLS'
          : isWrongVersion(f)
            ? 'the server accepted STARTTLS but then did not speak TLS'
            : /no protocols available|unsupported protocol|version too low|protocol version/i.test(text)
              ? 'the server only offers an old TLS version (1.0/1.1) that Node refuses'
              : /handshake failure|no shared cipher|sslv3 alert/i.test(text)
                ? 'client and server share no TLS version or cipher'
                : /dh key too small|ee key too small/i.test(text)
                  ? 'the server uses a key too weak for modern TLS'
                  : saysClosed(text)
                    ? 'the server closed the connection during the TLS handshake'
                    : 'the TLS handshake failed';
      return {
        summary: `TLS with ${hostPortOf(ctx)} failed ${stageWords(f.stage)}`,
        causes: [cause, 'an antivirus or proxy interfering with TLS'],
        fixes: [
          `if the server is yours, update its TLS configuration`,
          `check ${n.port} and ${n.secure} agree: ${portSecure(ctx, 465, 1)}, or ${portSecure(ctx, 587, 0)}`,
        ],
      };
    },
  ),

  // --- Network -------------------------------------------------------------------------------
  rule(
    'network.timeout',
    'network',
    (f) =>
      f.timeoutType === 'CONNECT_TIMEOUT' ||
      (f.originalCode?.toUpperCase() === 'ETIMEDOUT' && f.timeoutType === undefined) ||
      (f.stage === 'connect' && hasCode(f, 'ETIMEDOUT') && f.timeoutType === undefined),
    (_f, ctx) => {
      const n = ctx.names;
      return {
        summary: `${hostPortOf(ctx)} did not answer: the connection timed out`,
        causes: [
          `outbound port ${ctx.port} is blocked (cloud hosts block 25, often 465 and 587 too; so do some networks)`,
          ...portRefusal(ctx),
          `a firewall drops traffic to ${n.host}, or the host is wrong`,
        ],
        fixes: [`check ${n.host} is right`, '`mailcheck probe` will find a port that gets out', `try another port: ${otherPorts(ctx)}`],
      };
    },
  ),
  // Postfix's postscreen (and others) send `220-` at once and the rest after a wait, to catch
  // clients that talk too early. The `220-` proves plain SMTP: the other TLS mode is never the fix.
  rule(
    'greeting.held',
    'network',
    (f) => f.stage === 'greeting' && isGreetingTimeout(f) && replyOf(f) === 220,
    (_f, ctx) => ({
      summary: `${hostPortOf(ctx)} began its greeting (220-) but held the rest longer than mailcheck waits: an anti-spam greet delay, such as Postfix's postscreen`,
      causes: [
        `the port speaks plain SMTP, so ${ctx.names.secure}=${ctx.secure ? 1 : 0} is not the problem`,
        'postscreen (postscreen_greet_wait, 6 s by default, longer while it checks block lists) guards this port; it is meant for incoming mail (port 25), not for submission',
      ],
      fixes: [
        'or allow for the wait: raise --timeout (the held greeting gets twice the timeout, at least 30 s)',
        `use the provider's submission port instead: ${portSecure(ctx, 587, 0)}, or ${portSecure(ctx, 465, 1)}`,
      ],
    }),
  ),
  rule(
    'greeting.timeout',
    'network',
    (f) => isGreetingTimeout(f),
    (_f, ctx) => {
      const n = ctx.names;
      return {
        summary: `${hostPortOf(ctx)} accepted the connection but never sent the SMTP greeting`,
        causes: [
          ...(ctx.secure
            ? ['the TLS handshake worked, but the service on this port is not SMTP or is overloaded']
            : [
                `a port that expects implicit TLS also stays silent: try ${n.secure}=1 if the provider says so`,
                'the server is slow or overloaded, or this port is not SMTP',
              ]),
          'an antivirus or proxy holds the connection',
        ],
        fixes: [
          ...(ctx.secure ? [] : [`if this port expects implicit TLS, set ${n.secure}=1`]),
          `check ${n.port} is the provider's SMTP submission port (usually 587 or 465)`,
        ],
      };
    },
  ),
  // Servers delay the answer to a failed login on purpose; after mailcheck's long AUTH bound, the
  // likeliest reason for the silence is still a wrong login (see walk.ts authWaitMs).
  rule(
    'auth.no-answer',
    'auth',
    (f) => f.stage === 'auth' && (f.timeoutType === 'SOCKET_TIMEOUT' || f.timeoutType === 'STEP_TIMEOUT'),
    (f, ctx) => ({
      summary: `${hostPortOf(ctx)} did not answer AUTH in time (${f.message})`,
      causes: [
        'servers answer a failed login late on purpose (Dovecot: auth_failure_delay, plus a growing penalty per IP address after repeated failures), so the login is most likely wrong',
        "the server's authentication back end (LDAP, a database) is down or slow",
      ],
      fixes: [
        'or allow for a slower back end: raise --timeout (AUTH gets four times the timeout, at least 20 s)',
        `check ${ctx.names.user} and ${ctx.names.password}; after several failures from this address, wait a minute before trying again`,
      ],
    }),
  ),
  rule(
    'network.stalled',
    'network',
    // STEP_TIMEOUT is the walk's own bound: a server that drips bytes keeps the socket timer alive.
    (f) => f.timeoutType === 'SOCKET_TIMEOUT' || f.timeoutType === 'STEP_TIMEOUT',
    (f, ctx) => ({
      summary: `${hostPortOf(ctx)} stopped answering ${stageWords(f.stage)}`,
      causes: ['the server or the network stalled mid-session', 'a proxy or antivirus holds the connection'],
      fixes: [`if it persists, check the network path to ${ctx.names.host}`, 'retry'],
    }),
  ),
  rule(
    'network.refused',
    'network',
    (f) => hasCode(f, 'ECONNREFUSED'),
    (_f, ctx) => {
      const n = ctx.names;
      const local = /^(localhost|127\.\d+\.\d+\.\d+|::1)$/i.test(ctx.host);
      return {
        summary: `${hostPortOf(ctx)} refused the connection`,
        causes: [
          `nothing listens on port ${ctx.port} at ${ctx.host}`,
          ...portRefusal(ctx),
          ...(local ? ['inside a container, localhost is the container itself, not the machine running it'] : []),
          'a firewall rejects the connection',
        ],
        fixes: [`check ${n.host} is the SMTP server`, `set ${n.port} to the provider's port: ${otherPorts(ctx)}`],
      };
    },
  ),
  rule(
    'network.no-address-in-family',
    'network',
    (f, ctx) => hasCode(f, 'EAI_ADDRFAMILY') && ctx.family !== undefined,
    (f, ctx) => {
      const n = ctx.names;
      const family = ctx.family ?? 4;
      const other = family === 6 ? 4 : 6;
      return {
        summary: `${ctx.host} has no IPv${family} address, so -${family} leaves nothing to connect to`,
        causes: [
          f.message.split('\n')[0] ?? f.message,
          family === 6 ? `the server is reachable over IPv${other} only (no AAAA record)` : `the server is reachable over IPv${other} only (no A record)`,
        ],
        fixes: [
          `or, if the server should be reachable over IPv${family}, publish its ${family === 6 ? 'AAAA' : 'A'} record (or ask the provider)`,
          `drop -${family} (or use -${other}): ${n.host} answers over IPv${other}`,
        ],
      };
    },
  ),
  rule(
    'network.dns',
    'network',
    (f) => hasCode(f, 'ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'ENODATA', 'ESERVFAIL', 'EDNS') || f.stage === 'dns',
    (f, ctx) => {
      const n = ctx.names;
      const h = ctx.host;
      const flaw = /:\/\//.test(h)
        ? `${n.host} contains a scheme (${h.split('://')[0]}://); give the bare host name`
        : /^[^:[]+:\d+$/.test(h)
          ? `${n.host} contains a port; put it in ${n.port} instead`
          : /\s|["']/.test(h)
            ? `${n.host} contains spaces or quotes`
            : undefined;
      const transient = hasCode(f, 'EAI_AGAIN', 'ESERVFAIL');
      return {
        summary: `the host name "${h}" could not be resolved`,
        causes: [
          ...(flaw ? [flaw] : []),
          ...(transient ? ['DNS on this machine is failing or there is no network (EAI_AGAIN)'] : []),
          `${n.host} is misspelled or the name does not exist`,
        ],
        fixes: [
          ...(transient ? ['check this machine has working DNS and network, then retry'] : []),
          `set ${n.host} to the bare server name, e.g. smtp.example.com (no scheme, no port)`,
        ],
      };
    },
  ),
  rule(
    'network.unreachable',
    'network',
    (f) => hasCode(f, 'ENETUNREACH', 'EHOSTUNREACH', 'EADDRNOTAVAIL'),
    (f, ctx) => {
      const addr = /\b(?:ENETUNREACH|EHOSTUNREACH|EADDRNOTAVAIL)\s+(\S+)/.exec(f.message)?.[1];
      const v6 = (addr ?? '').split(':').length > 2;
      return {
        summary: `${hostPortOf(ctx)} is unreachable from this machine${v6 ? ' over IPv6' : ''}`,
        causes: v6
          ? ['this machine has an IPv6 address but no IPv6 route to the internet (common in Docker and on some VPS)']
          : ['no network route to the server (VPN, firewall or no network)'],
        fixes: v6
          ? [`check whether ${ctx.names.host} also resolves to IPv4`, 'fix IPv6 routing on this host, or disable IPv6 on the interface so IPv4 is used']
          : [`check ${ctx.names.host}`, "check this machine's network, VPN and firewall"],
      };
    },
  ),
  rule(
    'network.closed',
    'network',
    (f) => isClosed(f),
    (f, ctx) => {
      const n = ctx.names;
      return {
        summary: `${hostPortOf(ctx)} closed the connection unexpectedly ${stageWords(f.stage)}`,
        causes: [
          ...(f.stage === 'greeting' || f.stage === 'connect'
            ? ['the server refuses this client (block list, connection limit)']
            : ['the server dropped the session']),
          ...(!ctx.secure && (f.stage === 'greeting' || f.stage === 'connect') ? [`the port may expect implicit TLS (${n.secure}=1)`] : []),
          'a firewall, proxy or antivirus cut the connection',
        ],
        fixes: [`check ${n.port} and ${n.secure} agree: ${portSecure(ctx, 465, 1)}, or ${portSecure(ctx, 587, 0)}`, 'retry once'],
      };
    },
  ),

  // --- Protocol ------------------------------------------------------------------------------
  rule(
    'protocol.unexpected',
    'protocol',
    (f) => hasCode(f, 'EPROTOCOL'),
    (f, ctx) => {
      const said = serverText(f)
        .replace(/^.*response=/s, '')
        .trimStart();
      const other = /^\+OK/.test(said) ? 'POP3' : /^\* OK/.test(said) ? 'IMAP' : /^SSH-/.test(said) ? 'SSH' : /^HTTP\//.test(said) ? 'HTTP' : undefined;
      return {
        summary: `${hostPortOf(ctx)} answered with something that is not SMTP`,
        causes: [other ? `port ${ctx.port} runs ${other}, not SMTP` : 'the service on this port is not SMTP, or the server is broken'],
        fixes: [`check ${ctx.names.host}`, `set ${ctx.names.port} to the SMTP port (587 or 465)`],
      };
    },
  ),
];

/** Class for the catch-all, from nodemailer's code first, then the stage. */
function fallbackClass(f: SmtpFailure): FailureClass {
  switch (f.code?.toUpperCase()) {
    case 'EAUTH':
      return 'auth';
    case 'EENVELOPE':
      return 'envelope';
    case 'EMESSAGE':
      return 'message';
    case 'ETLS':
      return 'tls';
    case 'EPROTOCOL':
      return 'protocol';
    case 'EDNS':
    case 'ECONNECTION':
    case 'ESOCKET':
    case 'ETIMEDOUT':
      return 'network';
  }
  switch (f.stage) {
    case 'dns':
    case 'connect':
    case 'greeting':
      return 'network';
    case 'tls':
    case 'starttls':
      return 'tls';
    case 'auth':
      return 'auth';
    case 'mail':
    case 'rcpt':
      return 'envelope';
    case 'data':
      return 'message';
    case 'ehlo':
    case 'quit':
      return 'protocol';
  }
}

const unknownRule = rule(
  'unknown',
  fallbackClass,
  () => true,
  (f, ctx) => ({
    summary: `sending failed ${stageWords(f.stage)} at ${hostPortOf(ctx)}: ${f.message.split(/\r?\n/)[0] ?? ''}`,
    causes: ["no known pattern matched; the server's words and the error above are the best clue"],
    fixes: [`check ${ctx.names.host}, ${ctx.names.port} and ${ctx.names.secure} against the provider's documentation`],
  }),
);

const smtpTable = new RuleTable<SmtpFailure, DiagnosisContext, SmtpDiagnosisId>(smtpRules, unknownRule);

export type SmtpDiagnosisId = (typeof smtpRules)[number]['id'] | (typeof unknownRule)['id'];

/** Every id a diagnosis from this module can carry. */
export const smtpDiagnosisIds: readonly SmtpDiagnosisId[] = smtpTable.ids;

export function diagnoseSmtpFailure(failure: SmtpFailure, ctx: DiagnosisContext): Diagnosis {
  return smtpTable.diagnose(failure, ctx);
}
